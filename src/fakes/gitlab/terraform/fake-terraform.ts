/**
 * The fake `terraform` the pipeline's plan and deploy jobs run (and the driver's
 * "already deployed" shortcut): plan a commit's configuration against a named state,
 * apply a saved plan to the fake EC2 and write the new state. Holds the state lock rules
 * and the stale-plan check Terraform has.
 */
import type { Ec2Driver } from '../../aws/index.ts';
import { applyPlan } from './apply.ts';
import { readTerraformConfig, type CommitFiles } from './config-files.ts';
import { formatPlanText } from './plan-text.ts';
import { computePlan, PlanError, type TerraformPlan } from './plan.ts';
import type { TerraformSettings } from './resources.ts';
import type { TerraformStateStore } from './state-store.ts';

/** Stands in for the binary plan file: enough to apply it and to refuse it once stale. */
export interface SavedPlan {
  format: 'portcullis-fake-tfplan';
  state: { lineage: string | null; serial: number | null };
  plan: TerraformPlan;
}

export type Result<T> = ({ ok: true } & T) | { ok: false; error: string };

/** What one run's variables change (TF_VAR_environment, TF_VAR_aws_region, the account its credentials reach). */
export interface RunTarget {
  /** Folder of groups.json and rules/ (default terraform). */
  dir?: string;
  settings?: Partial<Pick<TerraformSettings, 'region' | 'accountId'>>;
}

export class FakeTerraform {
  constructor(
    private readonly store: TerraformStateStore,
    private readonly settings: TerraformSettings,
  ) {}

  /** `ec2`: what data sources and import blocks read (the fake pipeline's EC2). */
  plan(files: CommitFiles, stateName: string, ec2?: Ec2Driver, target: RunTarget = {}): Result<{ plan: TerraformPlan; text: string; saved: SavedPlan }> {
    const locked = this.lockError(stateName);
    if (locked) return { ok: false, error: locked };
    const config = readTerraformConfig(files, target.dir);
    const settings = { ...this.settings, ...target.settings };
    if ('error' in config) return { ok: false, error: `Error: ${config.error}` };
    const state = this.store.read(stateName);
    let plan: TerraformPlan;
    try {
      plan = computePlan({ groups: config.groups, rules: config.rules, imports: config.imports, state, settings, ...(ec2 ? { ec2 } : {}) });
    } catch (err) {
      if (err instanceof PlanError) return { ok: false, error: `Error: ${err.message}` };
      throw err;
    }
    const saved: SavedPlan = { format: 'portcullis-fake-tfplan', state: { lineage: state?.lineage ?? null, serial: state?.serial ?? null }, plan };
    return { ok: true, plan, text: formatPlanText(plan), saved };
  }

  apply(saved: SavedPlan, stateName: string, ec2: Ec2Driver, log: (line: string) => void, target: RunTarget = {}): Result<object> {
    const locked = this.lockError(stateName);
    if (locked) return { ok: false, error: locked };
    const state = this.store.read(stateName);
    if ((state?.lineage ?? null) !== saved.state.lineage || (state?.serial ?? null) !== saved.state.serial) {
      return {
        ok: false,
        error: 'Error: Saved plan is stale\n\nThe given plan file can no longer be applied because the state was changed\nby another operation after the plan was created.',
      };
    }
    const result = applyPlan({ plan: saved.plan, state, ec2, settings: { ...this.settings, ...target.settings }, log });
    this.store.write(stateName, Buffer.from(JSON.stringify(result.state, null, 2)));
    return result.error ? { ok: false, error: result.error.message } : { ok: true };
  }

  private lockError(stateName: string): string | undefined {
    const holder = this.store.lockHolder(stateName);
    if (!holder) return undefined;
    return `Error: Error acquiring the state lock\n\nError message: HTTP remote state already locked: ID=${holder.ID}\nLock Info:\n  ID:        ${holder.ID}\n  Operation: ${holder.Operation}\n  Who:       ${holder.Who}\n  Created:   ${holder.Created}`;
  }
}
