/**
 * terraform/groups.json and the rule files under terraform/rules/: what main.tf decodes
 * must be what src/domain/rule.ts accepts, or a plan fails after a request was accepted.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { GROUP_KEY_PATTERN } from '../../src/domain/rule.ts';
import { ruleFileProblems } from './rule-files.ts';

const TERRAFORM = new URL('../../terraform/', import.meta.url);
const BROKEN_RULES = new URL('./fixtures/broken-rules/', import.meta.url).pathname;

async function groups(): Promise<Record<string, { description: unknown; service_ports: unknown }>> {
  return JSON.parse(await readFile(new URL('groups.json', TERRAFORM), 'utf8'));
}

test('groups.json declares sg-front and gives each group a description and service ports', async () => {
  const declared = await groups();
  assert.ok('sg-front' in declared, 'the front instance lives in sg-front');
  for (const [key, group] of Object.entries(declared)) {
    assert.match(key, GROUP_KEY_PATTERN, key);
    assert.equal(typeof group.description, 'string', `${key}.description`);
    assert.ok(Array.isArray(group.service_ports), `${key}.service_ports is a list`);
    for (const port of group.service_ports as unknown[]) {
      assert.ok(Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535, `${key}: port ${String(port)}`);
    }
  }
});

test('every rule file under terraform/rules/ is valid, named after its id and in a declared group', async () => {
  const rulesDir = new URL('rules/', TERRAFORM).pathname;
  assert.deepEqual(await ruleFileProblems(rulesDir, new Set(Object.keys(await groups()))), []);
});

test('the rule file check names each kind of broken file', async () => {
  assert.deepEqual(await ruleFileProblems(BROKEN_RULES, new Set(['sg-front'])), [
    'README.txt: not a .json file, so Terraform ignores it',
    'REQ-2.json: holds the rule "REQ-3"; a rule file is named after its id',
    'REQ-4.json: group "sg-nowhere" is not a key of groups.json',
    'REQ-5.json: to_port: from_port must not exceed to_port',
    'REQ-6.json: not in the canonical form serializeRuleFile writes',
  ]);
});
