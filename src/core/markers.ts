/**
 * Things the bot does at most once per request, whatever replays, restarts and
 * reconciliation passes bring: merging after a deploy, running a post-deploy check,
 * uploading the full plan, raising a deploy played outside Slack. Each is marked done in the request's audit trail when it is
 * done (or tried), and looked up there before it is done again.
 */
import type { AuditEntry } from './ports.ts';
import type { CheckName } from './topics.ts';
import type { BotDeps } from './deps.ts';

export type Marker =
  | { kind: 'merge' }
  | { kind: 'check'; check: CheckName; pipelineId: number }
  | { kind: 'plan-file'; planJobId: number }
  | { kind: 'out-of-band'; pipelineId: number };

/** The audit action that records the marker. */
function actionOf(marker: Marker): string {
  switch (marker.kind) {
    case 'merge':
      return 'merge';
    case 'check':
      return `check:${marker.check}:${marker.pipelineId}`;
    case 'plan-file':
      return `upload:plan-job:${marker.planJobId}`;
    case 'out-of-band':
      return `out-of-band-deploy:${marker.pipelineId}`;
  }
}

/** The entry that marked it done, if it was. */
export function markedDone(deps: Pick<BotDeps, 'store'>, requestId: string, marker: Marker): AuditEntry | undefined {
  const action = actionOf(marker);
  return deps.store.audit.list(requestId).find((e) => e.action === action);
}

export function markDone(deps: Pick<BotDeps, 'store' | 'now'>, requestId: string, marker: Marker, outcome: 'ok' | 'error', detail: string): void {
  deps.store.audit.record({ at: deps.now().toISOString(), requestId, actor: 'bot', action: actionOf(marker), outcome, detail });
}
