/** Rules as a person reads them, in plan summaries, compliance reports and Slack. */
import { describePorts } from '../domain/protocol.ts';
import type { RuleChange, RuleView } from './rule-views.ts';
import type { ResourceAction } from './plan-json.ts';

const UNKNOWN = '(known after apply)';

export const ACTION_MARK: Record<ResourceAction, string> = {
  create: '+',
  update: '~',
  replace: '-/+',
  delete: '-',
};

/** `ingress tcp/443 from 203.0.113.0/24 → sg-front "partner API"` */
export function describeRule(rule: RuleView): string {
  const ports = rule.protocol === null || rule.unknown.includes('from_port') || rule.unknown.includes('to_port')
    ? `${rule.protocol ?? UNKNOWN}/${UNKNOWN}`
    : describePorts(rule.protocol, rule.fromPort, rule.toPort);
  const source = rule.source.kind === 'unknown'
    ? UNKNOWN
    : rule.source.kind === 'cidr' || rule.source.kind === 'self'
      ? rule.source.value
      : `${rule.source.kind.replace('_', ' ')} ${rule.source.value}`;
  const direction = rule.direction === 'ingress' ? `from ${source}` : `to ${source}`;
  const description = rule.unknown.includes('description') ? UNKNOWN : JSON.stringify(rule.description);
  return `${rule.direction} ${ports} ${direction} → ${rule.securityGroup ?? UNKNOWN} ${description}`;
}

/** `+ ingress tcp/443 from 203.0.113.0/24 → sg-front "partner API" (REQ-12)` */
export function describeChange(change: RuleChange): string {
  const tag = change.rule.requestId ? ` (${change.rule.requestId})` : '';
  const was = change.before ? ` (was: ${describeRule(change.before)})` : '';
  return `${ACTION_MARK[change.action]} ${describeRule(change.rule)}${tag}${was}`;
}
