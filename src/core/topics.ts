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
  compliance: (pipelineId: number) => `compliance:${pipelineId}`,
  plan: (pipelineId: number) => `plan:${pipelineId}`,
  approval: (pipelineId: number) => `approval:${pipelineId}`,
  failedJob: (jobId: number) => `failed:${jobId}`,
  deploy: (pipelineId: number) => `deploy:${pipelineId}`,
  check: (name: CheckName, pipelineId: number) => `${name}:${pipelineId}`,
  /** In the channel itself: a deploy played outside Slack. */
  outOfBandAlert: (pipelineId: number) => `alert:out-of-band:${pipelineId}`,
} as const;
