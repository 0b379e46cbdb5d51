/** The compliance report (compliance.json from the pipeline) as a thread reply. */
import type { Block, SlackMessage } from '../../core/ports.ts';
import type { ComplianceReport, Finding } from '../../compliance/engine.ts';
import { code, escapeMrkdwn } from '../mrkdwn.ts';
import { message, packLines, section } from './kit.ts';
import { OUR_LIMITS } from './limits.ts';

const WARNINGS_HEADING = ':warning: *Warnings*';
/** Blocks per list: the verdict, two lists and the warnings heading stay under Slack's 50. */
const LIST_BLOCKS = 20;

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

function findingText(finding: Finding): string {
  return [
    `• ${code(finding.policy)} ${escapeMrkdwn(finding.rule)}`,
    `    ${escapeMrkdwn(finding.message)}`,
    `    _Fix:_ ${escapeMrkdwn(finding.remediation)}`,
  ].join('\n');
}

function verdict(report: ComplianceReport): string {
  const scope = `${plural(report.checked, 'rule')} checked, ${report.removed} removed`;
  if (!report.compliant) return `:x: *Not compliant*: ${plural(report.violations.length, 'violation')} (${scope})`;
  const warned = report.warnings.length > 0 ? `, ${plural(report.warnings.length, 'warning')}` : '';
  return `:white_check_mark: *Compliant* (${scope}${warned})`;
}

export function complianceReport(report: ComplianceReport): SlackMessage {
  const head = verdict(report);
  const budget = OUR_LIMITS.messageBlockText - head.length - WARNINGS_HEADING.length;
  // Violations decide the outcome, so they come first; warnings keep at least a quarter.
  const violationShare = report.warnings.length === 0 ? budget : Math.floor((budget * 3) / 4);
  const violations = packLines(report.violations.map(findingText), {
    maxBlocks: LIST_BLOCKS,
    maxChars: violationShare,
    more: (n) => `…and ${plural(n, 'more violation')}: see compliance.json in the pipeline's artifacts.`,
  });
  const blocks: Block[] = [section(head), ...violations.blocks];
  if (report.warnings.length > 0) {
    const warnings = packLines(report.warnings.map(findingText), {
      maxBlocks: LIST_BLOCKS,
      maxChars: budget - violations.chars,
      more: (n) => `…and ${plural(n, 'more warning')}.`,
    });
    blocks.push(section(WARNINGS_HEADING), ...warnings.blocks);
  }
  return message(head, blocks);
}
