/**
 * `portcullis ci-config --environments FILE`: the pipeline for several environments,
 * written from the single-environment terraform/.gitlab-ci.yml so the two never drift.
 * The shared jobs (prepare, fmt, validate) stay as they are; each job of the change
 * (plan, compliance, deploy, consistency, service-checks) becomes one per environment,
 * `plan:<name>` and so on, which
 * - runs only when the branch changes that environment's folder (`rules: changes` with
 *   `compare_to` the default branch: GitLab diffs from the merge base, also for the API
 *   pipelines the bot starts, where `changes` without compare_to is always true);
 * - plans and applies that environment's folder and state, in its account (the provider's
 *   allowed_account_ids) through its deploy role;
 * - deploys in its own resource group and GitLab environment, `firewall/<state>`, which
 *   can be protected so that only the bot's user may play it.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml, stringify } from 'yaml';
import type { Environment } from '../domain/environment.ts';
import { EnvironmentsFileError, parseEnvironmentsFile } from '../environments-file.ts';
import { CliError, emit, parseOptions, type Command } from './command.ts';

/** The jobs that act on one environment; the rest of the file is shared. */
const ENVIRONMENT_JOBS = ['plan', 'compliance', 'deploy', 'consistency', 'service-checks'] as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function environmentsCiConfig(base: string, environments: readonly Environment[], defaultBranch: string): string {
  const doc = parseYaml(base, { merge: true }) as Obj;
  if (!isObj(doc)) throw new CliError('the base CI file is not a YAML mapping');
  const out: Obj = {};
  for (const [key, value] of Object.entries(doc)) if (!(ENVIRONMENT_JOBS as readonly string[]).includes(key)) out[key] = value;
  for (const env of environments) {
    for (const name of ENVIRONMENT_JOBS) {
      const job = doc[name];
      if (!isObj(job)) throw new CliError(`the base CI file has no job "${name}"`);
      out[`${name}:${env.name}`] = environmentJob(structuredClone(job), env, defaultBranch);
    }
  }
  const header = [
    '# Written by `portcullis ci-config --environments` from terraform/.gitlab-ci.yml: edit that',
    '# file or the environments file and run the command again rather than editing this one.',
    `# Environments: ${environments.map((e) => e.name).join(', ')}.`,
    '',
  ].join('\n');
  return header + stringify(out, { lineWidth: 0 });
}

function environmentJob(job: Obj, env: Environment, defaultBranch: string): Obj {
  const suffix = (name: string) => ((ENVIRONMENT_JOBS as readonly string[]).includes(name) ? `${name}:${env.name}` : name);
  if (Array.isArray(job.needs)) job.needs = job.needs.map((n) => (typeof n === 'string' ? suffix(n) : isObj(n) ? { ...n, job: suffix(String(n.job)) } : n));
  const rulesDir = `${env.dir}/rules`;
  if (Array.isArray(job.script)) job.script = job.script.map((line) => (typeof line === 'string' ? line.replaceAll('terraform/rules', rulesDir) : line));
  const variables = isObj(job.variables) ? job.variables : {};
  if (job.trigger !== undefined) {
    // The child pipeline gets this environment's groups file; it inherits nothing else.
    if (typeof variables.SERVICE_CHECK_GROUPS_FILE === 'string') variables.SERVICE_CHECK_GROUPS_FILE = `${env.dir}/groups.json`;
    job.variables = { ...variables, ...(env.aws ? { AWS_REGION: env.aws.region } : {}) };
  } else {
    const address = `\${CI_API_V4_URL}/projects/\${CI_PROJECT_ID}/terraform/state/${env.stateName}`;
    job.variables = {
      ...variables,
      TF_STATE_NAME: env.stateName,
      TF_HTTP_ADDRESS: address,
      TF_HTTP_LOCK_ADDRESS: `${address}/lock`,
      TF_HTTP_UNLOCK_ADDRESS: `${address}/lock`,
      TF_VAR_environment: env.name,
      ...(env.aws
        ? {
            TF_VAR_aws_account_id: env.aws.accountId,
            TF_VAR_aws_region: env.aws.region,
            AWS_REGION: env.aws.region,
            ...(env.aws.deployRoleArn ? { TF_VAR_aws_role_arn: env.aws.deployRoleArn } : {}),
          }
        : {}),
    };
  }
  if (job.resource_group !== undefined) job.resource_group = `terraform-${env.stateName}`;
  if (isObj(job.environment)) job.environment = { ...job.environment, name: `firewall/${env.stateName}` };
  // `when` moves into the rule: with rules, a job's when and allow_failure are the matching rule's.
  const when = typeof job.when === 'string' ? job.when : 'on_success';
  delete job.when;
  job.rules = [
    {
      changes: { paths: [`${env.dir}/**/*`], compare_to: `refs/heads/${defaultBranch}` },
      when,
      ...(when === 'manual' ? { allow_failure: false } : {}),
    },
  ];
  return job;
}

export const ciConfigCommand: Command = {
  summary: 'the pipeline for several environments, from terraform/.gitlab-ci.yml and the environments file',
  help: `Usage:
  portcullis ci-config --environments FILE [--base FILE] [--default-branch NAME] [--out FILE]

  --environments    the environments file (ENVIRONMENTS_FILE), e.g. portcullis.environments.yaml
  --base            the single-environment pipeline to start from (default terraform/.gitlab-ci.yml)
  --default-branch  the branch changes are compared to (default main)
  --out             write the pipeline to FILE instead of stdout

Each environment gets plan:<name>, compliance:<name>, deploy:<name> (manual),
consistency:<name> and service-checks:<name>, run only when a branch changes
terraform/environments/<name>/. Point the project's CI/CD configuration file at the result.

Exit codes: 0 written, 2 bad input.
`,
  async run(args, io) {
    const { values } = parseOptions(args, {
      environments: { type: 'string' },
      base: { type: 'string' },
      'default-branch': { type: 'string' },
      out: { type: 'string' },
    });
    if (!values.environments) throw new CliError('--environments FILE is required');
    const branch = values['default-branch'] ?? 'main';
    if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/.test(branch) || branch.includes('..')) throw new CliError('--default-branch: not a branch name');
    const read = async (file: string, what: string) => {
      try {
        return await readFile(file, 'utf8');
      } catch (err) {
        throw new CliError(`${what}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    };
    const envText = await read(values.environments, '--environments');
    const baseText = await read(values.base ?? 'terraform/.gitlab-ci.yml', '--base');
    let environments;
    try {
      // Channels and approvals do not reach the pipeline: placeholders stand in for the bot's variables.
      environments = parseEnvironmentsFile(envText, values.environments, { channel: 'C0PLACEHOLDER', required: 1, ttlMs: 3_600_000 });
    } catch (err) {
      if (err instanceof EnvironmentsFileError) throw new CliError(err.problems.join('; '));
      throw err;
    }
    await emit(environmentsCiConfig(baseText, environments.list, branch), values.out, io);
    return 0;
  },
};
