/**
 * A job's `rules:` as the fake reads and evaluates them: each rule may hold `changes`
 * (a list of globs, or `paths:` with `compare_to:`), `when` and `allow_failure`, and the
 * first rule that matches decides. Anything else in a rule (`if`, `exists`, `variables`,
 * `needs`) is refused with a clear error rather than guessed at.
 *
 * As GitLab (Gitlab::Ci::Build::Rules::Rule::Clause::Changes, Ci::Pipeline#modified_paths_since):
 * - with `compare_to`, the changed paths are those between the merge base of that ref
 *   and the pipeline's commit, and the pipeline commit itself; an unknown ref is an error;
 * - without it, a push pipeline compares with the commit before the push; every other
 *   source (api, web, trigger, parent_pipeline…) counts as "everything changed";
 * - globs are matched as File.fnmatch? with FNM_PATHNAME | FNM_DOTMATCH | FNM_EXTGLOB;
 * - a matching rule adds the job with its `when` (default on_success) and its
 *   `allow_failure` (default false, also for `when: manual`); `when: never` leaves it out.
 */
import picomatch from 'picomatch';
import type { When } from '../model.ts';

export interface CiRule {
  changes: { paths: string[]; compareTo: string | null } | null;
  when: When | 'never';
  allowFailure: boolean | null;
}

/** What a matching rule makes of the job. */
export interface RuleOutcome {
  when: When;
  allowFailure: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const RULE_KEYS = new Set(['changes', 'when', 'allow_failure']);
const RULE_WHEN = new Set(['on_success', 'on_failure', 'always', 'manual', 'delayed', 'never']);

export function parseRules(job: string, rules: unknown, fail: (message: string) => Error): CiRule[] | null {
  if (rules === undefined) return null;
  if (!Array.isArray(rules)) throw fail(`jobs:${job}:rules config should be an array of hashes`);
  return rules.map((rule, i) => {
    if (!isObj(rule)) throw fail(`jobs:${job}:rules:rule config should be a hash`);
    const unknown = Object.keys(rule).filter((k) => !RULE_KEYS.has(k));
    if (unknown.length > 0) throw fail(`jobs:${job}:rules:${i}: the fake evaluates changes, when and allow_failure only, not ${unknown.join(', ')}`);
    const when = rule.when === undefined ? 'on_success' : String(rule.when);
    if (!RULE_WHEN.has(when)) throw fail(`jobs:${job}:rules:rule when unknown value: ${when}`);
    if (rule.allow_failure !== undefined && typeof rule.allow_failure !== 'boolean') throw fail(`jobs:${job}:rules:rule allow_failure should be a boolean value`);
    return { changes: rule.changes === undefined ? null : parseChanges(job, rule.changes, fail), when: when as CiRule['when'], allowFailure: rule.allow_failure ?? null };
  });
}

function parseChanges(job: string, changes: unknown, fail: (message: string) => Error): NonNullable<CiRule['changes']> {
  const strings = (v: unknown) => Array.isArray(v) && v.every((p) => typeof p === 'string');
  if (strings(changes)) return { paths: changes as string[], compareTo: null };
  if (!isObj(changes)) throw fail(`jobs:${job}:rules:rule:changes config should be an array or a hash`);
  const extra = Object.keys(changes).filter((k) => k !== 'paths' && k !== 'compare_to');
  if (extra.length > 0) throw fail(`jobs:${job}:rules:rule:changes config contains unknown keys: ${extra.join(', ')}`);
  if (!strings(changes.paths)) throw fail(`jobs:${job}:rules:rule:changes:paths config should be an array of strings`);
  if (changes.compare_to !== undefined && typeof changes.compare_to !== 'string') throw fail(`jobs:${job}:rules:rule:changes:compare_to config should be a string`);
  return { paths: changes.paths as string[], compareTo: (changes.compare_to as string | undefined) ?? null };
}

/**
 * The changed paths a `changes` clause sees: null means "everything changed" (no diff to
 * compute, as for an API pipeline without compare_to).
 */
export type ChangedPaths = (compareTo: string | null) => readonly string[] | null;

/** The first matching rule's outcome, or null when the job is left out of the pipeline. */
export function evaluateRules(rules: readonly CiRule[], changed: ChangedPaths): RuleOutcome | null {
  for (const rule of rules) {
    if (rule.changes && !changesMatch(rule.changes, changed)) continue;
    if (rule.when === 'never') return null;
    return { when: rule.when, allowFailure: rule.allowFailure ?? false };
  }
  return null;
}

function changesMatch(changes: NonNullable<CiRule['changes']>, changed: ChangedPaths): boolean {
  const paths = changed(changes.compareTo);
  if (paths === null) return true;
  const matchers = changes.paths.map((glob) => picomatch(glob, { dot: true }));
  return paths.some((path) => matchers.some((m) => m(path)));
}
