/**
 * Runs in its own process so its peak RSS is the plan work's alone: read the plan file,
 * judge it and summarise it the way the pipeline and the bot do (one analysis, both
 * outputs), and print the timings as JSON.
 */
import { readFile } from 'node:fs/promises';
import { loadPolicies } from '../src/compliance/policy.ts';
import { judgeChanges } from '../src/compliance/engine.ts';
import { formatReportText } from '../src/compliance/report.ts';
import { analysePlan, formatSummaryText, summarizeAnalysis } from '../src/plan/summary.ts';

const file = process.argv[2]!;
const policies = await loadPolicies();
const start = performance.now();
const json: unknown = JSON.parse(await readFile(file, 'utf8'));
const parsed = performance.now();
const analysis = analysePlan(json);
const report = judgeChanges(analysis.changes, policies);
const summary = summarizeAnalysis(analysis);
const text = formatReportText(report) + formatSummaryText(summary);
const done = performance.now();
process.stdout.write(
  JSON.stringify({
    parseMs: parsed - start,
    judgeAndSummariseMs: done - parsed,
    totalMs: done - start,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    rules: analysis.changes.length,
    violations: report.violations.length,
    textBytes: text.length,
  }),
);
