/**
 * Asking for a decision and showing it: the approval request with its buttons, the same
 * message once decided, a refused click, and the modal asking why a request is rejected.
 * The action ids, block ids and callback id here are the contract with the listeners.
 */
import type { Block, SlackMessage } from '../../core/ports.ts';
import { requestTitle, type ChangeRequest } from '../../domain/request.ts';
import { RULE_ID_PATTERN } from '../../domain/rule.ts';
import { code, escapeMrkdwn, link, mention, slackDate } from '../mrkdwn.ts';
import { actions, button, context, fit, message, plainText, section } from './kit.ts';
import { SLACK_LIMITS as L } from './limits.ts';
import { requesterText } from './request.ts';

export const APPROVE_ACTION = 'approve';
export const REJECT_ACTION = 'reject';
export const DECISION_BLOCK = 'decision';
export const REJECT_CALLBACK = 'reject_reason';
export const REJECT_REASON_BLOCK = 'reason';
export const REJECT_REASON_ACTION = 'reason';
/** Short enough that the quoted reason and who rejected fit one section of the decided message. */
const REASON_MAX_LENGTH = 2000;

export interface ApprovalContext {
  pipelineUrl: string | null;
  mergeRequestUrl: string | null;
  jobUrl: string | null;
  requiredApprovals: number;
  /** Slack ids of those who approved so far, in order. */
  approvedBy: readonly string[];
  /**
   * Who made part of the change besides the requester, when known: Slack users, and
   * people (plain text, e.g. `Name <email>`) no Slack user was found for.
   */
  changers?: { users: readonly string[]; unmapped: readonly string[] };
}

export type ApprovalDecision =
  | { outcome: 'approved'; by: string; at: string }
  | { outcome: 'rejected'; by: string; at: string; reason: string }
  | { outcome: 'expired'; at: string }
  /** A newer commit on the branch started a newer pipeline: this plan can no longer be approved. */
  | { outcome: 'superseded'; at: string; byPipeline: number }
  /** The plan job ran again in the same pipeline: its new plan is shown and judged anew. */
  | { outcome: 'replanned'; at: string; byJob: number }
  /** The deploy job was played in GitLab, not through an approval here. */
  | { outcome: 'outside'; at: string; by: string | null };

/** Button values and private_metadata carry the request id, so it must be one of ours (short, safe). */
function requestIdValue(id: string): string {
  if (!RULE_ID_PATTERN.test(id)) throw new TypeError(`"${id.slice(0, 80)}" is not a request id`);
  return id;
}

function approvalBody(request: ChangeRequest, ctx: ApprovalContext): Block[] {
  const blocks: Block[] = [section(`*${escapeMrkdwn(requestTitle(request))}*\nRequested by ${requesterText(request)}`)];
  const changers = ctx.changers;
  if (changers && (changers.users.length > 0 || changers.unmapped.length > 0)) {
    const named = [...changers.users.map(mention), ...changers.unmapped.map((p) => `${escapeMrkdwn(p)} (not found in Slack)`)];
    blocks.push(context([fit(`Changed by ${named.join(', ')}: they may not approve it.`, L.sectionText)]));
  }
  if (changers && changers.unmapped.length > 0) {
    blocks.push(
      section(
        fit(
          `:warning: Portcullis could not find a Slack user for ${changers.unmapped.map((p) => `*${escapeMrkdwn(p)}*`).join(', ')}, who made part of this change, so it cannot tell whether an approver did: *${ctx.requiredApprovals} distinct approvers* are needed.`,
          L.sectionText,
        ),
      ),
    );
  }
  if (ctx.requiredApprovals > 1 || ctx.approvedBy.length > 0) {
    const who = ctx.approvedBy.length === 0 ? 'none yet' : ctx.approvedBy.map(mention).join(', ');
    blocks.push(context([`Approvals: ${ctx.approvedBy.length} of ${ctx.requiredApprovals} (${who})`]));
  }
  const links = [
    ctx.pipelineUrl ? link(ctx.pipelineUrl, 'Pipeline') : null,
    ctx.mergeRequestUrl ? link(ctx.mergeRequestUrl, 'Merge request') : null,
    ctx.jobUrl ? link(ctx.jobUrl, 'Deploy job') : null,
  ].filter((l): l is string => l !== null);
  if (links.length > 0) blocks.push(context(links));
  return blocks;
}

/**
 * What the Approve and Reject buttons carry: the request, the pipeline and the plan job
 * whose plan the message shows (`REQ-7@101.5001`), so a click on an older message can
 * never approve a newer plan: neither a newer commit's nor the same pipeline's plan job
 * run again.
 */
export function decisionValue(request: ChangeRequest): string {
  return `${requestIdValue(request.id)}@${request.pipelineId ?? 0}.${request.planJobId ?? 0}`;
}

/** The parts of a button value; `planJobId` is null on a button posted before plan jobs were named (never approvable). */
export function parseDecisionValue(value: string): { requestId: string; pipelineId: number; planJobId: number | null } | null {
  const m = /^([^@]+)@(\d{1,15})(?:\.(\d{1,15}))?$/.exec(value);
  if (!m || !RULE_ID_PATTERN.test(m[1]!)) return null;
  const planJobId = m[3] === undefined || Number(m[3]) === 0 ? null : Number(m[3]);
  return { requestId: m[1]!, pipelineId: Number(m[2]), planJobId };
}

export function approvalRequest(request: ChangeRequest, ctx: ApprovalContext): SlackMessage {
  const id = requestIdValue(request.id);
  const value = decisionValue(request);
  const lastApproval = ctx.requiredApprovals - ctx.approvedBy.length <= 1;
  const effect = lastApproval
    ? 'plays the deploy job: the change goes live'
    : `records your approval (${ctx.requiredApprovals} are needed before the deploy job runs)`;
  const buttons = actions(DECISION_BLOCK, [
    button({
      text: 'Approve',
      actionId: APPROVE_ACTION,
      value,
      style: 'primary',
      confirm: {
        title: 'Approve this change?',
        text: `Approving *${escapeMrkdwn(id)}* ${effect}.`,
        confirm: lastApproval ? 'Approve and deploy' : 'Approve',
        deny: 'Cancel',
      },
    }),
    button({ text: 'Reject', actionId: REJECT_ACTION, value, style: 'danger' }),
  ]);
  const title = escapeMrkdwn(requestTitle(request));
  return message(`${title} is waiting for approval`, [section(':raised_hand: *Approval needed*'), ...approvalBody(request, ctx), buttons]);
}

/**
 * A request waiting for approval whose plan Portcullis will not deploy: why, and no
 * Approve button (a click on an older message is refused too). Reject stays, so a person
 * can close it; a new commit on the branch gets a new pipeline and a new verdict.
 */
export function approvalBlocked(request: ChangeRequest, problems: readonly string[], ctx: ApprovalContext): SlackMessage {
  const value = decisionValue(request);
  const title = escapeMrkdwn(requestTitle(request));
  const why = problems.map((p) => `• ${escapeMrkdwn(p)}`).join('\n');
  return message(`${title} cannot be approved: Portcullis will not deploy this plan`, [
    section(':no_entry_sign: *Portcullis will not deploy this plan*'),
    ...approvalBody(request, ctx),
    section(fit(why, L.sectionText)),
    context(['Put the branch right (or reject the request): its next pipeline is judged again.']),
    actions(DECISION_BLOCK, [button({ text: 'Reject', actionId: REJECT_ACTION, value, style: 'danger' })]),
  ]);
}

/** Who decided: a person, or the bot itself (an expired rule's revocation, when allowed to skip approval). */
const decider = (by: string) => (by === 'bot' ? 'Portcullis (expired rule, approval skipped by setting)' : mention(by));

function decisionText(decision: ApprovalDecision): string {
  switch (decision.outcome) {
    case 'approved':
      return `:white_check_mark: *Approved* by ${decider(decision.by)}, ${slackDate(decision.at)}`;
    case 'rejected': {
      const quoted = decision.reason.split('\n').map((line) => `>${escapeMrkdwn(line)}`).join('\n');
      return `:no_entry: *Rejected* by ${mention(decision.by)}, ${slackDate(decision.at)}\n${quoted}`;
    }
    case 'expired':
      return `:hourglass: *Expired* ${slackDate(decision.at)}: nobody approved in time.`;
    case 'outside':
      return `:rotating_light: *Deployed outside Slack*${decision.by === null ? '' : ` by GitLab user ${code(decision.by)}`}, ${slackDate(decision.at)}: no approval was recorded here.`;
    case 'superseded':
      return `:fast_forward: *Superseded* ${slackDate(decision.at)}: the branch has a newer commit; approve the plan of pipeline #${decision.byPipeline} below.`;
    case 'replanned':
      return `:repeat: *Superseded* ${slackDate(decision.at)}: the plan job ran again (job #${decision.byJob}); its new plan is shown below and needs approving afresh. Approvals given here no longer count.`;
  }
}

/** The approval request once decided: the buttons give way to who decided, when and why. */
export function approvalDecided(request: ChangeRequest, decision: ApprovalDecision, ctx: ApprovalContext): SlackMessage {
  const title = escapeMrkdwn(requestTitle(request));
  const verb = { approved: 'approved', rejected: 'rejected', expired: 'expired', superseded: 'superseded by a newer plan', replanned: 'superseded by a new run of its plan job', outside: 'deployed outside Slack, without approval' }[decision.outcome];
  return message(`${title} was ${verb}`, [section(':ballot_box_with_check: *Decision*'), ...approvalBody(request, ctx), section(decisionText(decision))]);
}

/** Ephemeral text for a refused click or command. */
export function refusal(reason: string): string {
  return fit(`:no_entry_sign: Not done: ${escapeMrkdwn(reason)}`, L.sectionText);
}

/** views.open payload asking for the reason of a rejection. */
export function rejectModal(requestId: string): Record<string, unknown> {
  const id = requestIdValue(requestId);
  return {
    type: 'modal',
    callback_id: REJECT_CALLBACK,
    private_metadata: id,
    title: plainText('Reject request', L.viewTitle),
    submit: plainText('Reject', L.viewButton),
    close: plainText('Cancel', L.viewButton),
    blocks: [
      section(`Rejecting *${escapeMrkdwn(id)}* cancels its pipeline and closes its merge request.`),
      {
        type: 'input',
        block_id: REJECT_REASON_BLOCK,
        label: plainText('Reason', L.inputLabel),
        element: {
          type: 'plain_text_input',
          action_id: REJECT_REASON_ACTION,
          multiline: true,
          max_length: REASON_MAX_LENGTH,
          placeholder: plainText('Why should this change not go ahead?', L.placeholder),
        },
      },
    ],
  };
}
