/**
 * Messages of `/check-services`: the "checking…" placeholder, the results that replace it
 * (failures first, a verdict line, whose AWS view it is), and the answer when the check
 * could not run.
 */
import type { Block, SlackMessage } from '../../core/ports.ts';
import { unprovableReason, type GroupCheck, type ServiceResult } from '../../checks/services.ts';
import { code, escapeMrkdwn, mention, USER_ID_PATTERN } from '../mrkdwn.ts';
import { context, message, packLines, section } from './kit.ts';
import { OUR_LIMITS } from './limits.ts';

/** Blocks for the result lines: with the verdict and the context line, far under Slack's 50. */
const RESULT_BLOCKS = 30;

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

export function checkingServices(group: string, user: string): SlackMessage {
  const text = `:hourglass_flowing_sand: Checking the services of ${code(group)} for ${mention(user)}…`;
  return message(text, [section(text)]);
}

function resultLine(r: ServiceResult): string {
  const outcome = r.ok ? `HTTP ${r.status}` : escapeMrkdwn(r.error ?? 'failed');
  return `${r.ok ? ':white_check_mark:' : ':x:'} ${code(r.instanceId)} ${code(r.url)} ${outcome} · ${Math.round(r.latencyMs)} ms`;
}

function verdict(check: GroupCheck): string {
  const group = code(check.group.groupName);
  const reason = unprovableReason(check);
  if (reason) return `:warning: ${group}: nothing proven. ${escapeMrkdwn(reason)}.`;
  const { total, failed, slowestMs } = check.report.summary;
  if (failed > 0) return `:x: ${group}: *${failed} of ${plural(total, 'target')} failed*`;
  return `:white_check_mark: ${group}: all ${plural(total, 'target')} answered (slowest ${Math.round(slowestMs)} ms)`;
}

/** `asker`: the Slack user who asked, or a plain reason such as "after the deploy of REQ-12". */
export function serviceCheckResults(check: GroupCheck, asker: string): SlackMessage {
  const head = verdict(check);
  const why = USER_ID_PATTERN.test(asker) ? `asked by ${mention(asker)}` : escapeMrkdwn(asker);
  const about = `ports ${escapeMrkdwn(check.ports.join(', ') || 'none')} on ${plural(check.members, 'public member')} · AWS ${code(check.identity.arn)} · ${why}`;
  const lines = packLines(check.report.results.map(resultLine), {
    maxBlocks: RESULT_BLOCKS,
    maxChars: OUR_LIMITS.messageBlockText - head.length - about.length,
    more: (n) => `…and ${plural(n, 'more target')} not shown (failures come first); ${code(`portcullis check-services --group ${check.group.groupName}`)} lists them all.`,
  });
  const blocks: Block[] = [section(head), context([about]), ...lines.blocks];
  return message(head, blocks);
}

/** The check could not run (AWS unreachable, group missing in AWS): say why, in place. */
export function serviceCheckFailed(group: string, reason: string): SlackMessage {
  const text = `:warning: Could not check the services of ${code(group)}: ${escapeMrkdwn(reason)}`;
  return message(text, [section(text)]);
}
