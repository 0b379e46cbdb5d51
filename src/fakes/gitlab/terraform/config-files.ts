/**
 * The inputs terraform/main.tf reads: groups.json and every rules/*.json (fileset "*.json",
 * so not sub-folders), checked as the configuration checks them, and the `import` blocks
 * of the root module's .tf files (what `portcullis import` writes). Errors name the file.
 */
import { GroupsFileError, parseGroupsFile } from '../../../domain/groups.ts';
import { parseRuleFile, RuleFileError, type RuleFile } from '../../../domain/rule.ts';
import type { GroupConfig } from './resources.ts';

export const TERRAFORM_ROOT = 'terraform';

export interface CommitFiles {
  readFile(path: string): Buffer | undefined;
  listFiles(prefix: string): string[];
}

/** `import { to = ADDRESS  id = "…" }` in a .tf file of the root module. */
export interface ImportBlock {
  to: string;
  id: string;
  file: string;
}

export type TerraformConfig = { groups: Record<string, GroupConfig>; rules: RuleFile[]; imports: ImportBlock[] } | { error: string };

/** `dir`: where groups.json and rules/ are (main.tf's local.config_dir: terraform/environments/<name> for var.environment). */
export function readTerraformConfig(files: CommitFiles, dir: string = TERRAFORM_ROOT): TerraformConfig {
  const groupsPath = `${dir}/groups.json`;
  const groupsText = files.readFile(groupsPath);
  if (!groupsText) return { error: `Invalid function argument: no file exists at "${groupsPath}"` };
  const groups: Record<string, GroupConfig> = {};
  try {
    for (const [key, g] of parseGroupsFile(groupsText.toString('utf8'), groupsPath)) groups[key] = { description: g.description, ...(g.existing ? { existing: g.existing } : {}) };
  } catch (err) {
    if (err instanceof GroupsFileError) return { error: `Error in function call: ${err.message}` };
    throw err;
  }
  let imports: ImportBlock[];
  try {
    imports = readImportBlocks(files);
  } catch (err) {
    return { error: (err as Error).message };
  }

  const rules: RuleFile[] = [];
  const prefix = `${dir}/rules/`;
  for (const path of files.listFiles(prefix)) {
    const name = path.slice(prefix.length);
    if (name.includes('/') || !name.endsWith('.json')) continue;
    let rule: RuleFile;
    try {
      rule = parseRuleFile(files.readFile(path)!.toString('utf8'), path);
    } catch (err) {
      if (err instanceof RuleFileError) return { error: `Invalid rule file: ${err.message}` };
      throw err;
    }
    const key = name.slice(0, -'.json'.length);
    if (rule.id !== key) {
      return { error: `Resource precondition failed: ${path} holds the rule "${rule.id}": a rule file must be named after its id.` };
    }
    rules.push(rule);
  }
  return { groups, rules, imports };
}

const IMPORT_TO = /^to\s*=\s*((?:aws_vpc_security_group_ingress_rule|aws_vpc_security_group_egress_rule)\.rule\["[A-Za-z0-9][A-Za-z0-9_-]{0,63}"\])$/;
const IMPORT_ID = /^id\s*=\s*"(sgr-[0-9a-f]{8,17})"$/;

/**
 * The import blocks of terraform/*.tf. The fake reads only the form `portcullis import`
 * writes (one `to` and one `id` per block, comments and blank lines); anything else in an
 * import block is refused rather than guessed at.
 */
function readImportBlocks(files: CommitFiles): ImportBlock[] {
  const blocks: ImportBlock[] = [];
  const prefix = `${TERRAFORM_ROOT}/`;
  for (const path of files.listFiles(prefix)) {
    if (path.slice(prefix.length).includes('/') || !path.endsWith('.tf')) continue;
    const text = files.readFile(path)!.toString('utf8');
    for (const m of text.matchAll(/^import\s*\{([^}]*)\}/gm)) {
      const lines = m[1]!.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
      const to = lines.map((l) => IMPORT_TO.exec(l)?.[1]).filter(Boolean);
      const id = lines.map((l) => IMPORT_ID.exec(l)?.[1]).filter(Boolean);
      if (lines.length !== 2 || to.length !== 1 || id.length !== 1) {
        throw new Error(`Error: Invalid import block in ${path}: the fake Terraform reads \`to = <rule address>\` and \`id = "sgr-…"\` only`);
      }
      blocks.push({ to: to[0]!, id: id[0]!, file: path });
    }
  }
  return blocks;
}
