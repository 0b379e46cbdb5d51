/** The plan summary (plan.json from the pipeline) as a thread reply. */
import type { Block, SlackMessage } from '../../core/ports.ts';
import { formatCounts, type PlanSummary } from '../../plan/summary.ts';
import { escapeCode, escapeMrkdwn, fence, link } from '../mrkdwn.ts';
import { context, message, packLines, section } from './kit.ts';
import { OUR_LIMITS, SLACK_LIMITS } from './limits.ts';

export interface PlanSummaryOptions {
  /** Name of the full plan file the caller uploads when the summary overflows. */
  planFileName?: string;
  pipelineUrl?: string | null;
}

export interface PlanSummaryMessage {
  message: SlackMessage;
  /** Some rule lines did not fit: upload the full plan as a file in the thread. */
  overflow: boolean;
}

export function planSummary(summary: PlanSummary, opts: PlanSummaryOptions = {}): PlanSummaryMessage {
  const file = opts.planFileName ?? 'plan.txt';
  const counts = `*Plan*: ${formatCounts(summary.counts)}`;
  const blocks: Block[] = [section(counts)];
  const footer: string[] = [];
  if (summary.other_resources > 0) footer.push(`${summary.other_resources} other resource${summary.other_resources === 1 ? '' : 's'} changed (not security-group rules).`);
  if (opts.pipelineUrl) footer.push(link(opts.pipelineUrl, 'Pipeline'));

  let shown = 0;
  if (summary.rules.length === 0) blocks.push(section('No security-group rule changes.'));
  else {
    const packed = packLines(summary.rules.map((r) => escapeCode(r.text)), {
      maxBlocks: SLACK_LIMITS.messageBlocks - blocks.length - 1,
      maxChars: OUR_LIMITS.messageBlockText - counts.length - footer.join('').length,
      wrap: fence,
      more: (n) => `…and ${n} more rule change${n === 1 ? '' : 's'}: the full plan is attached in this thread as ${escapeMrkdwn(file)}.`,
    });
    shown = packed.shown;
    blocks.push(...packed.blocks);
  }
  if (footer.length > 0) blocks.push(context(footer));
  const overflow = shown < summary.rules.length;
  const text = `Plan: ${formatCounts(summary.counts)}${overflow ? ` (full plan attached as ${escapeMrkdwn(file)})` : ''}`;
  return { message: message(text, blocks), overflow };
}
