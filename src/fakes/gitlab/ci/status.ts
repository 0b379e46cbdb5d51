/**
 * GitLab's scheduling rules, as pure functions over a pipeline's jobs: when a job may
 * start (its `needs`, else every job of the earlier stages) and the pipeline's composite
 * status (Gitlab::Ci::Status::Composite), where a waiting blocking manual job makes the
 * pipeline `manual` ("blocked").
 */
import { FINISHED_STATUSES, latestJobs, type Job, type Pipeline, type PipelineStatus } from '../model.ts';

/** A manual job that does not allow failure holds back everything after it. */
export const isBlockingManual = (job: Job) => job.status === 'manual' && !job.allowFailure;

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

export function compositeStatus(pipeline: Pipeline): PipelineStatus {
  const jobs = latestJobs(pipeline);
  const has = (s: string) => jobs.some((j) => j.status === s);
  if (jobs.length === 0) return 'skipped';
  if (has('running')) return 'running';
  if (has('pending')) return jobs.some((j) => FINISHED_STATUSES.has(j.status)) ? 'running' : 'pending';
  if (jobs.some(isBlockingManual)) return 'manual';
  if (jobs.some((j) => j.status === 'failed' && !j.allowFailure)) return 'failed';
  if (has('canceled')) return 'canceled';
  if (jobs.every((j) => j.status === 'created')) return 'created';
  if (has('created')) return 'running';
  if (jobs.every((j) => j.status === 'skipped')) return 'skipped';
  return 'success';
}
