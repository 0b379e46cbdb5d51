/**
 * REST entities, shaped like GitLab's Grape entities (API::Entities::*) as gitbeaker
 * types them. Rendered from the records on every request.
 */
import type { GitLabData } from './data.ts';
import { latestJobs, seconds, type Job, type MergeRequest, type Note, type Pipeline, type PipelineStatus, type User } from './model.ts';
import type { Commit } from './repository/store.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function userEntity(data: GitLabData, user: User) {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    state: 'active',
    locked: false,
    avatar_url: null,
    web_url: `${data.baseUrl}/${user.username}`,
  };
}

export function projectEntity(data: GitLabData) {
  const p = data.project;
  const [namespace = '', name = p.pathWithNamespace] = splitPath(p.pathWithNamespace);
  return {
    id: p.id,
    description: null,
    name,
    name_with_namespace: `${namespace} / ${name}`,
    path: name,
    path_with_namespace: p.pathWithNamespace,
    created_at: iso(new Date(0)),
    default_branch: p.defaultBranch,
    ci_config_path: p.ciConfigPath,
    web_url: p.webUrl,
    http_url_to_repo: `${p.webUrl}.git`,
    ssh_url_to_repo: `git@127.0.0.1:${p.pathWithNamespace}.git`,
    namespace: { id: 1, name: namespace, path: namespace, kind: 'group', full_path: namespace },
    visibility: 'private',
    archived: false,
    only_allow_merge_if_pipeline_succeeds: p.onlyAllowMergeIfPipelineSucceeds,
    merge_method: 'merge',
  };
}

export function commitEntity(data: GitLabData, commit: Commit) {
  return {
    id: commit.id,
    short_id: commit.id.slice(0, 8),
    created_at: iso(commit.createdAt),
    parent_ids: commit.parentIds,
    title: commit.title,
    message: commit.message,
    author_name: commit.authorName,
    author_email: commit.authorEmail,
    authored_date: iso(commit.createdAt),
    committer_name: commit.authorName,
    committer_email: commit.authorEmail,
    committed_date: iso(commit.createdAt),
    trailers: {},
    extended_trailers: {},
    web_url: data.webUrl(`commit/${commit.id}`),
  };
}

export function branchEntity(data: GitLabData, name: string, commit: Commit) {
  const isDefault = name === data.project.defaultBranch;
  const defaultHead = data.repo.branchHead(data.project.defaultBranch);
  return {
    name,
    merged: !isDefault && defaultHead !== undefined && isAncestor(data, commit.id, defaultHead.id),
    protected: isDefault,
    default: isDefault,
    developers_can_push: false,
    developers_can_merge: false,
    can_push: true,
    web_url: data.webUrl(`tree/${encodeURIComponent(name)}`),
    commit: commitEntity(data, commit),
  };
}

function isAncestor(data: GitLabData, sha: string, of: string): boolean {
  const seen = new Set<string>();
  const queue = [of];
  while (queue.length > 0) {
    const current = queue.shift()!;
    if (current === sha) return true;
    if (seen.has(current)) continue;
    seen.add(current);
    queue.push(...(data.repo.commit(current)?.parentIds ?? []));
  }
  return false;
}

export function mergeRequestEntity(data: GitLabData, mr: MergeRequest) {
  const sha = data.mergeRequestSha(mr);
  const base = data.repo.branchHead(mr.targetBranch)?.id ?? null;
  const headPipeline = sha === null ? undefined : data.latestPipelineFor(mr.sourceBranch, sha);
  const user = userEntity(data, mr.author);
  return {
    id: mr.id,
    iid: mr.iid,
    project_id: data.project.id,
    title: mr.title,
    description: mr.description,
    state: mr.state,
    created_at: iso(mr.createdAt),
    updated_at: iso(mr.updatedAt),
    merged_at: iso(mr.mergedAt),
    closed_at: iso(mr.closedAt),
    merged_by: mr.state === 'merged' ? user : null,
    merge_user: mr.state === 'merged' ? user : null,
    closed_by: mr.state === 'closed' ? user : null,
    target_branch: mr.targetBranch,
    source_branch: mr.sourceBranch,
    source_project_id: data.project.id,
    target_project_id: data.project.id,
    author: user,
    assignees: [],
    assignee: null,
    reviewers: [],
    labels: mr.labels,
    draft: /^(draft:|\[draft\]|\(draft\))/i.test(mr.title),
    work_in_progress: /^(draft:|\[draft\]|\(draft\))/i.test(mr.title),
    merge_when_pipeline_succeeds: false,
    merge_status: mr.state === 'opened' ? 'can_be_merged' : 'cannot_be_merged',
    detailed_merge_status: mr.state === 'opened' ? 'mergeable' : 'not_open',
    has_conflicts: false,
    sha,
    merge_commit_sha: mr.mergeCommitSha,
    squash_commit_sha: null,
    should_remove_source_branch: mr.removeSourceBranch,
    force_remove_source_branch: mr.removeSourceBranch,
    user_notes_count: mr.notes.length,
    references: { short: `!${mr.iid}`, relative: `!${mr.iid}`, full: `${data.project.pathWithNamespace}!${mr.iid}` },
    web_url: data.webUrl(`merge_requests/${mr.iid}`),
    diff_refs: sha === null ? null : { base_sha: base, head_sha: sha, start_sha: base },
    head_pipeline: headPipeline ? pipelineEntity(data, headPipeline) : null,
    pipeline: headPipeline ? basicPipelineEntity(data, headPipeline) : null,
  };
}

export function noteEntity(data: GitLabData, mr: MergeRequest, note: Note) {
  return {
    id: note.id,
    type: null,
    body: note.body,
    attachment: null,
    author: userEntity(data, note.author),
    created_at: iso(note.createdAt),
    updated_at: iso(note.updatedAt),
    system: false,
    noteable_id: mr.id,
    noteable_type: 'MergeRequest',
    noteable_iid: mr.iid,
    project_id: data.project.id,
    resolvable: false,
    confidential: false,
    internal: false,
  };
}

export function basicPipelineEntity(data: GitLabData, p: Pipeline) {
  return {
    id: p.id,
    iid: p.iid,
    project_id: p.projectId,
    sha: p.sha,
    ref: p.ref,
    status: p.status,
    source: p.source,
    created_at: iso(p.createdAt),
    updated_at: iso(p.updatedAt),
    web_url: data.webUrl(`pipelines/${p.id}`),
  };
}

export function pipelineEntity(data: GitLabData, p: Pipeline) {
  return {
    ...basicPipelineEntity(data, p),
    before_sha: p.beforeSha,
    tag: false,
    yaml_errors: p.yamlErrors,
    user: userEntity(data, p.user),
    started_at: iso(p.startedAt),
    finished_at: iso(p.finishedAt),
    committed_at: null,
    duration: p.startedAt && p.finishedAt ? Math.round(seconds(p.startedAt, p.finishedAt)!) : null,
    queued_duration: seconds(p.createdAt, p.startedAt),
    coverage: null,
    detailed_status: detailedStatus(data, p.status, `pipelines/${p.id}`),
  };
}

/** The `detailed_status` block (Gitlab::Ci::Status::*); "blocked" is the manual pipeline. */
export function detailedStatus(data: GitLabData, status: PipelineStatus, path: string) {
  const label = STATUS_LABELS[status];
  return {
    icon: `status_${status}`,
    text: label.text,
    label: label.label,
    group: status,
    tooltip: label.label,
    has_details: true,
    details_path: `/${data.project.pathWithNamespace}/-/${path}`,
    illustration: null,
    favicon: `/assets/ci_favicons/favicon_status_${status}.png`,
  };
}

const STATUS_LABELS: Record<PipelineStatus, { text: string; label: string }> = {
  created: { text: 'Created', label: 'created' },
  pending: { text: 'Pending', label: 'pending' },
  running: { text: 'Running', label: 'running' },
  success: { text: 'Passed', label: 'passed' },
  failed: { text: 'Failed', label: 'failed' },
  canceled: { text: 'Canceled', label: 'canceled' },
  skipped: { text: 'Skipped', label: 'skipped' },
  manual: { text: 'Blocked', label: 'waiting for manual action' },
};

export function jobEntity(data: GitLabData, job: Job, pipeline: Pipeline) {
  const commit = data.repo.commit(pipeline.sha);
  const size = [...job.artifacts.values()].reduce((n, b) => n + b.length, 0);
  const hasArtifacts = job.artifacts.size > 0;
  return {
    id: job.id,
    status: job.status,
    stage: job.stage,
    name: job.name,
    ref: pipeline.ref,
    tag: false,
    coverage: null,
    allow_failure: job.allowFailure,
    created_at: iso(job.createdAt),
    started_at: iso(job.startedAt),
    finished_at: iso(job.finishedAt),
    erased_at: null,
    duration: seconds(job.startedAt, job.finishedAt),
    queued_duration: seconds(job.queuedAt, job.startedAt),
    user: userEntity(data, job.user),
    commit: commit ? commitEntity(data, commit) : null,
    pipeline: basicPipelineEntity(data, pipeline),
    web_url: data.webUrl(`jobs/${job.id}`),
    project: { ci_job_token_scope_enabled: false },
    artifacts: hasArtifacts
      ? [
          { file_type: 'archive', size, filename: 'artifacts.zip', file_format: 'zip' },
          { file_type: 'metadata', size: 200, filename: 'metadata.gz', file_format: 'gzip' },
          { file_type: 'trace', size: job.trace.join('\n').length, filename: 'job.log', file_format: null },
        ]
      : [],
    artifacts_file: hasArtifacts ? { filename: 'artifacts.zip', size } : undefined,
    artifacts_expire_at: null,
    archived: false,
    tag_list: [],
    runner: null,
    runner_manager: null,
    failure_reason: job.failureReason ?? undefined,
    ...(job.bridge ? { downstream_pipeline: bridgeDownstream(data, job) } : {}),
  };
}

function bridgeDownstream(data: GitLabData, bridge: Job) {
  const child = data.pipelines.find((p) => p.id === bridge.downstreamPipelineId);
  return child ? basicPipelineEntity(data, child) : null;
}

export function pipelineJobsFor(pipeline: Pipeline, opts: { bridges: boolean; includeRetried: boolean; scope: string[] }): Job[] {
  const jobs = opts.includeRetried ? pipeline.jobs : latestJobs(pipeline);
  return jobs.filter((j) => j.bridge === opts.bridges && (opts.scope.length === 0 || opts.scope.includes(j.status)));
}

function splitPath(path: string): [string, string] {
  const i = path.lastIndexOf('/');
  return i < 0 ? ['', path] : [path.slice(0, i), path.slice(i + 1)];
}
