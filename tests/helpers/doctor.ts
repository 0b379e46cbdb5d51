/** Runs `portcullis doctor --format json` on an environment map, with a way to find one row of its report. */
import assert from 'node:assert/strict';
import { createDoctorCommand } from '../../src/cli/doctor.ts';
import type { CheckResult } from '../../src/doctor/report.ts';

export async function runDoctorJson(env: Record<string, string | undefined>, ...args: string[]) {
  let stdout = '';
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const code = await createDoctorCommand(() => defined).run(['--format', 'json', ...args], { stdout: (t) => void (stdout += t), stderr: () => undefined });
  const report = JSON.parse(stdout) as { ok: boolean; checks: CheckResult[] };
  const row = (area: string, check: string) => {
    const found = report.checks.find((c) => c.area === area && c.check === check);
    assert.ok(found, `a ${area} "${check}" row in ${stdout}`);
    return found;
  };
  return { code, report, row, stdout };
}
