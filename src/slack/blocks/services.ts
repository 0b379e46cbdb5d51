/**
 * Messages of `/check-services`: the "checking…" placeholder, the results that replace it
 * (failures first, a verdict line, whose AWS view it is), and the answer when the check
 * could not run.
 */
import type { Block, SlackMessage } from '../../core/ports.ts';
import { describeOutcome, unprovableReason, type GroupCheck, type ServiceResult } from '../../checks/services.ts';
import { code, escapeMrkdwn, mention, USER_ID_PATTERN } from '../mrkdwn.ts';
import { context, message, packLines, section } from './kit.ts';
import { OUR_LIMITS } from './limits.ts';

/** Blocks for the result lines: with the verdict and the context line, far under Slack's 50. */
const RESULT_BLOCKS = 30;

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** `environment`: named when there are several, so the reader knows whose AWS is checked. */
export function checkingServices(group: string, user: string, environment?: string): SlackMessage {
  const text = `:hourglass_flowing_sand: Checking the services of ${code(group)}${environment ? ` in ${code(environment)}` : ''} for ${mention(user)}…`;
  return message(text, [section(text)]);
}

function resultLine(r: ServiceResult): string {
  // The URL names the host from groups.json when there is one; the member's address follows.
  const where = r.host !== undefined ? `${code(r.url)} at ${code(r.ip)}` : code(r.url);
  const icon = !r.ok ? ':x:' : r.certificate === 'not checked by name' ? ':large_yellow_circle:' : ':white_check_mark:';
  return `${icon} ${code(r.instanceId)} ${where} ${escapeMrkdwn(describeOutcome(r))} · ${Math.round(r.latencyMs)} ms`;
}

function verdict(check: GroupCheck): string {
  const group = code(check.group.groupName);
  const reason = unprovableReason(check);
  if (reason) return `:warning: ${group}: nothing proven. ${escapeMrkdwn(reason)}.`;
  const { total, failed, unverified, slowestMs } = check.report.summary;
  // Never a silent pass: HTTPS proven by a handshake alone is counted in the verdict.
  const note = unverified > 0 ? `; ${unverified} HTTPS by TLS handshake only, certificate not checked by name (no service host in groups.json)` : '';
  if (failed > 0) return `:x: ${group}: *${failed} of ${plural(total, 'target')} failed*${note}`;
  return `:white_check_mark: ${group}: all ${plural(total, 'target')} answered (slowest ${Math.round(slowestMs)} ms)${note}`;
}

/** `asker`: the Slack user who asked, or a plain reason such as "after the deploy of REQ-12". */
export function serviceCheckResults(check: GroupCheck, asker: string, environment?: string): SlackMessage {
  const head = verdict(check);
  const why = USER_ID_PATTERN.test(asker) ? `asked by ${mention(asker)}` : escapeMrkdwn(asker);
  const env = environment ? `environment ${code(environment)} · ` : '';
  const about = `${env}ports ${escapeMrkdwn(check.ports.join(', ') || 'none')} on ${plural(check.members, 'public member')} · AWS ${code(check.identity.arn)} · ${why}`;
  const lines = packLines(check.report.results.map(resultLine), {
    maxBlocks: RESULT_BLOCKS,
    maxChars: OUR_LIMITS.messageBlockText - head.length - about.length,
    more: (n) => `…and ${plural(n, 'more target')} not shown (failures come first); ${code(`portcullis check-services --group ${check.group.groupName} --groups terraform/groups.json`)} lists them all.`,
  });
  const blocks: Block[] = [section(head), context([about]), ...lines.blocks];
  return message(head, blocks);
}

/** The check could not run (AWS unreachable, group missing in AWS): say why, in place. */
export function serviceCheckFailed(group: string, reason: string): SlackMessage {
  const text = `:warning: Could not check the services of ${code(group)}: ${escapeMrkdwn(reason)}`;
  return message(text, [section(text)]);
}
