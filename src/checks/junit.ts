/**
 * JUnit XML, the report format GitLab shows as a pipeline's test results
 * (artifacts:reports:junit). One suite per check run, one test case per thing checked.
 */
export interface JUnitCase {
  /** The thing checked, e.g. "i-0abc 127.0.0.5:443" or "REQ-12". */
  name: string;
  /** Groups cases in GitLab's view, e.g. "service-checks.sg-front". */
  classname: string;
  timeSeconds: number;
  /** Null when the case passed; otherwise what went wrong. */
  failure: { message: string; detail?: string } | null;
}

const escapeXml = (text: string) =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
    // XML 1.0 allows no control characters but tab, newline and carriage return.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd');

export function junitXml(suite: string, cases: readonly JUnitCase[]): string {
  const failures = cases.filter((c) => c.failure).length;
  const time = cases.reduce((sum, c) => sum + c.timeSeconds, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(suite)}" tests="${cases.length}" failures="${failures}" time="${time.toFixed(3)}">`,
    `  <testsuite name="${escapeXml(suite)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${time.toFixed(3)}">`,
  ];
  for (const c of cases) {
    const open = `    <testcase name="${escapeXml(c.name)}" classname="${escapeXml(c.classname)}" time="${c.timeSeconds.toFixed(3)}"`;
    if (!c.failure) lines.push(`${open}/>`);
    else {
      lines.push(`${open}>`);
      lines.push(`      <failure message="${escapeXml(c.failure.message)}">${escapeXml(c.failure.detail ?? c.failure.message)}</failure>`);
      lines.push('    </testcase>');
    }
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
