/**
 * Pipelines and jobs (lib/api/ci/pipelines.rb, jobs.rb, job_artifacts.rb): create with
 * variables, show (any pipeline, a child too), list (children only when asked for),
 * cancel (200), retry (201); jobs by pipeline with scope[], play
 * (200, 400 "Unplayable Job"), cancel and retry (201), trace as text/plain, one artifact
 * file by path.
 */
import type { PipelineSimulator } from '../ci/simulator.ts';
import type { GitLabData } from '../data.ts';
import { jobEntity, pipelineEntity, pipelineJobsFor } from '../entities.ts';
import { badRequest, notFound } from '../http/errors.ts';
import { paginate } from '../http/pagination.ts';
import type { ApiRequest, ApiResponse, Router } from '../http/router.ts';
import { latestJobs, type Job, type Variable } from '../model.ts';
import { requireString } from './repository.ts';

export function registerPipelineRoutes(router: Router, data: GitLabData, simulator: PipelineSimulator): void {
  const pipelineOf = (req: ApiRequest) => {
    data.requireProject(req.params.id);
    return data.requirePipeline(req.params.pipeline_id);
  };
  const jobOf = (req: ApiRequest) => {
    data.requireProject(req.params.id);
    return data.requireJob(req.params.job_id);
  };

  router.post('/projects/:id/pipeline', (req) => {
    data.requireProject(req.params.id);
    const ref = requireString(req, 'ref');
    const pipeline = simulator.create(ref, { source: 'api', variables: parseVariables(req.body.variables, 'variables'), user: req.user });
    return { status: 201, json: pipelineEntity(data, pipeline) };
  });

  router.get('/projects/:id/pipelines', (req) => {
    data.requireProject(req.params.id);
    const filters = ['ref', 'sha', 'status', 'source'] as const;
    // Child pipelines are left out unless asked for with source=parent_pipeline (GitLab 17.0+).
    const children = req.query.get('source') === 'parent_pipeline';
    const list = [...data.pipelines]
      .reverse()
      .filter((p) => (p.source === 'parent_pipeline') === children && filters.every((f) => req.query.get(f) === null || req.query.get(f) === String(p[f])));
    return paginate(req, data.baseUrl, list, (p) => pipelineEntity(data, p));
  });

  router.get('/projects/:id/pipelines/latest', (req) => {
    data.requireProject(req.params.id);
    const pipeline = data.latestPipelineFor(req.query.get('ref') ?? data.project.defaultBranch);
    if (!pipeline) throw notFound();
    return { status: 200, json: pipelineEntity(data, pipeline) };
  });

  router.get('/projects/:id/pipelines/:pipeline_id', (req) => ({ status: 200, json: pipelineEntity(data, pipelineOf(req)) }));

  router.get('/projects/:id/pipelines/:pipeline_id/variables', (req) => ({
    status: 200,
    json: pipelineOf(req).variables.map((v) => ({ key: v.key, value: v.value, variable_type: v.variable_type ?? 'env_var' })),
  }));

  router.post('/projects/:id/pipelines/:pipeline_id/cancel', (req) => {
    const pipeline = pipelineOf(req);
    simulator.cancelPipeline(pipeline);
    return { status: 200, json: pipelineEntity(data, pipeline) };
  });

  router.post('/projects/:id/pipelines/:pipeline_id/retry', (req) => {
    const pipeline = pipelineOf(req);
    simulator.retryPipeline(pipeline, req.user);
    return { status: 201, json: pipelineEntity(data, pipeline) };
  });

  const listJobs = (bridges: boolean) => (req: ApiRequest) => {
    const pipeline = pipelineOf(req);
    const jobs = pipelineJobsFor(pipeline, { bridges, includeRetried: req.query.get('include_retried') === 'true', scope: scopes(req) });
    return paginate(req, data.baseUrl, jobs, (j) => jobEntity(data, j, pipeline));
  };
  router.get('/projects/:id/pipelines/:pipeline_id/jobs', listJobs(false));
  router.get('/projects/:id/pipelines/:pipeline_id/bridges', listJobs(true));

  router.get('/projects/:id/jobs', (req) => {
    data.requireProject(req.params.id);
    const scope = scopes(req);
    const jobs = data.pipelines
      .flatMap((p) => p.jobs.filter((j) => !j.bridge && (scope.length === 0 || scope.includes(j.status))).map((job) => ({ job, pipeline: p })))
      .sort((a, b) => b.job.id - a.job.id);
    return paginate(req, data.baseUrl, jobs, ({ job, pipeline }) => jobEntity(data, job, pipeline));
  });

  router.get('/projects/:id/jobs/artifacts/:ref_name/raw/*artifact_path', (req) => {
    data.requireProject(req.params.id);
    const name = req.query.get('job');
    if (!name) throw badRequest('job is missing');
    const job = [...data.pipelines]
      .reverse()
      .filter((p) => p.ref === req.params.ref_name)
      .flatMap((p) => latestJobs(p))
      .find((j) => j.name === name && j.status === 'success');
    if (!job) throw notFound();
    return artifactResponse(job, req.params.artifact_path!);
  });

  router.get('/projects/:id/jobs/:job_id', (req) => {
    const { job, pipeline } = jobOf(req);
    return { status: 200, json: jobEntity(data, job, pipeline) };
  });

  router.post('/projects/:id/jobs/:job_id/play', (req) => {
    const { job, pipeline } = jobOf(req);
    simulator.play(pipeline, job, parseVariables(req.body.job_variables_attributes, 'job_variables_attributes'), req.user);
    return { status: 200, json: jobEntity(data, job, pipeline) };
  });

  router.post('/projects/:id/jobs/:job_id/cancel', (req) => {
    const { job, pipeline } = jobOf(req);
    simulator.cancelJob(pipeline, job);
    return { status: 201, json: jobEntity(data, job, pipeline) };
  });

  router.post('/projects/:id/jobs/:job_id/retry', (req) => {
    const { job, pipeline } = jobOf(req);
    const fresh = simulator.retryJob(pipeline, job, req.user);
    return { status: 201, json: jobEntity(data, fresh, pipeline) };
  });

  router.get('/projects/:id/jobs/:job_id/trace', (req) => {
    const { job } = jobOf(req);
    return {
      status: 200,
      text: job.trace.length > 0 ? `${job.trace.join('\n')}\n` : '',
      contentType: 'text/plain',
      headers: { 'content-disposition': `infile; filename="${job.id}.log"` },
    };
  });

  router.get('/projects/:id/jobs/:job_id/artifacts/*artifact_path', (req) => artifactResponse(jobOf(req).job, req.params.artifact_path!));
}

const CONTENT_TYPES: Record<string, string> = {
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
  log: 'text/plain; charset=utf-8',
  xml: 'text/xml; charset=utf-8',
};

function artifactResponse(job: Job, path: string): ApiResponse {
  if (job.artifacts.size === 0) throw notFound();
  if (path.split('/').includes('..')) throw badRequest('artifact_path is invalid');
  const bytes = job.artifacts.get(path);
  if (!bytes) throw notFound();
  const ext = path.split('.').pop() ?? '';
  return { status: 200, bytes, contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream' };
}

/** `scope[]=a&scope[]=b` as gitbeaker sends it, or a single `scope=a`. */
function scopes(req: ApiRequest): string[] {
  return [...req.query.getAll('scope[]'), ...req.query.getAll('scope')];
}

function parseVariables(value: unknown, name: string): Variable[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest(`${name} is invalid`);
  return value.map((v: unknown) => {
    const item = (v ?? {}) as Record<string, unknown>;
    if (typeof item.key !== 'string' || item.key === '') throw badRequest(`${name}[key] is missing`);
    const type = item.variable_type === 'file' ? 'file' : 'env_var';
    return { key: item.key, value: String(item.value ?? ''), variable_type: type };
  });
}
