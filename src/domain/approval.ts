/**
 * Who may approve a request, and when. One pure function answers every Approve click;
 * the bot gathers the facts (approver list, branch head, earlier approvals) and acts on
 * the answer, so "what happens when Approve is clicked" reads top to bottom here.
 */
import type { ChangeRequest } from './request.ts';

export interface ApprovalRules {
  /** Slack user ids allowed to approve (APPROVER_IDS and the members of APPROVER_GROUP). */
  approvers: ReadonlySet<string>;
  /** Distinct approvals needed before the deploy job is played (REQUIRED_APPROVALS, ≥ 1). */
  required: number;
  /** How long a request may wait for approval (APPROVAL_TTL), in ms. */
  ttlMs: number;
}

export interface ApprovalAttempt {
  request: ChangeRequest;
  /** Slack user id of the person who clicked. */
  clicker: string;
  now: Date;
  /** The commit the request's branch points at now, read from GitLab; null if unknown. */
  branchHead: string | null;
  /** Users who already approved this request, in order. */
  approvedBy: readonly string[];
  /**
   * Slack users who made part of the change besides the recorded requester: who started
   * its pipeline, whose commits are on its branch (read from GitLab, mapped by email).
   */
  changers: ReadonlySet<string>;
  /** How many of those who made part of it have no Slack user (two approvers are then needed). */
  unmappedChangers: number;
}

export type RefusalCode = 'not_approver' | 'self_approval' | 'not_waiting' | 'expired' | 'stale_commit' | 'already_approved';

export type ApprovalVerdict =
  | { ok: true; approvedBy: string[]; complete: boolean }
  | { ok: false; code: RefusalCode; reason: string };

export function judgeApproval(rules: ApprovalRules, a: ApprovalAttempt): ApprovalVerdict {
  const refuse = (code: RefusalCode, reason: string): ApprovalVerdict => ({ ok: false, code, reason });
  const { request } = a;
  if (request.requester !== null && request.requester === a.clicker) return refuse('self_approval', 'you asked for this change, so someone else must approve it');
  if (a.changers.has(a.clicker)) return refuse('self_approval', 'you made part of this change (you started its pipeline or your commits are on the branch), so someone else must approve it');
  if (!rules.approvers.has(a.clicker)) return refuse('not_approver', 'you are not one of the approvers for security-group changes');
  if (request.state !== 'awaiting_approval') return refuse('not_waiting', `the request is ${request.state.replace('_', ' ')}, not waiting for approval`);
  if (isExpired(request, rules.ttlMs, a.now)) return refuse('expired', 'the request waited too long for approval; ask again to get a fresh plan');
  if (a.branchHead === null || request.sha === null || a.branchHead !== request.sha) {
    return refuse('stale_commit', 'the branch has a newer commit than the plan you are approving; wait for its pipeline and approve that plan');
  }
  if (a.approvedBy.includes(a.clicker)) return refuse('already_approved', 'you already approved this request');
  const approvedBy = [...a.approvedBy, a.clicker];
  return { ok: true, approvedBy, complete: approvedBy.length >= requiredApprovals(rules.required, a.unmappedChangers) };
}

/** Distinct approvals needed: the configured number, and at least two while someone who made the change is not known in Slack. */
export function requiredApprovals(configured: number, unmappedChangers: number): number {
  return unmappedChangers > 0 ? Math.max(configured, 2) : configured;
}

export function isExpired(request: ChangeRequest, ttlMs: number, now: Date): boolean {
  return request.awaitingSince !== null && now.getTime() - Date.parse(request.awaitingSince) > ttlMs;
}
