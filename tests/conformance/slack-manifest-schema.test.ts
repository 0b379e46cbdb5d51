/**
 * manifest.yml against Slack's app-manifest JSON schema (corpus/schemas: the schema for
 * all versions, which picks 1.0.0 or 2.0.0 by _metadata.major_version). The versioned
 * schemas are registered under the addresses the top one refers to; nothing is fetched.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { corpusFolder, draft07Validator, readJson, REPO_ROOT } from './corpus.ts';

const schemas = corpusFolder('schemas', 'manifest.yml against Slack\'s manifest schema');

if (schemas !== null) {
  const ajv = draft07Validator();
  const top = readJson(path.join(schemas, 'slack-manifest.schema.json')) as { $schema: string };
  assert.equal(top.$schema, 'http://json-schema.org/draft-07/schema#');
  const refs = [...JSON.stringify(top).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
  for (const ref of new Set(refs)) {
    const file = path.join(schemas, `slack-${path.basename(new URL(ref).pathname)}`);
    ajv.addSchema(readJson(file) as object, ref);
  }
  const validate = ajv.compile(top);
  const manifest = parse(readFileSync(path.join(REPO_ROOT, 'manifest.yml'), 'utf8')) as Record<string, any>;
  const problems = (doc: unknown) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`));

  test('manifest.yml is a valid Slack app manifest', () => {
    assert.equal(manifest._metadata.major_version, 1, 'checked against manifest.schema.1.0.0');
    assert.deepEqual(problems(manifest), []);
  });

  test('the schema catches mistakes a manifest can make', () => {
    const broken = (change: (doc: Record<string, any>) => void) => {
      const doc = structuredClone(manifest);
      change(doc);
      return problems(doc);
    };
    assert.notDeepEqual(broken((m) => (m.display_information.name = 'Portcullis, the security-group gatekeeper')), [], 'a name over 35 characters');
    assert.notDeepEqual(broken((m) => (m.display_information.background_color = 'navy')), [], 'a colour that is not #rgb or #rrggbb');
    assert.notDeepEqual(broken((m) => (m.settings.socket_mode = true)), [], 'a misspelt setting');
    assert.notDeepEqual(broken((m) => (m.features.slash_commands[0].description = '')), [], 'a command without a description');
  });
}
