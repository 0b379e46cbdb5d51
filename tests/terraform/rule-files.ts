/**
 * The checks every file under terraform/rules/ must pass before Terraform sees it, as one
 * function so the test can prove each check fires on a broken directory too.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseRuleFile, serializeRuleFile } from '../../src/domain/rule.ts';

/** One line per problem, naming the file; empty when every rule file is sound. */
export async function ruleFileProblems(rulesDir: string, groupKeys: ReadonlySet<string>): Promise<string[]> {
  const problems: string[] = [];
  const names = (await readdir(rulesDir)).sort();
  for (const name of names) {
    if (!name.endsWith('.json')) {
      problems.push(`${name}: not a .json file, so Terraform ignores it`);
      continue;
    }
    const text = await readFile(join(rulesDir, name), 'utf8');
    let rule;
    try {
      rule = parseRuleFile(text, name);
    } catch (err) {
      problems.push((err as Error).message);
      continue;
    }
    if (`${rule.id}.json` !== name) problems.push(`${name}: holds the rule "${rule.id}"; a rule file is named after its id`);
    if (!groupKeys.has(rule.group)) problems.push(`${name}: group "${rule.group}" is not a key of groups.json`);
    // The bot writes rules with serializeRuleFile; a hand-written file in the same form
    // keeps diffs and reviews uniform.
    if (serializeRuleFile(rule) !== text) problems.push(`${name}: not in the canonical form serializeRuleFile writes`);
  }
  return problems;
}
