/**
 * GitLab's scheduling rules, as pure functions over a pipeline's jobs: when a job may
 * start (its `needs`, else every job of the earlier stages) and the pipeline's composite
 * status (Gitlab::Ci::Status::Composite), where a waiting blocking manual job makes the
 * pipeline `manual` ("blocked").
 */
import { FINISHED_STATUSES, latestJobs, type Job, type Pipeline, type PipelineStatus } from '../model.ts';

/** A manual job that does not allow failure holds back everything after it. */
/** Done, as far as a later job waiting on it is concerned. */
function settled(job: Job): boolean {
  return FINISHED_STATUSES.has(job.status) || (job.status === 'manual' && job.allowFailure);
}

function failedHard(job: Job): boolean {
  return (job.status === 'failed' && !job.allowFailure) || job.status === 'canceled';
}

export type Readiness = 'wait' | 'succeeded' | 'failed';

/** Whether the jobs a created job waits for are all settled, and how they went. */
export function readiness(pipeline: Pipeline, job: Job): Readiness {
  const jobs = latestJobs(pipeline);
  const prerequisites =
    job.needs !== null
      ? jobs.filter((j) => job.needs!.includes(j.name))
      : jobs.filter((j) => pipeline.stages.indexOf(j.stage) < pipeline.stages.indexOf(job.stage));
  if (!prerequisites.every(settled)) return 'wait';
  // A job that needs a skipped job is skipped too; a skipped job of an earlier stage
  // (say an on_failure job in a green pipeline) holds nothing back.
  const skippedNeed = job.needs !== null && prerequisites.some((j) => j.status === 'skipped');
  return skippedNeed || prerequisites.some(failedHard) ? 'failed' : 'succeeded';
}

/**
 * Gitlab::Ci::Status::Composite over the latest jobs. A failed job that may fail and an
 * optional manual job count as "ignored".
 */
export function compositeStatus(pipeline: Pipeline): PipelineStatus {
  const statuses = latestJobs(pipeline).map((j) =>
    (j.status === 'failed' || j.status === 'manual') && j.allowFailure ? 'ignored' : j.status,
  );
  const onlyOf = (...allowed: string[]) => statuses.every((s) => s === 'ignored' || allowed.includes(s));
  const anyOf = (...wanted: string[]) => statuses.some((s) => wanted.includes(s));
  if (statuses.length === 0 || onlyOf('skipped')) return 'skipped';
  if (onlyOf('success', 'skipped')) return 'success';
  if (onlyOf('created')) return 'created';
  if (onlyOf('canceled', 'success', 'skipped')) return 'canceled';
  if (onlyOf('pending', 'created', 'skipped')) return 'pending';
  if (anyOf('running', 'pending')) return 'running';
  if (anyOf('manual')) return 'manual';
  if (anyOf('created')) return 'running';
  return 'failed';
}
