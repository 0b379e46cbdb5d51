/**
 * Reads a Terraform module with a real HCL parser (@cdktf/hcl2json, HashiCorp's HCL
 * compiled to WASM) so tests can check what `terraform validate` would, on machines where
 * no terraform binary can be installed: every reference points at something declared.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getExpressionAst, parse } from '@cdktf/hcl2json';

/** A block body as hcl2json renders it: attributes, nested blocks as arrays of bodies. */
export type HclBody = Record<string, unknown>;

/** One expression of the module and where it sits, e.g. `resource.aws_instance.front.ami`. */
export interface HclExpression {
  file: string;
  path: string;
  text: string;
}

export interface TerraformModule {
  variables: Map<string, HclBody>;
  locals: Map<string, unknown>;
  /** By address, `aws_security_group.group`. */
  resources: Map<string, HclBody>;
  /** By address without the `data.` prefix, `aws_vpc.selected`. */
  dataSources: Map<string, HclBody>;
  outputs: Map<string, HclBody>;
  terraformBlocks: HclBody[];
  providers: Map<string, HclBody>;
  expressions: HclExpression[];
}

/** Roots of a reference that name no declared object (`each.key`, `path.module`, ...). */
const BUILT_IN_ROOTS = new Set(['each', 'count', 'path', 'self', 'terraform']);

export async function loadTerraformModule(dir: string): Promise<TerraformModule> {
  const module: TerraformModule = {
    variables: new Map(),
    locals: new Map(),
    resources: new Map(),
    dataSources: new Map(),
    outputs: new Map(),
    terraformBlocks: [],
    providers: new Map(),
    expressions: [],
  };
  const files = (await readdir(dir)).filter((name) => name.endsWith('.tf')).sort();
  for (const file of files) {
    const json = (await parse(file, await readFile(join(dir, file), 'utf8'))) as Record<string, unknown>;
    for (const [name, body] of labelled(json.variable)) module.variables.set(name, body);
    for (const body of blocks(json.locals)) for (const [name, value] of Object.entries(body)) module.locals.set(name, value);
    for (const [type, byName] of Object.entries(asRecord(json.resource))) {
      for (const [name, body] of labelled(byName)) module.resources.set(`${type}.${name}`, body);
    }
    for (const [type, byName] of Object.entries(asRecord(json.data))) {
      for (const [name, body] of labelled(byName)) module.dataSources.set(`${type}.${name}`, body);
    }
    for (const [name, body] of labelled(json.output)) module.outputs.set(name, body);
    for (const [name, body] of labelled(json.provider)) module.providers.set(name, body);
    module.terraformBlocks.push(...blocks(json.terraform));
    collectExpressions(json, file, [], module.expressions);
  }
  return module;
}

/** Every reference to a variable, local, resource, data source or module the module does not declare. */
export async function unresolvedReferences(module: TerraformModule): Promise<string[]> {
  const problems: string[] = [];
  for (const expression of module.expressions) {
    for (const reference of await referencesIn(expression)) {
      const problem = resolve(module, reference);
      if (problem) problems.push(`${expression.file} ${expression.path}: ${problem}`);
    }
  }
  return problems;
}

interface AstNode {
  type: string;
  meta: Record<string, unknown>;
  children?: AstNode[];
}

/**
 * The references of an attribute value as name lists (`aws_security_group.group.id` ->
 * ['aws_security_group', 'group', 'id']). hcl2json hands attribute values back as template
 * text; a heredoc carries it back into the parser without re-escaping its quotes. (The
 * library's own getReferencesInExpression breaks on quoted text and skips the key and
 * value of `for` expressions, so the syntax tree is walked here.)
 */
async function referencesIn(expression: HclExpression): Promise<string[][]> {
  const ast = (await getExpressionAst(expression.file, `<<PORTCULLIS_EOT\n${expression.text}\nPORTCULLIS_EOT\n`)) as AstNode | null;
  return ast ? collectReferences(ast, new Set()) : [];
}

function collectReferences(node: AstNode, iterationNames: Set<string>): string[][] {
  if (node.type === 'scopeTraversal') {
    const names: string[] = [];
    for (const step of node.meta.traversal as Array<{ segment?: string }>) {
      if (step.segment === undefined) break; // an index or splat: the name has ended
      names.push(step.segment);
    }
    return names.length > 0 && !iterationNames.has(names[0]!) ? [names] : [];
  }
  const children = node.children ?? [];
  if (node.type !== 'for') return children.flatMap((child) => collectReferences(child, iterationNames));
  // `for k, v in COLLECTION : ...`: k and v name nothing declared, except inside COLLECTION.
  const { keyVar, valVar, collectionExpression } = node.meta as { keyVar?: string; valVar?: string; collectionExpression: string };
  const inner = new Set([...iterationNames, ...[keyVar, valVar].filter((name): name is string => Boolean(name))]);
  return children.flatMap((child) =>
    collectReferences(child, child.meta.value === collectionExpression ? iterationNames : inner),
  );
}

function resolve(module: TerraformModule, [root, first, second]: string[]): string | null {
  if (root === undefined || BUILT_IN_ROOTS.has(root)) return null;
  switch (root) {
    case 'var':
      return first !== undefined && module.variables.has(first) ? null : `var.${first} is not declared`;
    case 'local':
      return first !== undefined && module.locals.has(first) ? null : `local.${first} is not defined`;
    case 'data':
      return module.dataSources.has(`${first}.${second}`) ? null : `data.${first}.${second} is not declared`;
    case 'module':
      return `module.${first} is not declared`; // this module calls no other module
    default:
      return module.resources.has(`${root}.${first}`) ? null : `${root}.${first} is not declared`;
  }
}

/**
 * The parts of a conditional expression (`c ? a : b`), whitespace-normalised, or null when
 * the attribute is not one. Tests use it to pin the shape of contract-critical attributes.
 */
export async function conditionalParts(
  text: string,
): Promise<{ condition: string; whenTrue: string; whenFalse: string } | null> {
  const inner = /^\$\{([\s\S]*)\}$/.exec(text)?.[1];
  if (inner === undefined) return null;
  const ast = await getExpressionAst('expression.tf', inner).catch(() => null);
  if (ast?.type !== 'conditional') return null;
  const meta = ast.meta as { conditionExpression: string; trueExpression: string; falseExpression: string };
  return {
    condition: squash(meta.conditionExpression),
    whenTrue: squash(meta.trueExpression),
    whenFalse: squash(meta.falseExpression),
  };
}

/** An expression with runs of whitespace reduced to one space, for readable comparisons. */
export function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function collectExpressions(node: unknown, file: string, path: string[], out: HclExpression[]): void {
  if (typeof node === 'string') {
    if (node.includes('${')) out.push({ file, path: path.join('.'), text: node });
    return;
  }
  if (Array.isArray(node)) {
    for (const item of node) collectExpressions(item, file, path, out);
    return;
  }
  if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      // A variable's `type` is a type constraint (`string`, `map(string)`), not a reference.
      if (key === 'type' && path[0] === 'variable') continue;
      collectExpressions(value, file, [...path, key], out);
    }
  }
}

/** `{ name: [body] }` (how hcl2json renders labelled blocks) as [name, body] pairs. */
function labelled(value: unknown): Array<[string, HclBody]> {
  return Object.entries(asRecord(value)).flatMap(([name, bodies]) => blocks(bodies).map((body): [string, HclBody] => [name, body]));
}

function blocks(value: unknown): HclBody[] {
  return Array.isArray(value) ? value.map(asRecord) : [];
}

function asRecord(value: unknown): HclBody {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as HclBody) : {};
}
