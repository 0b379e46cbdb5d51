/**
 * The plan as `terraform show` prints it (plan.txt): one block per changed resource with
 * +/-/~ markers, "(known after apply)" for unknown values, and the summary line.
 */
import type { Attrs } from './resources.ts';
import type { ResourceChange, TerraformPlan } from './plan.ts';

const HEADINGS: Record<string, { symbol: string; legend: string; verb: string }> = {
  create: { symbol: '+', legend: 'create', verb: 'will be created' },
  update: { symbol: '~', legend: 'update in-place', verb: 'will be updated in-place' },
  delete: { symbol: '-', legend: 'destroy', verb: 'will be destroyed' },
  replace: { symbol: '-/+', legend: 'destroy and then create replacement', verb: 'must be replaced' },
};

export function formatPlanText(plan: TerraformPlan): string {
  const changes = plan.resource_changes.filter((c) => !c.change.actions.includes('no-op'));
  if (changes.length === 0) {
    return 'No changes. Your infrastructure matches the configuration.\n\nTerraform has compared your real infrastructure against your configuration\nand found no differences, so no changes are needed.\n';
  }
  const kinds = [...new Set(changes.map(kindOf))];
  const lines = [
    'Terraform used the selected providers to generate the following execution',
    'plan. Resource actions are indicated with the following symbols:',
    ...Object.entries(HEADINGS)
      .filter(([kind]) => kinds.includes(kind))
      .map(([, h]) => `${h.symbol.padStart(3)} ${h.legend}`),
    '',
    'Terraform will perform the following actions:',
  ];
  for (const change of changes) lines.push('', ...resourceBlock(change));
  const count = (kind: string) => changes.filter((c) => kindOf(c) === kind).length;
  const replaced = count('replace');
  lines.push('', `Plan: ${count('create') + replaced} to add, ${count('update')} to change, ${count('delete') + replaced} to destroy.`, '');
  return lines.join('\n');
}

function kindOf(c: ResourceChange): string {
  const a = c.change.actions;
  return a.length === 2 ? 'replace' : a[0]!;
}

function resourceBlock(c: ResourceChange): string[] {
  const kind = kindOf(c);
  const h = HEADINGS[kind]!;
  const lines = [`  # ${c.address} ${h.verb}`];
  if (c.action_reason === 'delete_because_each_key') lines.push(`  # (because key [${JSON.stringify(c.index)}] is not in for_each map)`);
  lines.push(`${h.symbol.padStart(3)} resource "${c.type}" "${c.name}" {`);
  const before = c.change.before ?? {};
  const after = c.change.after ?? {};
  const unknown = c.change.after_unknown;
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown).filter((k) => unknown[k] === true)])].sort();
  const width = Math.max(...keys.map((k) => k.length));
  let hidden = 0;
  for (const key of keys) {
    const line = attributeLine(kind, key.padEnd(width), before[key], after[key], unknown[key] === true, (c.change.replace_paths ?? []).some((p) => p[0] === key));
    if (line === null) hidden += 1;
    else lines.push(...line);
  }
  if (hidden > 0 && kind !== 'create' && kind !== 'delete') lines.push(`        # (${hidden} unchanged attribute${hidden === 1 ? '' : 's'} hidden)`);
  lines.push('    }');
  return lines;
}

function attributeLine(kind: string, key: string, before: unknown, after: unknown, unknown: boolean, forcesReplacement: boolean): string[] | null {
  const afterText = unknown ? '(known after apply)' : null;
  if (kind === 'create') {
    if (!unknown && (after === null || after === undefined)) return null;
    return prefixed('+', key, afterText ?? render(after, 6, '+'));
  }
  if (kind === 'delete') {
    if (before === null || before === undefined) return null;
    return prefixed('-', key, `${render(before, 6, '-')} -> null`);
  }
  const same = !unknown && JSON.stringify(before) === JSON.stringify(after);
  if (same) return key.trim() === 'id' ? [`        ${key} = ${render(before, 6)}`] : null;
  const suffix = forcesReplacement ? ' # forces replacement' : '';
  if (before === null || before === undefined) return prefixed('+', key, (afterText ?? render(after, 6)) + suffix);
  return prefixed('~', key, `${render(before, 6)} -> ${afterText ?? render(after, 6)}${suffix}`);
}

function prefixed(symbol: string, key: string, value: string): string[] {
  return `      ${symbol} ${key} = ${value}`.split('\n');
}

/** A value as HCL-ish text; `symbol` marks each entry of a created or destroyed map. */
function render(value: unknown, indent: number, symbol = ' '): string {
  if (value === null || value === undefined) return 'null';
  const pad = (n: number) => ' '.repeat(n);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => `${pad(indent + 4)}${symbol} ${render(v, indent + 4, symbol)},`).join('\n')}\n${pad(indent + 2)}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Attrs);
    if (entries.length === 0) return '{}';
    const width = Math.max(...entries.map(([k]) => JSON.stringify(k).length));
    const body = entries.map(([k, v]) => `${pad(indent + 4)}${symbol} ${JSON.stringify(k).padEnd(width)} = ${render(v, indent + 4, symbol)}`);
    return `{\n${body.join('\n')}\n${pad(indent + 2)}}`;
  }
  return JSON.stringify(value);
}
