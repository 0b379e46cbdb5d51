/**
 * The one parent message per request (or per pipeline the bot did not start), updated in
 * place: what was asked, by whom, and where it stands now.
 */
import type { Block, SlackMessage } from '../../core/ports.ts';
import { requestTitle, type ChangeRequest, type RequestState } from '../../domain/request.ts';
import { code, escapeMrkdwn, link, mention, slackDate } from '../mrkdwn.ts';
import { context, fields, header, message, section } from './kit.ts';

export interface RequestLinks {
  mergeRequestUrl?: string | null;
  pipelineUrl?: string | null;
}

export const STATUS: Record<RequestState, { emoji: string; label: string }> = {
  submitted: { emoji: ':inbox_tray:', label: 'Submitted' },
  queued: { emoji: ':double_vertical_bar:', label: 'Queued behind an earlier change' },
  planning: { emoji: ':gear:', label: 'Planning' },
  awaiting_approval: { emoji: ':raised_hand:', label: 'Waiting for approval' },
  deploying: { emoji: ':rocket:', label: 'Deploying' },
  deployed: { emoji: ':white_check_mark:', label: 'Deployed' },
  rejected: { emoji: ':no_entry:', label: 'Rejected' },
  failed: { emoji: ':x:', label: 'Failed' },
  cancelled: { emoji: ':heavy_multiplication_x:', label: 'Cancelled' },
  expired: { emoji: ':hourglass:', label: 'Expired' },
};

export function statusLine(state: RequestState): string {
  const { emoji, label } = STATUS[state];
  return `${emoji} *${label}*`;
}

export function requesterText(request: ChangeRequest): string {
  if (request.requester !== null) return mention(request.requester);
  // A revocation the bot opened itself when its rule expired, or a pipeline someone pushed.
  return request.kind === 'revocation' ? 'Portcullis, as the rule expired' : 'a push to GitLab';
}

/** Context-block links to the merge request and pipeline, when known. */
export function linkItems(request: ChangeRequest, links: RequestLinks): string[] {
  const items: string[] = [];
  const { mergeRequestIid: iid, pipelineId: id } = request;
  if (links.mergeRequestUrl) items.push(link(links.mergeRequestUrl, iid === null ? 'Merge request' : `Merge request !${iid}`));
  if (links.pipelineUrl) items.push(link(links.pipelineUrl, id === null ? 'Pipeline' : `Pipeline #${id}`));
  return items;
}

function detailFields(request: ChangeRequest, links: RequestLinks): string[] {
  const { rule } = request;
  if (request.kind === 'external' || rule === null) {
    const pipeline = request.pipelineId === null ? 'not started' : `#${request.pipelineId}`;
    return [
      `*Branch*\n${code(request.branch)}`,
      `*Pipeline*\n${links.pipelineUrl ? link(links.pipelineUrl, pipeline) : escapeMrkdwn(pipeline)}`,
      `*Started by*\n${requesterText(request)}`,
    ];
  }
  return [
    `*Requested by*\n${requesterText(request)}`,
    `*Ticket*\n${rule.ticket === null ? 'none' : escapeMrkdwn(rule.ticket)}`,
    `*Expires*\n${rule.expires_at === null ? 'never' : slackDate(rule.expires_at)}`,
    `*Justification*\n${escapeMrkdwn(rule.description)}`,
  ];
}

export function requestParent(request: ChangeRequest, links: RequestLinks): SlackMessage {
  const title = requestTitle(request);
  const linkLine = linkItems(request, links);
  const blocks: Block[] = [header(title), fields(detailFields(request, links)), section(statusLine(request.state))];
  if (linkLine.length > 0) blocks.push(context(linkLine));
  return message(`${escapeMrkdwn(title)}: ${STATUS[request.state].label}`, blocks);
}
