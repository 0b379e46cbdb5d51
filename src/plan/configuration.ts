/**
 * Questions about the configuration a plan carries (`configuration` in
 * `terraform show -json`). Needed for one ambiguity: a new aws_security_group with no
 * inline rules shows `ingress`/`egress` as unknown until apply (the provider computes
 * them), exactly as a group whose inline rules really are unknown does.
 */
type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : null);

/**
 * Whether the resource's configuration writes the block (e.g. `ingress`): true or
 * false when the plan says, null when the plan carries no configuration for it. Dynamic
 * blocks are not always represented in the JSON, so callers treat only `false` as
 * "not configured" and judge everything else as unknown (fail closed).
 */
export function blockConfigured(configuration: unknown, resourceAddress: string, block: string): boolean | null {
  // module.a["x"].module.b.aws_security_group.web[0] -> modules [a, b], address aws_security_group.web
  const parts = resourceAddress.replace(/\[(?:"(?:[^"\\]|\\.)*"|\d+)\]/g, '').split('.');
  let module = asObj(asObj(configuration)?.root_module);
  while (module && parts[0] === 'module' && parts.length > 3) {
    module = asObj(asObj(asObj(asObj(module.module_calls)?.[parts[1]!])?.module));
    parts.splice(0, 2);
  }
  const address = parts.join('.');
  const resources = Array.isArray(module?.resources) ? (module.resources as unknown[]) : null;
  const resource = resources?.map(asObj).find((r) => r?.address === address);
  const expressions = asObj(resource?.expressions);
  if (!expressions) return null;
  return block in expressions;
}
