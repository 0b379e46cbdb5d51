/**
 * The topics of a request's Slack messages: one message per (request, topic), posted once
 * and edited in place (converge.ts). Every topic is built here, so a message can be found
 * again by whoever renders it next.
 */

/** The post-deploy checks, each posted once per pipeline. */
export type CheckName = 'consistency' | 'services';

export const topics = {
  /** The request's parent message in the channel. */
  parent: 'parent',
  /** Why GitLab could not take the request, in its thread. */
  submitError: 'submit-error',
  started: (pipelineId: number) => `started:${pipelineId}`,
  /** A compliance job's report: a job run again reports again. */
  compliance: (pipelineId: number, complianceJobId: number) => `compliance:${pipelineId}:${complianceJobId}`,
  /** A plan job's summary: a plan job run again in the same pipeline is a new plan, shown again. */
  plan: (pipelineId: number, planJobId: number) => `plan:${pipelineId}:${planJobId}`,
  /**
   * The approval of one plan: a pipeline's plan job. Without a plan job (none yet, or a
   * request waiting since before plan jobs were named), the pipeline's alone.
   */
  approval: (pipelineId: number, planJobId: number | null) => (planJobId === null ? `approval:${pipelineId}` : `approval:${pipelineId}:${planJobId}`),
  failedJob: (jobId: number) => `failed:${jobId}`,
  deploy: (pipelineId: number) => `deploy:${pipelineId}`,
  check: (name: CheckName, pipelineId: number) => `${name}:${pipelineId}`,
  /** In the channel itself: a deploy played outside Slack. */
  outOfBandAlert: (pipelineId: number) => `alert:out-of-band:${pipelineId}`,
} as const;
