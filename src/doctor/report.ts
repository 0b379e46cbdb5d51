/**
 * What `portcullis doctor` finds: one row per check, ✓ passed, ✗ failed (with the fix),
 * – not checked (with why), and the two ways it is printed.
 */
import { oneLine } from '../domain/text.ts';

export type CheckStatus = 'ok' | 'fail' | 'skip';

export interface CheckResult {
  area: 'Configuration' | 'Slack' | 'GitLab' | 'AWS' | 'Database';
  check: string;
  status: CheckStatus;
  /** What was found, on one line. */
  detail: string;
  /** For a failure: what to do about it. */
  fix?: string;
}

export const ok = (area: CheckResult['area'], check: string, detail: string): CheckResult => ({ area, check, status: 'ok', detail });
export const fail = (area: CheckResult['area'], check: string, detail: string, fix: string): CheckResult => ({ area, check, status: 'fail', detail, fix });
export const skip = (area: CheckResult['area'], check: string, detail: string): CheckResult => ({ area, check, status: 'skip', detail });

/** The same rows, each check named for one environment (when there are several). */
export const forEnvironment = (label: string | null, rows: readonly CheckResult[]): CheckResult[] =>
  rows.map((r) => (label === null ? r : { ...r, check: `${r.check} (${label})` }));

const MARK: Record<CheckStatus, string> = { ok: '✓', fail: '✗', skip: '–' };

/** Whether every check that ran passed. */
export const allPassed = (results: readonly CheckResult[]) => results.every((r) => r.status !== 'fail');

export function formatTable(results: readonly CheckResult[]): string {
  const areaWidth = Math.max(...results.map((r) => r.area.length));
  const checkWidth = Math.max(...results.map((r) => r.check.length));
  const indent = ' '.repeat(2 + areaWidth + 2 + checkWidth + 2);
  const lines = results.flatMap((r) => {
    const head = `${MARK[r.status]} ${r.area.padEnd(areaWidth)}  ${r.check.padEnd(checkWidth)}  ${oneLine(r.detail)}`;
    return r.fix === undefined ? [head] : [head, `${indent}fix: ${oneLine(r.fix)}`];
  });
  const failed = results.filter((r) => r.status === 'fail').length;
  const skipped = results.filter((r) => r.status === 'skip').length;
  const passed = results.length - failed - skipped;
  return `${lines.join('\n')}\n\n${passed} passed, ${failed} failed, ${skipped} not checked.\n`;
}

export function formatJson(results: readonly CheckResult[]): string {
  return `${JSON.stringify({ ok: allPassed(results), checks: results }, null, 2)}\n`;
}

/** A failure's own words, on one line. */
export const reason = (err: unknown) => oneLine(err instanceof Error ? err.message : String(err));
