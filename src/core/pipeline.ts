/**
 * A pipeline as GitLab reports it now: the pipeline, the latest attempt of each job, and
 * the artifacts the bot reads (the plan job's plan.json, the compliance job's report).
 * Each sync reads the pipeline once; an artifact is fetched the first time someone asks
 * for it and kept for the rest of that sync.
 */
import { DEFAULT_ENVIRONMENT, environmentJobs, type EnvironmentJobs } from '../domain/environment.ts';
import type { ComplianceReport } from '../compliance/engine.ts';
import { analysePlan, type PlanAnalysis } from '../plan/summary.ts';
import type { BotDeps } from './deps.ts';
import type { JobInfo, PipelineInfo } from './ports.ts';

/** plan.json of the plan job, or why there is none to read. */
export type PlanArtifact =
  /** Read once into its rule changes and counts (parsing a large plan is the costly part). */
  | { status: 'read'; analysis: PlanAnalysis }
  | { status: 'not-ready' }
  | { status: 'missing' }
  | { status: 'unreadable'; reason: string };

export interface PipelineFacts {
  pipeline: PipelineInfo;
  jobs: JobInfo[];
  jobsByName: ReadonlyMap<string, JobInfo>;
  /**
   * The jobs of the environment this view is for (the request's): the plan, compliance
   * and deploy jobs below, and the artifacts read, are that environment's and no other's.
   */
  envJobs: EnvironmentJobs;
  /** The same pipeline seen for another environment's jobs (artifacts read once per environment). */
  forEnvironment(jobs: EnvironmentJobs): PipelineFacts;
  /** plan.json of the plan job, once it succeeded; read from GitLab at most once. */
  plan(): Promise<PlanArtifact>;
  /** compliance.json of the compliance job, once it finished; null when absent or not JSON. */
  complianceReport(): Promise<ComplianceReport | null>;
}

const FINISHED = new Set(['success', 'failed']);

/** The pipeline as GitLab reports it now, seen for one environment's jobs (by default the single environment's). */
export async function readPipeline(deps: BotDeps, pipelineId: number, envJobs: EnvironmentJobs = environmentJobs(DEFAULT_ENVIRONMENT)): Promise<PipelineFacts> {
  const [pipeline, jobs] = await Promise.all([deps.vcs.getPipeline(pipelineId), deps.vcs.listPipelineJobs(pipelineId)]);
  const jobsByName = new Map(jobs.map((j) => [j.name, j]));
  const views = new Map<string, PipelineFacts>();
  const view = (env: EnvironmentJobs): PipelineFacts => {
    const known = views.get(env.plan);
    if (known) return known;
    let plan: Promise<PlanArtifact> | undefined;
    let report: Promise<ComplianceReport | null> | undefined;
    const made: PipelineFacts = {
      pipeline,
      jobs,
      jobsByName,
      envJobs: env,
      forEnvironment: view,
      plan: () => (plan ??= readPlanArtifact(deps, jobsByName.get(env.plan))),
      complianceReport: () => (report ??= readComplianceReport(deps, jobsByName.get(env.compliance))),
    };
    views.set(env.plan, made);
    return made;
  };
  return view(envJobs);
}

/** The view's plan, compliance or deploy job, when the pipeline has it. */
export function envJob(facts: Pick<PipelineFacts, 'envJobs' | 'jobsByName'>, which: keyof EnvironmentJobs): JobInfo | undefined {
  return facts.jobsByName.get(facts.envJobs[which]);
}

async function readPlanArtifact(deps: BotDeps, job: JobInfo | undefined): Promise<PlanArtifact> {
  if (job?.status !== 'success') return { status: 'not-ready' };
  const text = await deps.vcs.readArtifact(job.id, 'plan.json');
  if (text === null) return { status: 'missing' };
  try {
    // A state, or any JSON that is not a plan, is unreadable as a plan.
    return { status: 'read', analysis: analysePlan(JSON.parse(text)) };
  } catch (err) {
    return { status: 'unreadable', reason: (err as Error).message };
  }
}

async function readComplianceReport(deps: BotDeps, job: JobInfo | undefined): Promise<ComplianceReport | null> {
  if (job === undefined || !FINISHED.has(job.status)) return null;
  const text = await deps.vcs.readArtifact(job.id, 'compliance.json');
  if (text === null) return null;
  try {
    return JSON.parse(text) as ComplianceReport;
  } catch (err) {
    deps.log.warn({ jobId: job.id, path: 'compliance.json', err: (err as Error).message }, 'artifact is not JSON; not shown');
    return null;
  }
}
