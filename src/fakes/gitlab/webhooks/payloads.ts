/**
 * Pipeline Hook and Job Hook bodies as GitLab builds them (Gitlab::DataBuilder::Pipeline
 * and ::Build), key for key as its webhook documentation shows
 * them (checked against the documented payloads in tests/conformance/). Pipeline Hooks
 * use the "2016-08-12 15:23:28 UTC" timestamp style, Job Hooks ISO 8601 with `_iso`
 * twins, as documented. A child pipeline's hooks carry `source_pipeline`. The Job
 * Hook's `commit.id` is the pipeline id, as in GitLab.
 */
import type { GitLabData } from '../data.ts';
import { latestJobs, seconds, type Job, type Pipeline, type User } from '../model.ts';

const hookTime = (d: Date | null) => (d ? `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC` : null);
const hookIso = (d: Date | null) => (d ? d.toISOString().replace(/\.\d+Z$/, 'Z') : null);
const hookIsoMs = (d: Date | null) => (d ? d.toISOString() : null);

const DETAILED_STATUS: Record<string, string> = {
  success: 'passed',
  manual: 'waiting for manual action',
};

function hookUser(user: User) {
  return { id: user.id, name: user.name, username: user.username, avatar_url: null, email: user.email };
}

function hookProject(data: GitLabData) {
  const p = data.project;
  const namespace = p.pathWithNamespace.split('/').slice(0, -1).join('/');
  return {
    id: p.id,
    name: p.pathWithNamespace.split('/').pop(),
    description: null,
    web_url: p.webUrl,
    avatar_url: null,
    git_ssh_url: `git@127.0.0.1:${p.pathWithNamespace}.git`,
    git_http_url: `${p.webUrl}.git`,
    namespace,
    visibility_level: 0,
    path_with_namespace: p.pathWithNamespace,
    default_branch: p.defaultBranch,
    ci_config_path: p.ciConfigPath,
  };
}

/** The runner that picked a job up; none before it started, and never for a bridge. */
function hookRunner(job: Job) {
  if (job.bridge || !job.startedAt) return null;
  return { id: 1, description: 'portcullis-fake-runner', runner_type: 'instance_type', active: true, is_shared: true, tags: [] as string[] };
}

function hookEnvironment(job: Job) {
  return job.environment ? { name: job.environment.name, action: job.environment.action, deployment_tier: job.environment.tier } : null;
}

/** `source_pipeline` of a child pipeline: its parent and the trigger job that started it. */
function sourcePipeline(data: GitLabData, pipeline: Pipeline) {
  if (!pipeline.upstream) return {};
  const p = data.project;
  return {
    source_pipeline: {
      project: { id: p.id, web_url: p.webUrl, path_with_namespace: p.pathWithNamespace },
      job_id: pipeline.upstream.jobId,
      pipeline_id: pipeline.upstream.pipelineId,
    },
  };
}

export function pipelineHookPayload(data: GitLabData, pipeline: Pipeline) {
  const commit = data.repo.commit(pipeline.sha)!;
  const mr = pipeline.mergeRequestIid === null ? undefined : data.mergeRequests.find((m) => m.iid === pipeline.mergeRequestIid);
  return {
    object_kind: 'pipeline',
    object_attributes: {
      id: pipeline.id,
      iid: pipeline.iid,
      name: null,
      ref: pipeline.ref,
      tag: false,
      sha: pipeline.sha,
      before_sha: pipeline.beforeSha,
      source: pipeline.source,
      status: pipeline.status,
      detailed_status: DETAILED_STATUS[pipeline.status] ?? pipeline.status,
      stages: pipeline.stages,
      created_at: hookTime(pipeline.createdAt),
      finished_at: hookTime(pipeline.finishedAt),
      duration: pipeline.startedAt && pipeline.finishedAt ? Math.round(seconds(pipeline.startedAt, pipeline.finishedAt)!) : null,
      queued_duration: seconds(pipeline.createdAt, pipeline.startedAt),
      protected_ref: pipeline.ref === data.project.defaultBranch,
      variables: pipeline.variables.map((v) => ({ key: v.key, value: v.value })),
      url: data.webUrl(`pipelines/${pipeline.id}`),
    },
    merge_request: mr
      ? {
          id: mr.id,
          iid: mr.iid,
          title: mr.title,
          source_branch: mr.sourceBranch,
          source_project_id: data.project.id,
          target_branch: mr.targetBranch,
          target_project_id: data.project.id,
          state: mr.state,
          merge_status: 'can_be_merged',
          detailed_merge_status: 'mergeable',
          url: data.webUrl(`merge_requests/${mr.iid}`),
        }
      : null,
    user: hookUser(pipeline.user),
    project: hookProject(data),
    commit: {
      id: commit.id,
      message: commit.message,
      timestamp: hookIso(commit.createdAt),
      url: data.webUrl(`commit/${commit.id}`),
      author: { name: commit.authorName, email: commit.authorEmail },
    },
    ...sourcePipeline(data, pipeline),
    // Bridges (trigger jobs) are not builds.
    builds: latestJobs(pipeline)
      .filter((j) => !j.bridge)
      .map((job) => ({
        id: job.id,
        stage: job.stage,
        name: job.name,
        status: job.status,
        created_at: hookTime(job.createdAt),
        started_at: hookTime(job.startedAt),
        finished_at: hookTime(job.finishedAt),
        duration: seconds(job.startedAt, job.finishedAt),
        queued_duration: seconds(job.queuedAt, job.startedAt),
        // Always sent: the reason for a failed job, else null.
        failure_reason: job.status === 'failed' ? (job.failureReason ?? 'unknown_failure') : null,
        when: job.when,
        manual: job.when === 'manual',
        allow_failure: job.allowFailure,
        user: hookUser(job.user),
        runner: hookRunner(job),
        artifacts_file: { filename: job.artifacts.size > 0 ? 'artifacts.zip' : null, size: job.artifacts.size > 0 ? [...job.artifacts.values()].reduce((n, b) => n + b.length, 0) : null },
        environment: hookEnvironment(job),
      })),
  };
}

export function jobHookPayload(data: GitLabData, job: Job, pipeline: Pipeline) {
  const commit = data.repo.commit(pipeline.sha)!;
  const project = hookProject(data);
  return {
    object_kind: 'build',
    ref: pipeline.ref,
    tag: false,
    before_sha: pipeline.beforeSha,
    sha: pipeline.sha,
    retries_count: job.retriesCount,
    build_id: job.id,
    build_name: job.name,
    build_stage: job.stage,
    build_status: job.status,
    build_created_at: hookIsoMs(job.createdAt),
    build_started_at: hookIsoMs(job.startedAt),
    build_finished_at: hookIsoMs(job.finishedAt),
    build_created_at_iso: hookIso(job.createdAt),
    build_started_at_iso: hookIso(job.startedAt),
    build_finished_at_iso: hookIso(job.finishedAt),
    build_duration: seconds(job.startedAt, job.finishedAt),
    build_queued_duration: seconds(job.queuedAt, job.startedAt),
    build_allow_failure: job.allowFailure,
    build_failure_reason: job.failureReason ?? 'unknown_failure',
    pipeline_id: pipeline.id,
    runner: hookRunner(job),
    project_id: data.project.id,
    project_name: `${project.namespace.replace(/\//g, ' / ')} / ${project.name}`,
    user: hookUser(job.user),
    commit: {
      id: pipeline.id,
      name: null,
      sha: pipeline.sha,
      message: commit.message,
      author_name: commit.authorName,
      author_email: commit.authorEmail,
      author_url: `mailto:${commit.authorEmail}`,
      status: pipeline.status,
      duration: pipeline.startedAt && pipeline.finishedAt ? Math.round(seconds(pipeline.startedAt, pipeline.finishedAt)!) : null,
      started_at: hookIsoMs(pipeline.startedAt),
      finished_at: hookIsoMs(pipeline.finishedAt),
      started_at_iso: hookIso(pipeline.startedAt),
      finished_at_iso: hookIso(pipeline.finishedAt),
    },
    repository: {
      name: project.name,
      url: project.git_ssh_url,
      description: null,
      homepage: project.web_url,
      git_http_url: project.git_http_url,
      git_ssh_url: project.git_ssh_url,
      visibility_level: 0,
    },
    project,
    environment: hookEnvironment(job),
    ...sourcePipeline(data, pipeline),
  };
}
