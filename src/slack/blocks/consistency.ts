/** The consistency check after a deploy (git ↔ Terraform state ↔ AWS) as a thread reply. */
import type { SlackMessage } from '../../core/ports.ts';
import type { ConsistencyFinding, ConsistencyResult } from '../../checks/consistency.ts';
import { consistencySummary, KIND_LABELS } from '../../checks/consistency-report.ts';
import { escapeMrkdwn } from '../mrkdwn.ts';
import { message, packLines, section } from './kit.ts';
import { OUR_LIMITS } from './limits.ts';

/** The verdict plus up to this many sections of findings and the "more" note: well under Slack's 50. */
const FINDING_BLOCKS = 30;

/** Findings name rule ids, group keys, AWS ids and descriptions someone typed: all escaped. */
function findingLine(finding: ConsistencyFinding): string {
  return `• *${KIND_LABELS[finding.kind]}*: ${escapeMrkdwn(finding.message)}`;
}

export function consistencyReport(result: ConsistencyResult): SlackMessage {
  const summary = consistencySummary(result);
  const head = `${result.ok ? ':white_check_mark:' : ':warning:'} *Consistency check*: ${escapeMrkdwn(summary)}`;
  if (result.ok) return message(summary, [section(head)]);
  const findings = packLines(result.findings.map(findingLine), {
    maxBlocks: FINDING_BLOCKS,
    maxChars: OUR_LIMITS.messageBlockText - head.length,
    more: (n) => `…and ${n} more difference${n === 1 ? '' : 's'}: run \`portcullis consistency\` or see the verify stage's consistency.xml for all of them.`,
  });
  return message(summary, [section(head), ...findings.blocks]);
}
