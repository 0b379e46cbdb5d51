/**
 * Reads a .gitlab-ci.yml into the job graph the simulator runs: stages in order and, per
 * job, its stage, `when`, `allow_failure`, `needs`, its trigger (child pipeline includes
 * and strategy), inherited variables, environment and image. Generic GitLab semantics (hidden jobs, `extends`, `default:`), nothing specific
 * to one pipeline. Errors read like GitLab's `yaml_errors`.
 */
import { parse as parseYaml } from 'yaml';
import type { When } from '../model.ts';
import { evaluateRules, parseRules, type ChangedPaths, type CiRule } from './rules.ts';

export interface CiJobSpec {
  name: string;
  stage: string;
  when: When;
  allowFailure: boolean;
  needs: string[] | null;
  /** A trigger (bridge) job's downstream pipeline; null for a job a runner runs. */
  trigger: TriggerSpec | null;
  /** Which top-level variables the job inherits (`inherit:variables`): all, none, or these. */
  inheritVariables: boolean | string[];
  environment: { name: string; action: string; tier: string } | null;
  image: string | null;
  variables: Record<string, string>;
  /** The script lines, echoed into the job log. */
  script: string[];
  /** When the job's artifacts are kept (`artifacts:when`). */
  artifactsWhen: 'on_success' | 'on_failure' | 'always';
  /** `rules:`, decided when a pipeline is created (selectJobs); null: the job is always in. */
  rules: CiRule[] | null;
}

/** `trigger:` of a child pipeline: the files it includes and whether the bridge waits for it. */
export interface TriggerSpec {
  /** Paths of `include: local` files; an include of another kind is named in `unsupported`. */
  include: string[];
  unsupported: string[];
  /** `strategy: depend`: the bridge takes the child's final status instead of succeeding at once. */
  depend: boolean;
}

export interface CiConfig {
  stages: string[];
  variables: Record<string, string>;
  jobs: CiJobSpec[];
}

export class CiConfigError extends Error {
  readonly code = 'CI_CONFIG_INVALID';
}

const DEFAULT_STAGES = ['build', 'test', 'deploy'];
const RESERVED = new Set(['image', 'services', 'stages', 'types', 'before_script', 'after_script', 'variables', 'cache', 'include', 'workflow', 'default', 'spec']);
const WHEN_VALUES = new Set<When>(['on_success', 'on_failure', 'always', 'manual', 'delayed']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseCiConfig(text: string): CiConfig {
  return configOf(parseDocument(text));
}

/** Several files read as one configuration, as `include:` merges them (later files win, deeply). */
export function parseCiFiles(texts: string[]): CiConfig {
  return configOf(texts.map(parseDocument).reduce((merged, doc) => deepMerge(merged, doc), {}));
}

function parseDocument(text: string): Obj {
  let doc: unknown;
  try {
    // GitLab CI files use YAML 1.1-style anchors and merge keys (`<<: *base`).
    doc = parseYaml(text, { merge: true });
  } catch (err) {
    throw new CiConfigError(`Invalid configuration format: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObj(doc)) throw new CiConfigError('Invalid configuration format');
  return doc;
}

function configOf(doc: Obj): CiConfig {

  const stages = ['.pre', ...(Array.isArray(doc.stages) ? doc.stages.map(String) : DEFAULT_STAGES), '.post'];
  // Top-level image/before_script are the old spelling of `default:`.
  const defaults: Obj = { image: doc.image, before_script: doc.before_script, ...(isObj(doc.default) ? doc.default : {}) };
  const jobs: CiJobSpec[] = [];
  for (const [name, raw] of Object.entries(doc)) {
    if (RESERVED.has(name) || name.startsWith('.')) continue;
    if (!isObj(raw)) throw new CiConfigError(`jobs:${name} config should be a hash`);
    const job = resolveExtends(doc, name, raw, []);
    if (!('script' in job) && !('trigger' in job) && !('run' in job)) {
      throw new CiConfigError(`jobs:${name} config should implement the script:, run:, or trigger: keyword`);
    }
    jobs.push(toSpec(name, { ...pick(defaults, ['image', 'before_script']), ...job }, stages));
  }
  return { stages, variables: stringMap(doc.variables), jobs };
}

/**
 * The jobs a pipeline gets from the configuration: each job's `rules:` decided against
 * the changed paths (a matching rule sets its `when` and `allow_failure`), then `needs`
 * checked among the jobs that are in, as GitLab checks them when it creates the pipeline.
 */
export function selectJobs(config: CiConfig, changed: ChangedPaths): CiConfig {
  const jobs: CiJobSpec[] = [];
  for (const job of config.jobs) {
    if (job.rules === null) {
      jobs.push(job);
      continue;
    }
    const outcome = evaluateRules(job.rules, changed);
    if (outcome) jobs.push({ ...job, ...outcome });
  }
  const { stages } = config;
  for (const job of jobs) {
    for (const need of job.needs ?? []) {
      const target = jobs.find((j) => j.name === need);
      if (!target) {
        const exists = config.jobs.some((j) => j.name === need);
        throw new CiConfigError(exists ? `'${job.name}' job needs '${need}' job, but '${need}' is not in any previous stage` : `'${job.name}' job needs '${need}' job, but '${need}' does not exist in the pipeline.`);
      }
      if (stages.indexOf(target.stage) > stages.indexOf(job.stage)) {
        throw new CiConfigError(`${job.name} job: need ${need} is not defined in current or prior stages`);
      }
    }
  }
  return { stages: stages.filter((s) => jobs.some((j) => j.stage === s)), variables: config.variables, jobs };
}

function toSpec(name: string, job: Obj, stages: string[]): CiJobSpec {
  const stage = typeof job.stage === 'string' ? job.stage : 'test';
  if (!stages.includes(stage)) throw new CiConfigError(`${name} job: chosen stage ${stage} does not exist; available stages are ${stages.join(', ')}`);
  if ('rules' in job) {
    const clash = ['only', 'except'].filter((k) => k in job);
    if (clash.length > 0) throw new CiConfigError(`jobs:${name} config key may not be used with \`rules\`: ${clash.join(', ')}`);
  }
  const when = (typeof job.when === 'string' ? job.when : 'on_success') as When;
  if (!WHEN_VALUES.has(when)) throw new CiConfigError(`jobs:${name} when unknown value: ${when}`);
  // A manual job may fail unless it says otherwise; `allow_failure: false` makes it block the pipeline.
  const allowFailure = typeof job.allow_failure === 'boolean' ? job.allow_failure : when === 'manual' || isObj(job.allow_failure);
  const image = job.image;
  return {
    name,
    stage,
    when,
    allowFailure,
    needs: Array.isArray(job.needs) ? job.needs.map((n) => (isObj(n) ? String(n.job) : String(n))) : null,
    trigger: 'trigger' in job ? triggerSpec(name, job.trigger) : null,
    inheritVariables: inheritedVariables(job.inherit),
    environment: environmentSpec(job.environment),
    image: typeof image === 'string' ? image : isObj(image) && typeof image.name === 'string' ? image.name : null,
    variables: stringMap(job.variables),
    script: [job.before_script, job.script].flatMap((lines) => (Array.isArray(lines) ? lines.flat().map(String) : typeof lines === 'string' ? [lines] : [])),
    artifactsWhen: isObj(job.artifacts) && (job.artifacts.when === 'always' || job.artifacts.when === 'on_failure') ? job.artifacts.when : 'on_success',
    rules: parseRules(name, job.rules, (message) => new CiConfigError(message)),
  };
}

function triggerSpec(name: string, trigger: unknown): TriggerSpec {
  // `trigger: group/project` (or `project:`) starts a multi-project pipeline elsewhere.
  if (typeof trigger === 'string') return { include: [], unsupported: [`project ${trigger}`], depend: false };
  if (!isObj(trigger)) throw new CiConfigError(`jobs:${name}:trigger config should be a hash or a string`);
  const depend = trigger.strategy === 'depend';
  if (trigger.strategy !== undefined && !depend) throw new CiConfigError(`jobs:${name}:trigger:strategy config must be one of: depend`);
  if (trigger.include === undefined) return { include: [], unsupported: [`project ${String(trigger.project)}`], depend };
  const entries = Array.isArray(trigger.include) ? trigger.include : [trigger.include];
  const include: string[] = [];
  const unsupported: string[] = [];
  for (const entry of entries) {
    if (typeof entry === 'string') include.push(entry.replace(/^\//, ''));
    else if (isObj(entry) && typeof entry.local === 'string') include.push(entry.local.replace(/^\//, ''));
    else unsupported.push(JSON.stringify(entry));
  }
  return { include, unsupported, depend };
}

function inheritedVariables(inherit: unknown): boolean | string[] {
  if (!isObj(inherit) || inherit.variables === undefined) return true;
  if (typeof inherit.variables === 'boolean') return inherit.variables;
  return Array.isArray(inherit.variables) ? inherit.variables.map(String) : true;
}

function environmentSpec(environment: unknown): CiJobSpec['environment'] {
  if (typeof environment === 'string') return { name: environment, action: 'start', tier: guessTier(environment) };
  if (!isObj(environment) || typeof environment.name !== 'string') return null;
  return {
    name: environment.name,
    action: typeof environment.action === 'string' ? environment.action : 'start',
    tier: typeof environment.deployment_tier === 'string' ? environment.deployment_tier : guessTier(environment.name),
  };
}

/** The deployment tier GitLab guesses from an environment's name when none is given (Environment#guess_tier). */
function guessTier(name: string): string {
  if (/(dev|review\/|trunk)/i.test(name)) return 'development';
  if (/(test|tst|int|ac(ce|)pt|qa|qc|control|quality)/i.test(name)) return 'testing';
  if (/(st(a|)g|mod(e|)l|pre|demo|non)/i.test(name)) return 'staging';
  if (/(pr(o|)d|live)/i.test(name)) return 'production';
  return 'other';
}

/** `extends:` deep-merges the named templates under the job, later ones winning. */
function resolveExtends(doc: Obj, name: string, job: Obj, seen: string[]): Obj {
  if (seen.includes(name)) throw new CiConfigError(`${name}: circular dependency detected in \`extends\``);
  const parents = job.extends === undefined ? [] : Array.isArray(job.extends) ? job.extends.map(String) : [String(job.extends)];
  let merged: Obj = {};
  for (const parent of parents) {
    const template = doc[parent];
    if (!isObj(template)) throw new CiConfigError(`${name}: unknown key in \`extends\` (${parent})`);
    merged = deepMerge(merged, resolveExtends(doc, parent, template, [...seen, name]));
  }
  const { extends: _ignored, ...own } = job;
  return deepMerge(merged, own);
}

function deepMerge(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isObj(current) && isObj(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function pick(obj: Obj, keys: string[]): Obj {
  return Object.fromEntries(keys.filter((k) => obj[k] !== undefined).map((k) => [k, obj[k]]));
}

function stringMap(value: unknown): Record<string, string> {
  if (!isObj(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    // `VAR: { value: "...", description: "..." }` declares a prefilled variable.
    out[key] = isObj(v) ? String(v.value ?? '') : String(v ?? '');
  }
  return out;
}
