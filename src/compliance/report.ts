/** The compliance report as a person reads it in a pipeline log and in compliance.txt. */
import type { ComplianceReport, Finding } from './engine.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function formatReportText(report: ComplianceReport): string {
  const verdict = report.compliant ? 'PASSED' : 'FAILED';
  const lines = [
    `Compliance ${verdict}: ${plural(report.violations.length, 'violation')}, ${plural(report.warnings.length, 'warning')}; ` +
      `${plural(report.checked, 'rule')} checked against ${plural(report.policies.length, 'policy').replace(/policys$/, 'policies')}` +
      (report.removed > 0 ? `, ${report.removed} removed (never a violation)` : '') +
      '.',
  ];
  const section = (title: string, findings: Finding[]) => {
    if (findings.length === 0) return;
    lines.push('', `${title}:`);
    for (const f of findings) {
      lines.push(`  [${f.severity.toUpperCase()}] ${f.policy}: ${f.message}`);
      lines.push(`      rule: ${f.rule}`);
      lines.push(`      resource: ${f.resource}`);
      lines.push(`      fix: ${f.remediation}`);
    }
  };
  section('Violations', report.violations);
  section('Warnings', report.warnings);
  return `${lines.join('\n')}\n`;
}
