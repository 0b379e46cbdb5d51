/**
 * A person's App Home tab: what waits for their approval (with the very buttons of the
 * channel message, so the same listeners and the same checks answer a click here), their
 * own open requests and where each stands, and the last changes deployed with who
 * approved them. Every section is capped so the view stays inside Slack's 100 blocks.
 */
import type { Block } from '../../core/ports.ts';
import { requestTitle, type ChangeRequest } from '../../domain/request.ts';
import { escapeMrkdwn, mention, slackDate } from '../mrkdwn.ts';
import { approvalRequest, DECISION_BLOCK } from './approval.ts';
import { context, divider, header, packLines, section } from './kit.ts';
import { SLACK_LIMITS as L } from './limits.ts';
import { STATUS, type RequestLinks } from './request.ts';

export interface AwaitingApproval {
  request: ChangeRequest;
  /** Slack ids of those who approved the current plan so far, in order. */
  approvedBy: readonly string[];
  /** Approvals its environment requires, when not the Home's `requiredApprovals`. */
  requiredApprovals?: number;
}

export interface RecentChange {
  request: ChangeRequest;
  /** Slack ids of those who approved the plan that was deployed. */
  approvedBy: readonly string[];
  /** When it was deployed (ISO). */
  at: string;
}

export interface HomeInput {
  user: string;
  /** Requests this person may approve now, oldest first. */
  awaitingMyApproval: readonly AwaitingApproval[];
  /** This person's own requests that are not finished, oldest first. */
  mine: readonly ChangeRequest[];
  /** Last deployed changes, newest first. */
  recent: readonly RecentChange[];
  requiredApprovals: number;
  /** Links per request id, when known (pipeline, merge request, deploy job). */
  links?: ReadonlyMap<string, RequestLinks & { jobUrl?: string | null }>;
}

/**
 * Caps per section. An approval card takes at most 4 blocks (title, approvals, links,
 * buttons): 15 cards, the two line sections and the headers stay well under 100 blocks.
 */
export const HOME_CAPS = { awaiting: 15, lineBlocks: 5, lineChars: 6000 } as const;

export const HOME_EMPTY = {
  awaiting: 'Nothing waits for your approval.',
  mine: 'You have no open requests. Ask for a change with `/sg-request`.',
  recent: 'No change has been deployed yet.',
} as const;

/**
 * The channel's approval message for one request, without its "Approval needed" banner
 * (the section header says it), its buttons' block made unique: a view refuses two
 * blocks with the same block_id, and the listeners go by action_id and value only.
 */
function approvalCard({ request, approvedBy, requiredApprovals }: AwaitingApproval, input: HomeInput): Block[] {
  const links = input.links?.get(request.id);
  const ctx = {
    pipelineUrl: links?.pipelineUrl ?? null,
    mergeRequestUrl: links?.mergeRequestUrl ?? null,
    jobUrl: links?.jobUrl ?? null,
    requiredApprovals: requiredApprovals ?? input.requiredApprovals,
    approvedBy,
  };
  const [, ...blocks] = approvalRequest(request, ctx).blocks ?? [];
  return blocks.map((b) => (b.block_id === DECISION_BLOCK ? { ...b, block_id: `${DECISION_BLOCK}:${request.id}` } : b));
}

function awaitingSection(input: HomeInput): Block[] {
  const items = input.awaitingMyApproval;
  if (items.length === 0) return [section(HOME_EMPTY.awaiting)];
  const shown = items.slice(0, HOME_CAPS.awaiting).flatMap((item) => approvalCard(item, input));
  const omitted = items.length - HOME_CAPS.awaiting;
  return omitted > 0 ? [...shown, context([`…and ${omitted} more waiting for your approval; the oldest are shown first.`])] : shown;
}

function title(request: ChangeRequest): string {
  return `*${escapeMrkdwn(requestTitle(request))}*`;
}

function mineLine(request: ChangeRequest): string {
  const { emoji, label } = STATUS[request.state];
  return `${emoji} ${title(request)} · ${label} · since ${slackDate(request.updatedAt)}`;
}

function recentLine({ request, approvedBy, at }: RecentChange): string {
  const who = approvedBy.length === 0 ? 'no approval recorded' : `approved by ${approvedBy.map(mention).join(', ')}`;
  return `${STATUS.deployed.emoji} ${title(request)} · deployed ${slackDate(at)} · ${who}`;
}

function lines(all: readonly string[], empty: string, noun: string): Block[] {
  if (all.length === 0) return [section(empty)];
  return packLines(all, {
    maxBlocks: HOME_CAPS.lineBlocks,
    maxChars: HOME_CAPS.lineChars,
    more: (n) => `…and ${n} more ${noun}`,
  }).blocks;
}

/** views.publish payload for `input.user`'s Home tab. */
export function homeView(input: HomeInput): Record<string, unknown> {
  const blocks: Block[] = [
    header('Waiting for your approval'),
    ...awaitingSection(input),
    divider(),
    header('Your open requests'),
    ...lines(input.mine.map(mineLine), HOME_EMPTY.mine, 'open requests'),
    divider(),
    header('Recent changes'),
    ...lines(input.recent.map(recentLine), HOME_EMPTY.recent, 'changes'),
  ];
  if (blocks.length > L.viewBlocks) throw new Error(`home view has ${blocks.length} blocks; HOME_CAPS must keep it under ${L.viewBlocks}`);
  return { type: 'home', blocks };
}

