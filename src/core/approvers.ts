/** Who may approve: the environment's approver ids and the members of its approver user group. */
import type { Environment } from '../domain/environment.ts';
import type { BotDeps } from './deps.ts';

/** Approver ids of one environment and its approver user group, read fresh for each use: an approver of one environment is no approver of another. */
export async function approvers(deps: Pick<BotDeps, 'chat'>, env: Pick<Environment, 'approvals'>): Promise<Set<string>> {
  const { approverIds, approverGroup } = env.approvals;
  const ids = new Set(approverIds);
  if (approverGroup) for (const id of await deps.chat.usergroupMembers(approverGroup)) ids.add(id);
  return ids;
}
