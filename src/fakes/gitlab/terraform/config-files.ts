/**
 * The inputs terraform/main.tf reads: groups.json and every rules/*.json (fileset "*.json",
 * so not sub-folders), checked as the configuration checks them. Errors name the file.
 */
import { parseRuleFile, RuleFileError, type RuleFile } from '../../../domain/rule.ts';
import type { GroupConfig } from './resources.ts';

export const TERRAFORM_ROOT = 'terraform';

export interface CommitFiles {
  readFile(path: string): Buffer | undefined;
  listFiles(prefix: string): string[];
}

export type TerraformConfig = { groups: Record<string, GroupConfig>; rules: RuleFile[] } | { error: string };

export function readTerraformConfig(files: CommitFiles): TerraformConfig {
  const groupsPath = `${TERRAFORM_ROOT}/groups.json`;
  const groupsText = files.readFile(groupsPath);
  if (!groupsText) return { error: `Invalid function argument: no file exists at "${groupsPath}"` };
  let groups: Record<string, GroupConfig>;
  try {
    groups = JSON.parse(groupsText.toString('utf8')) as Record<string, GroupConfig>;
  } catch (err) {
    return { error: `Error in function call: ${groupsPath}: ${(err as Error).message}` };
  }

  const rules: RuleFile[] = [];
  const prefix = `${TERRAFORM_ROOT}/rules/`;
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
  return { groups, rules };
}
