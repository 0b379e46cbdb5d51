/**
 * Just enough of GitLab CI's semantics to check a pipeline file without GitLab: jobs with
 * `extends` resolved (hashes deep-merged, everything else replaced, as GitLab does), and
 * the structural mistakes GitLab would refuse or that would break the flow.
 */
import { parse } from 'yaml';

export type CiJob = Record<string, unknown>;

export interface CiConfig {
  stages: string[];
  variables: Record<string, unknown>;
  /** Real jobs by name, `extends` already applied; templates (`.name`) are not jobs. */
  jobs: Map<string, CiJob>;
  /** The parsed document as written, for checks over every key and value. */
  document: Record<string, unknown>;
}

/** Top-level keys that configure the pipeline rather than name a job. */
const GLOBAL_KEYWORDS = new Set([
  'stages', 'variables', 'workflow', 'default', 'include', 'image', 'services', 'cache', 'before_script', 'after_script', 'spec',
]);

/** GitLab's stages when a file declares none, and the stage of a job that names none. */
const DEFAULT_STAGES = ['.pre', 'build', 'test', 'deploy', '.post'];
const DEFAULT_STAGE = 'test';

export function parseCi(text: string): CiConfig {
  const document = parse(text) as Record<string, unknown>;
  const jobs = new Map<string, CiJob>();
  for (const name of Object.keys(document)) {
    if (GLOBAL_KEYWORDS.has(name) || name.startsWith('.')) continue;
    jobs.set(name, resolveExtends(document, name, []));
  }
  const declared = document.stages as string[] | undefined;
  return {
    stages: declared ?? DEFAULT_STAGES,
    variables: (document.variables ?? {}) as Record<string, unknown>,
    jobs,
    document,
  };
}

function resolveExtends(document: Record<string, unknown>, name: string, seen: string[]): CiJob {
  if (seen.includes(name)) throw new Error(`extends loops: ${[...seen, name].join(' -> ')}`);
  const job = document[name];
  if (job === null || typeof job !== 'object') throw new Error(`extends names "${name}", which is not defined`);
  const { extends: parents, ...own } = job as CiJob;
  const bases = parents === undefined ? [] : Array.isArray(parents) ? parents : [parents];
  const inherited = bases.reduce<CiJob>((merged, base) => deepMerge(merged, resolveExtends(document, String(base), [...seen, name])), {});
  return deepMerge(inherited, own);
}

function deepMerge(base: CiJob, override: CiJob): CiJob {
  const merged: CiJob = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key];
    merged[key] = isHash(current) && isHash(value) ? deepMerge(current, value) : value;
  }
  return merged;
}

function isHash(value: unknown): value is CiJob {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function stageOf(job: CiJob): string {
  return typeof job.stage === 'string' ? job.stage : DEFAULT_STAGE;
}

/** Names of the jobs in `needs` (plain names or `{ job: name }`). */
export function needsOf(job: CiJob): string[] {
  const needs = Array.isArray(job.needs) ? job.needs : [];
  return needs.map((need) => (isHash(need) ? String(need.job) : String(need)));
}

/** before_script then script, each line as written. */
export function scriptLines(job: CiJob): string[] {
  const lines = (key: string) => (Array.isArray(job[key]) ? (job[key] as unknown[]).map(String) : job[key] === undefined ? [] : [String(job[key])]);
  return [...lines('before_script'), ...lines('script')];
}

/** Paths a job keeps as artifacts (`artifacts.paths`) and files it reports (`artifacts.reports.*`). */
export function artifactPaths(job: CiJob): string[] {
  const artifacts = isHash(job.artifacts) ? job.artifacts : {};
  const paths = Array.isArray(artifacts.paths) ? artifacts.paths.map(String) : [];
  const reports = isHash(artifacts.reports) ? Object.values(artifacts.reports).flat().map(String) : [];
  return [...paths, ...reports];
}

/**
 * What GitLab would refuse, or what would silently break the order of the pipeline: a job
 * in an undeclared stage, a need on a job that does not exist or runs in a later stage.
 */
export function structureProblems(ci: CiConfig): string[] {
  const problems: string[] = [];
  for (const [name, job] of ci.jobs) {
    const stage = stageOf(job);
    if (!ci.stages.includes(stage)) {
      problems.push(`${name}: stage "${stage}" is not in stages`);
      continue;
    }
    for (const need of needsOf(job)) {
      const needed = ci.jobs.get(need);
      if (!needed) problems.push(`${name}: needs "${need}", which is not a job`);
      else if (ci.stages.indexOf(stageOf(needed)) > ci.stages.indexOf(stage)) {
        problems.push(`${name}: needs "${need}", which runs in the later stage "${stageOf(needed)}"`);
      }
    }
  }
  return problems;
}

/** Paths (`deploy.variables.SLACK_TOKEN`) of every key or value in the document that matches. */
export function mentions(node: unknown, pattern: RegExp, path: string[] = []): string[] {
  if (typeof node === 'string') return pattern.test(node) ? [path.join('.')] : [];
  if (Array.isArray(node)) return node.flatMap((item, i) => mentions(item, pattern, [...path, String(i)]));
  if (isHash(node)) {
    return Object.entries(node).flatMap(([key, value]) => [
      ...(pattern.test(key) ? [[...path, key].join('.')] : []),
      ...mentions(value, pattern, [...path, key]),
    ]);
  }
  return [];
}
