/**
 * A deploy job that ran without an approval the bot recorded: someone allowed to play
 * manual jobs in GitLab went around the gate. It is marked once per pipeline, in the
 * audit trail, naming who played it as GitLab says; the thread and the channel then show
 * it, and its merge request is not merged by the bot.
 */
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

/** Any environment's deploy job: `deploy`, `deploy:<environment>`. */
const DEPLOY_JOB_NAME = /^deploy(:|$)/;

/**
 * Marks the pipeline's deploy as played outside Slack when it was; true the first time.
 * Every environment's deploy job counts, not only the request's: a deploy of another
 * environment played in this pipeline went around that environment's approvers.
 */
export function noteOutOfBandDeploy(deps: BotDeps, requestId: string, facts: PipelineFacts): boolean {
  const marker = { kind: 'out-of-band', pipelineId: facts.pipeline.id } as const;
  if (markedDone(deps, requestId, marker)) return false;
  const plays = deps.store.audit.list(requestId).filter((e) => e.action === 'play' && e.outcome === 'ok');
  const deploy = facts.jobs.find((j) => DEPLOY_JOB_NAME.test(j.name) && PLAYED.has(j.status) && !plays.some((e) => e.detail === `job ${j.id}`));
  if (!deploy) return false;
  const by = deploy.user?.username ?? null;
  markDone(deps, requestId, marker, 'error', by ?? '');
  deps.log.error({ requestId, jobId: deploy.id, job: deploy.name, playedBy: by }, 'the deploy job ran without an approval recorded by Portcullis');
  return true;
}

/** The deploy of this pipeline that was played outside Slack, if it was. */
export function outOfBandDeploy(deps: Pick<BotDeps, 'store'>, requestId: string, pipelineId: number): OutOfBandDeploy | null {
  const entry = markedDone(deps, requestId, { kind: 'out-of-band', pipelineId });
  return entry ? { by: entry.detail === '' ? null : entry.detail, at: entry.at } : null;
}
