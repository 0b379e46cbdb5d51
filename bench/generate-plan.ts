/**
 * A large, realistic `terraform show -json` plan for the benchmark: mostly one-rule
 * resources (as terraform/ produces), some old-style rules with several sources, some
 * groups with inline blocks, and instances; a few violations and removals among them.
 */
import { block, inlineGroup, instance, legacyRule, plan, vpcRule, type ResourceChangeJson } from '../tests/helpers/plans.ts';

export function largePlan(resources: number): Record<string, unknown> {
  const changes: ResourceChangeJson[] = [];
  for (let i = 0; i < resources; i++) {
    const octets = `${(i >> 8) & 255}.${i & 255}`;
    const kind = i % 20;
    if (kind < 14) {
      changes.push(
        vpcRule({
          request: `REQ-${i}`,
          action: i % 97 === 0 ? 'delete' : i % 53 === 0 ? 'update' : 'create',
          cidr: i % 31 === 0 ? '0.0.0.0/0' : `10.${octets}.0/24`,
          from: i % 31 === 0 ? 22 : 443,
          to: i % 31 === 0 ? 22 : 443,
          before: { description: 'previous' },
        }),
      );
    } else if (kind < 17) {
      changes.push(legacyRule({ address: `aws_security_group_rule.r${i}`, cidrs: [`172.16.${i & 255}.0/24`, `192.168.${i & 255}.0/24`], ipv6: ['fd00::/8'], from: 8000, to: 8100 }));
    } else if (kind < 19) {
      const kept = block({ cidrs: ['0.0.0.0/0'] });
      changes.push(inlineGroup({ address: `aws_security_group.g${i}`, before: { ingress: [kept] }, after: { ingress: [kept, block({ cidrs: [`10.${(i >> 8) & 255}.${i & 255}.0/24`], from: 5432, to: 5432 })] } }));
    } else {
      changes.push({ ...instance('update'), address: `aws_instance.i${i}` });
    }
  }
  return plan(changes);
}
