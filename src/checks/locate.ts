/**
 * Where a groups.json group is in AWS: a group Portcullis creates is found by its name
 * (the key); a group made elsewhere by its `id`, or by its `lookup` (name and/or tags),
 * which must match exactly one group, as Terraform's aws_security_group data source
 * demands.
 */
import type { CloudGroup, CloudPort } from '../core/ports.ts';
import { InputError } from '../domain/errors.ts';
import type { GroupSettings } from '../domain/groups.ts';

export class AmbiguousGroupError extends InputError {
  readonly code = 'GROUP_AMBIGUOUS';
}

/** The group AWS has for `key`; null when it has none. `vpcId` narrows a lookup to one VPC. */
export async function locateGroup(cloud: CloudPort, key: string, settings: GroupSettings | undefined, vpcId?: string): Promise<CloudGroup | null> {
  const existing = settings?.existing;
  if (!existing) return cloud.findGroup(key);
  if ('id' in existing) return cloud.findGroup(existing.id);
  const found = await cloud.lookupGroups({ ...existing, ...(vpcId !== undefined ? { vpcId } : {}) });
  if (found.length > 1) {
    throw new AmbiguousGroupError(`groups.json: group "${key}": lookup matches ${found.length} security groups (${found.map((g) => g.groupId).join(', ')}); it must match exactly one`);
  }
  return found[0] ?? null;
}
