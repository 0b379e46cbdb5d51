/**
 * What each job of the pipeline "does" in the fake, by job name (contracts.md §2): a fake
 * Terraform for plan and deploy, the project's own engine for compliance, a short
 * success for the rest. Each behaviour prints what the real tool would and returns the
 * job's exit code.
 */
import type { AwsFakeDriver, Ec2Driver } from '../../aws/index.ts';
import { ENVIRONMENT_NAME_PATTERN } from '../../../domain/environment.ts';
import { judgePlan } from '../../../compliance/engine.ts';
import { DEFAULT_POLICY_DIR, loadPolicies } from '../../../compliance/policy.ts';
import { formatReportText } from '../../../compliance/report.ts';
import type { Job, Pipeline } from '../model.ts';
import type { FakeTerraform, RunTarget, SavedPlan } from '../terraform/fake-terraform.ts';

export interface JobContext {
  job: Job;
  pipeline: Pipeline;
  /** Predefined, CI-file, pipeline and play variables, later ones winning. */
  variables: Record<string, string>;
  /** A file of the pipeline's commit. */
  readFile(path: string): Buffer | undefined;
  /** Paths of the pipeline's commit under a folder prefix such as `policies/`. */
  listFiles(prefix: string): string[];
  /** An artifact of the latest job of that name in the same pipeline. */
  artifact(jobName: string, path: string): Buffer | undefined;
  log(text: string): void;
  writeArtifact(path: string, content: string | Buffer): void;
}

/** Returns the job's exit code; a thrown error is printed and fails the job. */
export type JobBehaviour = (ctx: JobContext) => Promise<number> | number;

export interface SimulatedJobDeps {
  terraform: FakeTerraform;
  ec2: Ec2Driver | undefined;
  /** Other accounts, reached by assuming TF_VAR_aws_role_arn (the AWS fake's driver). */
  accounts: Pick<AwsFakeDriver, 'account' | 'hasRole'> | undefined;
  /** The policies "baked into the image" (default: this checkout's policies/). */
  policiesDir: string | undefined;
}

const stateName = (ctx: JobContext) => ctx.variables.TF_STATE_NAME || 'portcullis';

export function simulatedJobs(deps: SimulatedJobDeps): (job: Job) => JobBehaviour {
  const table: Record<string, JobBehaviour> = {
    prepare: (ctx) => {
      ctx.log('Initializing the backend...\n\nSuccessfully configured the backend "http"! Terraform will automatically\nuse this backend unless the backend configuration changes.');
      ctx.log('Initializing provider plugins...\n- Installing hashicorp/aws v6.14.1...\n\nTerraform has been successfully initialized!');
      return 0;
    },
    validate: (ctx) => {
      ctx.log('Success! The configuration is valid.');
      return 0;
    },
    plan: (ctx) => plan(ctx, deps),
    compliance: (ctx) => compliance(ctx, deps),
    deploy: (ctx) => deploy(ctx, deps),
    // The child pipeline's job (terraform/ci/service-checks.yml): its first line refuses
    // to run without the group, which only the trigger job can pass down.
    'service-checks': (ctx) => {
      const group = ctx.variables.SERVICE_CHECK_GROUP;
      if (!group) {
        ctx.log('SERVICE_CHECK_GROUP is not set: pass the group to check from the trigger job');
        return 2;
      }
      ctx.log(`Checking the public members of ${group}`);
      return 0;
    },
  };
  const succeed: JobBehaviour = () => 0;
  // `plan:production` behaves as `plan` does, for the environment its variables name.
  return (job) => table[job.name] ?? table[job.name.split(':')[0]!] ?? succeed;
}

/** The job that made this job's plan: `plan` for compliance and deploy, `plan:<env>` for theirs. */
const planJobOf = (ctx: JobContext) => (ctx.job.name.includes(':') ? `plan:${ctx.job.name.split(':').slice(1).join(':')}` : 'plan');

/**
 * Where a plan or apply acts, from the job's variables as terraform/main.tf reads them:
 * TF_VAR_environment picks the folder; TF_VAR_aws_role_arn is assumed (the account is the
 * role's, and the AWS fake must know the role); TF_VAR_aws_account_id is the provider's
 * allowed_account_ids, so credentials reaching another account fail the run.
 */
function targetOf(ctx: JobContext, deps: SimulatedJobDeps): ({ ok: true; ec2: Ec2Driver | undefined } & RunTarget) | { ok: false; error: string } {
  const env = ctx.variables.TF_VAR_environment || null;
  if (env !== null && !ENVIRONMENT_NAME_PATTERN.test(env)) {
    return { ok: false, error: 'Error: Invalid value for variable\n\nenvironment must be null or a name of lower-case letters, digits and "-", such as "production".' };
  }
  const dir = env === null ? undefined : `terraform/environments/${env}`;
  const region = ctx.variables.TF_VAR_aws_region || undefined;
  const role = ctx.variables.TF_VAR_aws_role_arn || null;
  let accountId: string | undefined;
  let ec2 = deps.ec2;
  if (role !== null) {
    if (!deps.accounts?.hasRole(role)) {
      return { ok: false, error: `Error: Cannot assume IAM Role\n\nIAM Role (${role}) cannot be assumed.\nAccessDenied: not authorized to perform: sts:AssumeRole` };
    }
    accountId = /^arn:aws:iam::(\d{12}):/.exec(role)![1]!;
    ec2 = deps.accounts.account(accountId, region ?? 'us-east-1');
  }
  const allowed = ctx.variables.TF_VAR_aws_account_id || null;
  if (allowed !== null && allowed !== (accountId ?? null)) {
    return { ok: false, error: `Error: AWS account ID not allowed: ${accountId ?? 'the fake pipeline\'s own account'}` };
  }
  return { ok: true, ec2, ...(dir ? { dir } : {}), settings: { ...(region ? { region } : {}), ...(accountId ? { accountId } : {}) } };
}

function plan(ctx: JobContext, deps: SimulatedJobDeps): number {
  const target = targetOf(ctx, deps);
  if (!target.ok) {
    ctx.log(`\n${target.error}`);
    return 1;
  }
  const result = deps.terraform.plan(ctx, stateName(ctx), target.ec2, target);
  if (!result.ok) {
    ctx.log(`\n${result.error}`);
    return 1;
  }
  ctx.log(result.text);
  ctx.writeArtifact('tfplan', JSON.stringify(result.saved));
  ctx.writeArtifact('plan.json', JSON.stringify(result.plan));
  ctx.writeArtifact('plan.txt', result.text);
  return 0;
}

async function compliance(ctx: JobContext, deps: SimulatedJobDeps): Promise<number> {
  const planJson = ctx.artifact(planJobOf(ctx), 'plan.json');
  if (!planJson) {
    ctx.log('plan.json: cannot read (ENOENT)');
    return 2;
  }
  // As `portcullis compliance` in the Portcullis image does: the image's policies, not
  // the branch's, so a branch cannot relax the policy it is judged by.
  const policies = await loadPolicies(deps.policiesDir ?? DEFAULT_POLICY_DIR);
  const report = judgePlan(JSON.parse(planJson.toString('utf8')), policies);
  const text = formatReportText(report);
  ctx.writeArtifact('compliance.json', `${JSON.stringify(report, null, 2)}\n`);
  ctx.writeArtifact('compliance.txt', text);
  ctx.log(text);
  return report.compliant ? 0 : 1;
}

function deploy(ctx: JobContext, deps: SimulatedJobDeps): number {
  const raw = ctx.artifact(planJobOf(ctx), 'tfplan');
  if (!raw) {
    ctx.log('Error: Failed to load "tfplan" as a plan file\n\nstat tfplan: no such file or directory');
    return 1;
  }
  const target = targetOf(ctx, deps);
  if (!target.ok) {
    ctx.log(`\n${target.error}`);
    return 1;
  }
  if (!target.ec2) {
    ctx.log('Error: the fake pipeline has no EC2 to apply to (start the GitLab fake with the `ec2` option)');
    return 1;
  }
  const result = deps.terraform.apply(JSON.parse(raw.toString('utf8')) as SavedPlan, stateName(ctx), target.ec2, ctx.log, target);
  if (!result.ok) {
    ctx.log(`\n${result.error}`);
    return 1;
  }
  return 0;
}
