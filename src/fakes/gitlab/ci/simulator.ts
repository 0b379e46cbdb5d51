/**
 * The pipeline simulator: creates a pipeline's jobs from the CI file at the pipeline's
 * commit and moves them through GitLab's statuses on timers (created -> pending ->
 * running -> success/failed; manual jobs wait in `manual`), stage by stage or by
 * `needs`. A trigger job starts a child pipeline (`trigger: include`) that runs the
 * same way. Every status change is reported to the listener (webhooks).
 */
import type { GitLabData } from '../data.ts';
import { apiError, forbidden } from '../http/errors.ts';
import { FINISHED_STATUSES, latestJobs, type Job, type JobStatus, type Pipeline, type PipelineSource, type User, type Variable } from '../model.ts';
import { filesOf, sameBytes, type Commit } from '../repository/store.ts';
import type { Timers } from '../timers.ts';
import { CiConfigError, parseCiConfig, parseCiFiles, selectJobs, type CiConfig, type CiJobSpec, type TriggerSpec } from './config.ts';
import { runJob, type JobScript } from './job-runner.ts';
import type { JobBehaviour } from './simulated-jobs.ts';
import { compositeStatus, readiness } from './status.ts';

export interface SimulatorListener {
  jobChanged(job: Job, pipeline: Pipeline): void;
  pipelineChanged(pipeline: Pipeline): void;
}

export interface SimulatorDeps {
  data: GitLabData;
  timers: Timers;
  listener: SimulatorListener;
  behaviourFor: (job: Job) => JobBehaviour;
  /** The CI file used when the commit has none at the project's CI config path. */
  fallbackCiConfig: string | undefined;
  jobDurationMs: number;
}

// CommitStatus's cancel event also takes manual jobs: a canceled pipeline cannot be deployed.
const CANCELABLE = new Set<JobStatus>(['created', 'pending', 'running', 'manual']);
const RETRYABLE = new Set<JobStatus>(['success', 'failed', 'canceled']);
/** How long a job sits in `pending` before a runner picks it up. */
const QUEUE_MS = 2;

export class PipelineSimulator {
  readonly scripts = new Map<string, JobScript>();
  private readonly specs = new Map<number, CiConfig>();

  constructor(private readonly deps: SimulatorDeps) {}

  create(ref: string, opts: { source: PipelineSource; variables: Variable[]; user: User; mergeRequestIid?: number }): Pipeline {
    const { data } = this.deps;
    const commit = data.repo.branchHead(ref);
    if (!commit) throw apiError(400, { base: ['Reference not found'] });
    const text = commit.tree.get(data.project.ciConfigPath)?.toString('utf8') ?? this.deps.fallbackCiConfig;
    if (text === undefined) throw apiError(400, { base: ['Missing CI config file'] });
    let config: CiConfig;
    try {
      config = selectJobs(parseCiConfig(text), (compareTo) => this.changedPaths(commit, opts.source, compareTo));
      if (config.jobs.length === 0) throw new CiConfigError('No stages / jobs for this pipeline.');
    } catch (err) {
      if (err instanceof CiConfigError) throw apiError(400, { base: [err.message] });
      throw err;
    }
    return this.instantiate(config, { ...opts, ref, sha: commit.id, beforeSha: commit.parentIds[0], upstream: null });
  }

  /**
   * The paths `rules: changes` sees (Ci::Pipeline#modified_paths_since / #modified_paths):
   * with compare_to, from the merge base with that ref to the commit; without, a push
   * compares with the commit before it, and any other source counts as all changed (null).
   */
  private changedPaths(commit: Commit, source: PipelineSource, compareTo: string | null): string[] | null {
    const { repo } = this.deps.data;
    let base: Commit | undefined;
    if (compareTo !== null) {
      const target = repo.resolve(compareTo.replace(/^refs\/heads\//, ''));
      if (!target) throw new CiConfigError(`Failed to parse rule for job: rules:changes:compare_to is not a valid ref`);
      base = repo.mergeBase(target.id, commit.id);
    } else if (source === 'push') {
      base = commit.parentIds[0] === undefined ? undefined : repo.commit(commit.parentIds[0]);
      if (!base) return null;
    } else {
      return null;
    }
    const before = base?.tree ?? new Map<string, Buffer>();
    const paths = new Set([...before.keys(), ...commit.tree.keys()]);
    return [...paths].filter((path) => !sameBytes(before.get(path), commit.tree.get(path)));
  }

  private instantiate(
    config: CiConfig,
    opts: { ref: string; sha: string; beforeSha: string | undefined; source: PipelineSource; variables: Variable[]; user: User; mergeRequestIid?: number; upstream: Pipeline['upstream'] },
  ): Pipeline {
    const { data } = this.deps;
    const now = new Date();
    const pipeline: Pipeline = {
      id: data.nextId('pipeline'),
      iid: data.pipelines.length + 1,
      projectId: data.project.id,
      ref: opts.ref,
      sha: opts.sha,
      beforeSha: opts.beforeSha ?? '0000000000000000000000000000000000000000',
      source: opts.source,
      upstream: opts.upstream,
      status: 'created',
      stages: config.stages,
      variables: opts.variables,
      yamlVariables: config.variables,
      yamlErrors: null,
      mergeRequestIid: opts.mergeRequestIid ?? null,
      user: opts.user,
      createdAt: now,
      updatedAt: now,
      startedAt: null,
      finishedAt: null,
      jobs: [],
    };
    pipeline.jobs = config.jobs.map((spec) => this.newJob(pipeline, spec, opts.user));
    data.pipelines.push(pipeline);
    this.specs.set(pipeline.id, config);
    // Answer the API first, as GitLab does: processing starts right after creation.
    this.deps.timers.after(0, () => this.advance(pipeline));
    return pipeline;
  }

  play(pipeline: Pipeline, job: Job, variables: Variable[], user: User): void {
    if (job.status !== 'manual') throw apiError(400, '400 Bad request - Unplayable Job');
    job.playVariables = variables;
    job.user = user;
    this.enqueue(pipeline, job);
  }

  cancelJob(pipeline: Pipeline, job: Job): void {
    if (!CANCELABLE.has(job.status)) return;
    this.setStatus(pipeline, job, 'canceled');
    this.advance(pipeline);
  }

  /** Cancels the pipeline and, as GitLab does, the child pipelines its bridges started. */
  cancelPipeline(pipeline: Pipeline): void {
    for (const job of latestJobs(pipeline)) {
      const child = job.downstreamPipelineId === null ? undefined : this.deps.data.pipelines.find((p) => p.id === job.downstreamPipelineId);
      if (child && !FINISHED_STATUSES.has(child.status)) this.cancelPipeline(child);
    }
    for (const job of latestJobs(pipeline)) if (CANCELABLE.has(job.status)) this.setStatus(pipeline, job, 'canceled');
    this.advance(pipeline);
  }

  retryJob(pipeline: Pipeline, job: Job, user: User): Job {
    if (job.retried || !RETRYABLE.has(job.status)) throw forbidden('Job is not retryable');
    const fresh = this.replace(pipeline, job, user);
    this.resetSkipped(pipeline);
    this.enqueue(pipeline, fresh);
    this.advance(pipeline);
    return fresh;
  }

  retryPipeline(pipeline: Pipeline, user: User): void {
    const failed = latestJobs(pipeline).filter((j) => j.status === 'failed' || j.status === 'canceled');
    if (failed.length === 0) throw forbidden('Pipeline is not retryable');
    for (const job of failed) this.replace(pipeline, job, user);
    this.resetSkipped(pipeline);
    pipeline.finishedAt = null;
    this.advance(pipeline);
  }

  private newJob(pipeline: Pipeline, spec: CiJobSpec, user: User): Job {
    return {
      id: this.deps.data.nextId('job'),
      pipelineId: pipeline.id,
      name: spec.name,
      stage: spec.stage,
      when: spec.when,
      allowFailure: spec.allowFailure,
      needs: spec.needs,
      bridge: spec.trigger !== null,
      downstreamPipelineId: null,
      environment: spec.environment && { ...spec.environment },
      image: spec.trigger ? null : spec.image,
      status: 'created',
      failureReason: null,
      createdAt: new Date(),
      queuedAt: null,
      startedAt: null,
      finishedAt: null,
      retried: false,
      retriesCount: 0,
      user,
      playVariables: [],
      trace: [],
      artifacts: new Map(),
    };
  }

  /** GitLab's retry: a new job of the same name; the old one is kept, marked retried. */
  private replace(pipeline: Pipeline, job: Job, user: User): Job {
    const spec = this.specOf(pipeline, job);
    const fresh = { ...this.newJob(pipeline, spec, user), retriesCount: job.retriesCount + 1, playVariables: job.playVariables };
    job.retried = true;
    pipeline.jobs.push(fresh);
    return fresh;
  }

  /** Jobs skipped because of a failure get another chance once that job is retried. */
  private resetSkipped(pipeline: Pipeline): void {
    for (const job of latestJobs(pipeline)) if (job.status === 'skipped') job.status = 'created';
  }

  private specOf(pipeline: Pipeline, job: Job): CiJobSpec {
    return this.specs.get(pipeline.id)!.jobs.find((s) => s.name === job.name)!;
  }

  /** Starts, parks or skips every created job whose prerequisites are settled. */
  private advance(pipeline: Pipeline): void {
    let moved = true;
    while (moved) {
      moved = false;
      for (const job of latestJobs(pipeline)) {
        if (job.status !== 'created') continue;
        const ready = readiness(pipeline, job);
        if (ready === 'wait') continue;
        moved = true;
        const runs = ready === 'succeeded' ? job.when !== 'on_failure' : job.when === 'on_failure' || job.when === 'always';
        if (!runs) this.setStatus(pipeline, job, 'skipped');
        else if (job.when === 'manual') this.setStatus(pipeline, job, 'manual');
        else this.enqueue(pipeline, job);
      }
    }
    this.updatePipeline(pipeline);
  }

  private enqueue(pipeline: Pipeline, job: Job): void {
    this.setStatus(pipeline, job, 'pending');
    this.deps.timers.after(QUEUE_MS, () => void this.start(pipeline, job));
  }

  private async start(pipeline: Pipeline, job: Job): Promise<void> {
    if (job.status !== 'pending') return;
    const spec = this.specOf(pipeline, job);
    if (spec.trigger) {
      this.triggerChild(pipeline, job, spec, spec.trigger);
      return;
    }
    this.setStatus(pipeline, job, 'running');
    const context = this.jobContext(pipeline, job, spec);
    // Variables may refer to variables (PORTCULLIS_IMAGE: ${CI_REGISTRY_IMAGE}:0.1.0).
    const expand = (text: string) => expandVariables(expandVariables(text, context.variables), context.variables);
    job.image = job.image === null ? null : expand(job.image);
    if (job.environment) job.environment.name = expand(job.environment.name);
    const outcome = await runJob({
      job,
      pipeline,
      script: spec.script,
      artifactsWhen: spec.artifactsWhen,
      behaviour: this.deps.behaviourFor(job),
      scripted: this.scripts.get(job.name),
      durationMs: this.deps.jobDurationMs,
      context,
      projectPath: this.deps.data.project.pathWithNamespace,
      timers: this.deps.timers,
    });
    // No outcome: the job was canceled while it ran.
    if (!outcome) return;
    if (!outcome.ok) job.failureReason = 'script_failure';
    this.setStatus(pipeline, job, outcome.ok ? 'success' : 'failed');
    this.advance(pipeline);
  }

  /**
   * A pending bridge starts its child pipeline (Ci::CreateDownstreamPipelineService):
   * the included files at the parent's sha, on the parent's ref, `source:
   * parent_pipeline`, with the bridge's variables (its own and the top-level ones it
   * inherits, expanded) as pipeline variables. Without `strategy: depend` the bridge
   * succeeds once the child exists; with it the bridge stays pending until the child
   * finishes (see childFinished). A child that cannot be created fails the bridge with
   * `downstream_pipeline_creation_failed`.
   */
  private triggerChild(pipeline: Pipeline, job: Job, spec: CiJobSpec, trigger: TriggerSpec): void {
    const { data } = this.deps;
    const commit = data.repo.commit(pipeline.sha)!;
    let config: CiConfig;
    try {
      if (trigger.unsupported.length > 0) throw new CiConfigError(`the fake runs child pipelines from include: local only, not ${trigger.unsupported.join(', ')}`);
      if (trigger.include.length === 0) throw new CiConfigError('Included file is empty or does not exist');
      config = selectJobs(
        parseCiFiles(
          trigger.include.map((path) => {
            const file = commit.tree.get(path);
            if (!file) throw new CiConfigError(`Local file \`${path}\` does not exist!`);
            return file.toString('utf8');
          }),
        ),
        (compareTo) => this.changedPaths(commit, 'parent_pipeline', compareTo),
      );
      if (config.jobs.length === 0) throw new CiConfigError('No stages / jobs for this pipeline.');
    } catch (err) {
      if (!(err instanceof CiConfigError)) throw err;
      job.trace.push(`Downstream pipeline cannot be created: ${err.message}`);
      job.failureReason = 'downstream_pipeline_creation_failed';
      this.setStatus(pipeline, job, 'failed');
      this.advance(pipeline);
      return;
    }
    const context = this.jobContext(pipeline, job, spec);
    const expand = (text: string) => expandVariables(expandVariables(text, context.variables), context.variables);
    const inherited = Object.entries(pipeline.yamlVariables).filter(([key]) => spec.inheritVariables === true || (Array.isArray(spec.inheritVariables) && spec.inheritVariables.includes(key)));
    const passed = new Map([...inherited, ...Object.entries(spec.variables)].map(([key, value]) => [key, expand(value)]));
    const child = this.instantiate(config, {
      ref: pipeline.ref,
      sha: pipeline.sha,
      beforeSha: pipeline.beforeSha,
      source: 'parent_pipeline',
      variables: [...passed].map(([key, value]) => ({ key, value, variable_type: 'env_var' as const })),
      user: job.user,
      upstream: { pipelineId: pipeline.id, jobId: job.id },
    });
    job.downstreamPipelineId = child.id;
    if (!trigger.depend) {
      this.setStatus(pipeline, job, 'success');
      this.advance(pipeline);
    }
  }

  /** A finished child hands its status to a `strategy: depend` bridge (Ci::Bridge#inherit_status_from_downstream!). */
  private childFinished(child: Pipeline): void {
    const parent = this.deps.data.pipelines.find((p) => p.id === child.upstream!.pipelineId);
    const bridge = parent?.jobs.find((j) => j.id === child.upstream!.jobId);
    if (!parent || !bridge || bridge.downstreamPipelineId !== child.id || bridge.status !== 'pending') return;
    if (!this.specOf(parent, bridge).trigger?.depend) return;
    const status = child.status === 'success' ? 'success' : child.status === 'canceled' ? 'canceled' : 'failed';
    this.setStatus(parent, bridge, status);
    this.advance(parent);
  }

  private jobContext(pipeline: Pipeline, job: Job, spec: CiJobSpec) {
    const { data } = this.deps;
    const variables: Record<string, string> = {
      CI: 'true',
      GITLAB_CI: 'true',
      CI_API_V4_URL: `${data.baseUrl}/api/v4`,
      CI_SERVER_URL: data.baseUrl,
      CI_PROJECT_ID: String(data.project.id),
      CI_PROJECT_PATH: data.project.pathWithNamespace,
      CI_PROJECT_DIR: `/builds/${data.project.pathWithNamespace}`,
      CI_REGISTRY_IMAGE: `127.0.0.1:5050/${data.project.pathWithNamespace}`,
      CI_DEFAULT_BRANCH: data.project.defaultBranch,
      CI_PIPELINE_ID: String(pipeline.id),
      CI_PIPELINE_SOURCE: pipeline.source,
      CI_COMMIT_SHA: pipeline.sha,
      CI_COMMIT_REF_NAME: pipeline.ref,
      CI_COMMIT_BRANCH: pipeline.ref,
      CI_JOB_ID: String(job.id),
      CI_JOB_NAME: job.name,
      CI_JOB_STAGE: job.stage,
      GITLAB_USER_LOGIN: job.user.username,
      ...pipeline.yamlVariables,
      ...spec.variables,
      ...Object.fromEntries(pipeline.variables.map((v) => [v.key, v.value])),
      ...Object.fromEntries(job.playVariables.map((v) => [v.key, v.value])),
    };
    return {
      job,
      pipeline,
      variables,
      ...filesOf(data.repo.commit(pipeline.sha)!),
      artifact: (jobName: string, path: string) => latestJobs(pipeline).find((j) => j.name === jobName)?.artifacts.get(path),
    };
  }

  private setStatus(pipeline: Pipeline, job: Job, status: JobStatus): void {
    const now = new Date();
    job.status = status;
    if (status === 'pending') job.queuedAt = now;
    if (status === 'running') job.startedAt = now;
    if (FINISHED_STATUSES.has(status)) job.finishedAt = now;
    this.deps.listener.jobChanged(job, pipeline);
    this.updatePipeline(pipeline);
  }

  private updatePipeline(pipeline: Pipeline): void {
    const status = compositeStatus(pipeline);
    if (status === pipeline.status) return;
    const now = new Date();
    pipeline.status = status;
    pipeline.updatedAt = now;
    if (status === 'running' && !pipeline.startedAt) pipeline.startedAt = now;
    pipeline.finishedAt = FINISHED_STATUSES.has(status) ? now : null;
    this.deps.listener.pipelineChanged(pipeline);
    if (pipeline.upstream && FINISHED_STATUSES.has(status)) this.childFinished(pipeline);
  }
}

/** `$VAR` and `${VAR}` as the runner expands them in `image:` (unknown ones become empty). */
function expandVariables(text: string, variables: Record<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced: string | undefined, bare: string | undefined) => variables[braced ?? bare ?? ''] ?? '');
}
