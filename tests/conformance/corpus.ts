/**
 * The independent material in ../shared/corpus/ (its README), read in place from the
 * project root and never copied in. Where a folder is absent a suite skips with one line.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';

export const REPO_ROOT = path.join(import.meta.dirname, '..', '..');
export const CORPUS = path.resolve(REPO_ROOT, '..', 'shared', 'corpus');

/** The corpus folder, or null after registering the one skipped test that says it is missing. */
export function corpusFolder(name: string, what: string): string | null {
  const dir = path.join(CORPUS, name);
  if (existsSync(dir)) return dir;
  test(what, { skip: `${path.relative(REPO_ROOT, dir)} is absent` }, () => {});
  return null;
}

export function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

export function jsonFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
}

// ajv-formats is CommonJS with a default export; under ESM its function is the module's default.
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;

/**
 * Ajv for the draft-07 schemas in corpus/schemas (both GitLab's and Slack's declare
 * http://json-schema.org/draft-07/schema#, which Ajv's default class implements). Strict
 * about keywords, so one a schema relies on is never silently ignored: the annotations
 * these schemas carry are declared, and Slack's `regex` (on background_color, next to
 * notes about its regexes) is checked as the pattern it is meant to be. Not strict about
 * how the schemas themselves are written (types, tuples, required properties), which is
 * their authors' business.
 */
export function draft07Validator(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictTuples: false, strictRequired: false });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'markdownDescription', schemaType: 'string' });
  ajv.addKeyword({ keyword: '_note', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'regex', type: 'string', schemaType: 'string', validate: (pattern: string, data: string) => new RegExp(pattern).test(data) });
  return ajv;
}
