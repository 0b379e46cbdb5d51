/**
 * A deploy job that ran without an approval the bot recorded: someone allowed to play
 * manual jobs in GitLab went around the gate. It is marked once per pipeline, in the
 * audit trail, naming who played it as GitLab says; the thread and the channel then show
 * it, and its merge request is not merged by the bot.
 */
import { DEPLOY_JOB } from '../domain/request.ts';
import type { BotDeps } from './deps.ts';
import { markDone, markedDone } from './markers.ts';
import type { PipelineFacts } from './pipeline.ts';

/** Deploy job statuses that mean it was played. */
const PLAYED = new Set(['pending', 'preparing', 'waiting_for_resource', 'running', 'success', 'failed']);

export interface OutOfBandDeploy {
  /** The GitLab user who played the deploy job, or null when GitLab does not say. */
  by: string | null;
  at: string;
}

/** Marks the pipeline's deploy as played outside Slack when it was; true the first time. */
export function noteOutOfBandDeploy(deps: BotDeps, requestId: string, facts: PipelineFacts): boolean {
  const deploy = facts.jobsByName.get(DEPLOY_JOB);
  if (!deploy || !PLAYED.has(deploy.status)) return false;
  const marker = { kind: 'out-of-band', pipelineId: facts.pipeline.id } as const;
  if (markedDone(deps, requestId, marker)) return false;
  const playedByBot = deps.store.audit.list(requestId).some((e) => e.action === 'play' && e.outcome === 'ok' && e.detail === `job ${deploy.id}`);
  if (playedByBot) return false;
  const by = deploy.user?.username ?? null;
  markDone(deps, requestId, marker, 'error', by ?? '');
  deps.log.error({ requestId, jobId: deploy.id, playedBy: by }, 'the deploy job ran without an approval recorded by Portcullis');
  return true;
}

/** The deploy of this pipeline that was played outside Slack, if it was. */
export function outOfBandDeploy(deps: Pick<BotDeps, 'store'>, requestId: string, pipelineId: number): OutOfBandDeploy | null {
  const entry = markedDone(deps, requestId, { kind: 'out-of-band', pipelineId });
  return entry ? { by: entry.detail === '' ? null : entry.detail, at: entry.at } : null;
}
