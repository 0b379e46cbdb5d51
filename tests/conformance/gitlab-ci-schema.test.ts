/**
 * terraform/.gitlab-ci.yml and the child pipeline it includes against GitLab's own CI
 * configuration schema (corpus/schemas/gitlab-ci.json, the one GitLab's editor uses).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { corpusFolder, draft07Validator, readJson, REPO_ROOT } from './corpus.ts';
import { environmentsFileText, twoEnvironmentFiles } from '../helpers/two-accounts.ts';

const schemas = corpusFolder('schemas', 'the CI files against GitLab\'s CI schema');

if (schemas !== null) {
  const schema = readJson(path.join(schemas, 'gitlab-ci.json')) as { $schema: string };
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#', 'the draft Ajv\'s default class implements');
  const validate = draft07Validator().compile(schema);
  const load = (file: string) => parse(readFileSync(path.join(REPO_ROOT, file), 'utf8'), { merge: true }) as Record<string, any>;
  const problems = (doc: unknown) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`));

  for (const file of ['terraform/.gitlab-ci.yml', 'terraform/ci/service-checks.yml']) {
    test(`${file} is valid GitLab CI configuration`, () => {
      assert.deepEqual(problems(load(file)), []);
    });
  }

  test('the pipeline `portcullis ci-config --environments` writes is valid GitLab CI configuration', () => {
    const text = twoEnvironmentFiles(environmentsFileText({ staging: ['U0STAGE'], production: ['U0PROD'] }))['terraform/.gitlab-ci.yml']!;
    const doc = parse(text, { merge: true }) as Record<string, any>;
    assert.deepEqual(problems(doc), []);
    assert.equal(doc['deploy:production'].rules[0].when, 'manual');
    // The check bites on this file too: a rule's compare_to must be a string.
    doc['plan:staging'].rules[0].changes.compare_to = ['main'];
    assert.notDeepEqual(problems(doc), []);
  });

  test('the schema catches mistakes in our pipeline\'s own keywords', () => {
    const ci = load('terraform/.gitlab-ci.yml');
    const broken = (change: (doc: Record<string, any>) => void) => {
      const doc = structuredClone(ci);
      change(doc);
      return problems(doc);
    };
    assert.notDeepEqual(broken((d) => (d.deploy.when = 'on_approval')), [], 'an unknown when:');
    assert.notDeepEqual(broken((d) => (d['service-checks'].trigger.strategy = 'wait')), [], 'an unknown trigger strategy');
    assert.notDeepEqual(broken((d) => (d.deploy.allow_failure = 'no')), [], 'allow_failure that is not a boolean');
    assert.notDeepEqual(broken((d) => (d.plan.artifacts.expire_in = 7)), [], 'expire_in that is not a duration string');
  });
}
