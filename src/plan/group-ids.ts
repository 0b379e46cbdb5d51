/**
 * Which security-group id each groups.json key has in a plan made from terraform/main.tf:
 * a group Portcullis creates is `aws_security_group.group["<key>"]` (its id known once it
 * exists), a group made elsewhere is `data.aws_security_group.existing["<key>"]`, read
 * while planning and so found in `prior_state`. A rule's `peer_group` key is checked
 * against the plan's referenced_security_group_id through this map.
 */
import type { TerraformPlan } from './plan-json.ts';

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const ADDRESS = /^(aws_security_group\.group|data\.aws_security_group\.existing)\["([^"]+)"\]$/;

export function groupIdsOf(plan: TerraformPlan): Map<string, string> {
  const ids = new Map<string, string>();
  const note = (address: unknown, values: unknown) => {
    const m = typeof address === 'string' ? ADDRESS.exec(address) : null;
    const id = asObj(values).id;
    if (m && typeof id === 'string' && id !== '') ids.set(m[2]!, id);
  };
  const resources = asObj(asObj(asObj(plan.priorState).values).root_module).resources;
  for (const r of Array.isArray(resources) ? resources : []) note(asObj(r).address, asObj(r).values);
  for (const rc of plan.resourceChanges) {
    // A group being replaced or created has no id yet: only a known one counts.
    if (rc.change.actions.includes('create')) continue;
    note(rc.address, rc.change.before);
  }
  return ids;
}
