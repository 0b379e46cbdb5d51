/**
 * The edge where `terraform show -json` output enters: checked once, tolerantly (unknown
 * fields pass through), so the rest of the code reads typed values. Format versions 0.x
 * and 1.x are understood; another major version is refused, as Terraform's own JSON
 * format documentation asks of consumers. A state (`terraform show -json` without a plan
 * file, or a raw terraform.tfstate) is refused too: it changes nothing, so judging it
 * would report any input as compliant.
 */
import { z } from 'zod';
import { InputError } from '../domain/errors.ts';

const changeSchema = z.looseObject({
  actions: z.array(z.string()),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  after_unknown: z.unknown().optional(),
});

const resourceChangeSchema = z.looseObject({
  address: z.string(),
  mode: z.string().optional(),
  type: z.string(),
  name: z.string().optional(),
  module_address: z.string().optional(),
  change: changeSchema,
});

const planSchema = z.looseObject({
  format_version: z.string(),
  terraform_version: z.string().optional(),
  planned_values: z.looseObject({}).optional(),
  resource_changes: z.array(resourceChangeSchema).optional(),
  configuration: z.unknown().optional(),
  prior_state: z.unknown().optional(),
});

export type ResourceChange = z.infer<typeof resourceChangeSchema>;
export interface TerraformPlan {
  formatVersion: string;
  terraformVersion: string | null;
  resourceChanges: ResourceChange[];
  /** The configuration section, as Terraform wrote it (see configuration.ts). */
  configuration: unknown;
  /** The state planned against, with the data sources read while planning (see group-ids.ts). */
  priorState: unknown;
}

export class PlanFormatError extends InputError {
  readonly code = 'PLAN_INVALID';
}

/** Reads parsed JSON as a Terraform plan, or throws PlanFormatError saying what is wrong. */
export function readPlan(json: unknown): TerraformPlan {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new PlanFormatError('not a Terraform plan: expected a JSON object');
  }
  if (!('format_version' in json)) {
    const hint = 'version' in json && 'resources' in json ? ' (this looks like a state file)' : '';
    throw new PlanFormatError(`not a Terraform plan: no format_version${hint}; expected the output of terraform show -json PLANFILE`);
  }
  // A plan always has planned_values (Terraform writes it even when nothing changes) and
  // usually resource_changes; `terraform show -json` of a state has `values` instead, or
  // nothing but format_version when the state is empty. Judging one would pass anything.
  if (!('planned_values' in json) && !('resource_changes' in json)) {
    const hint = 'values' in json || Object.keys(json).every((k) => k === 'format_version' || k === 'terraform_version')
      ? ' (this looks like a state: terraform show -json without a plan file)'
      : '';
    throw new PlanFormatError(`not a Terraform plan: no planned_values or resource_changes${hint}; expected the output of terraform show -json PLANFILE`);
  }
  const parsed = planSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PlanFormatError(`not a Terraform plan: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const major = parsed.data.format_version.split('.')[0];
  if (major !== '0' && major !== '1') {
    throw new PlanFormatError(`unsupported plan format_version ${parsed.data.format_version} (understood: 0.x and 1.x)`);
  }
  return {
    formatVersion: parsed.data.format_version,
    terraformVersion: parsed.data.terraform_version ?? null,
    resourceChanges: parsed.data.resource_changes ?? [],
    configuration: parsed.data.configuration ?? null,
    priorState: parsed.data.prior_state ?? null,
  };
}

export type ResourceAction = 'create' | 'update' | 'replace' | 'delete';

/** Terraform's action list as one verb; null for no-op and read, which change nothing. */
export function resourceAction(actions: readonly string[]): ResourceAction | null {
  if (actions.includes('delete') && actions.includes('create')) return 'replace';
  if (actions.includes('delete')) return 'delete';
  if (actions.includes('create')) return 'create';
  if (actions.includes('update')) return 'update';
  return null;
}
