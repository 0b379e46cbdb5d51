/** Who may approve: the configured approver ids and the members of the approver user group. */
import type { BotDeps } from './deps.ts';

/** Approver ids from configuration and the approver user group, read fresh for each use. */
export async function approvers(deps: Pick<BotDeps, 'settings' | 'chat'>): Promise<Set<string>> {
  const ids = new Set(deps.settings.approverIds);
  if (deps.settings.approverGroup) for (const id of await deps.chat.usergroupMembers(deps.settings.approverGroup)) ids.add(id);
  return ids;
}
