/**
 * An environment: one AWS account and region, one Terraform state, its own groups.json
 * and rules, and its own approval settings. Without an environments file there is one,
 * named `default`, that the environment variables describe and whose files sit where
 * they always did (terraform/groups.json, terraform/rules/); named environments keep
 * theirs under terraform/environments/<name>/. Pure data: no I/O.
 *
 * The pipeline's jobs follow the same split: the single environment's are `plan`,
 * `compliance` and `deploy`; an environment named in the file has `plan:<name>`,
 * `compliance:<name>` and `deploy:<name>` (the pipeline `portcullis ci-config` writes), so the
 * bot judges, and plays, only the jobs of the request's own environment.
 */

/** The one environment of a setup without an environments file. */
export const DEFAULT_ENVIRONMENT = 'default';

/** What an environment may be called: it becomes a folder, a job-name suffix and a state name. */
export const ENVIRONMENT_NAME_PATTERN = /^[a-z][a-z0-9-]{0,29}$/;

export interface EnvironmentApprovals {
  readonly approverIds: ReadonlySet<string>;
  /** Slack user group whose members may approve, or null. */
  readonly approverGroup: string | null;
  readonly required: number;
  readonly ttlMs: number;
}

/** The AWS account the environment's rules live in, as the bot reads it. */
export interface EnvironmentAws {
  readonly accountId: string;
  readonly region: string;
  /** The role the bot assumes (read-only) in that account; null: the bot's own credentials reach it. */
  readonly roleArn: string | null;
  /** The role the pipeline's Terraform assumes there to plan and apply (TF_VAR_aws_role_arn); null: the job's own credentials. */
  readonly deployRoleArn: string | null;
}

/** The pipeline jobs of one environment: the bot reads and plays these and no others. */
export interface EnvironmentJobs {
  readonly plan: string;
  readonly compliance: string;
  readonly deploy: string;
}

export interface Environment {
  readonly name: string;
  /** Terraform state name in GitLab (TF_STATE_NAME); one change at a time holds it. */
  readonly stateName: string;
  /** Folder holding its groups.json and rules/. */
  readonly dir: string;
  readonly jobs: EnvironmentJobs;
  /** Channel where its requests are posted. */
  readonly channel: string;
  readonly approvals: EnvironmentApprovals;
  /** null for the single environment: the SDK's own region and credentials. */
  readonly aws: EnvironmentAws | null;
}

export const TERRAFORM_DIR = 'terraform';

/** The Terraform state of the single environment (TF_STATE_NAME's default in terraform/.gitlab-ci.yml). */
export const SINGLE_STATE_NAME = 'portcullis';

/** Folder of a named environment's groups.json and rules/. */
export function environmentDir(name: string): string {
  return name === DEFAULT_ENVIRONMENT ? TERRAFORM_DIR : `${TERRAFORM_DIR}/environments/${name}`;
}

/** The jobs of an environment, as the pipeline names them. */
export function environmentJobs(name: string): EnvironmentJobs {
  const suffix = name === DEFAULT_ENVIRONMENT ? '' : `:${name}`;
  return { plan: `plan${suffix}`, compliance: `compliance${suffix}`, deploy: `deploy${suffix}` };
}

export const groupsFileOf = (env: Pick<Environment, 'dir'>): string => `${env.dir}/groups.json`;
export const rulesDirOf = (env: Pick<Environment, 'dir'>): string => `${env.dir}/rules`;
export const ruleFileOf = (env: Pick<Environment, 'dir'>, id: string): string => `${rulesDirOf(env)}/${id}.json`;

/** The one environment of a setup without an environments file: its channel and approvals from the variables, everything else where it always was. */
export function singleEnvironment(channel: string, approvals: EnvironmentApprovals): Environment {
  return {
    name: DEFAULT_ENVIRONMENT,
    stateName: SINGLE_STATE_NAME,
    dir: environmentDir(DEFAULT_ENVIRONMENT),
    jobs: environmentJobs(DEFAULT_ENVIRONMENT),
    channel,
    approvals,
    aws: null,
  };
}

/** The environments of a setup, in the order the file lists them. */
export class Environments {
  private readonly byName: ReadonlyMap<string, Environment>;

  constructor(readonly list: readonly Environment[]) {
    if (list.length === 0) throw new Error('at least one environment is needed');
    this.byName = new Map(list.map((e) => [e.name, e]));
  }

  /** The environment a request names, or undefined when there is none such. */
  get(name: string): Environment | undefined {
    return this.byName.get(name);
  }

  /** The environment a request uses when it names none: only when there is exactly one. */
  get implicit(): Environment | null {
    return this.list.length === 1 ? this.list[0]! : null;
  }

  /** Whether there are several, so messages must say which one a request is for. */
  get several(): boolean {
    return this.list.length > 1;
  }

  get names(): string[] {
    return this.list.map((e) => e.name);
  }
}
