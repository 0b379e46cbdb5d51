/** What the pipeline did: started, a job failed, the deploy and the checks after it. */
import { stripVTControlCharacters } from 'node:util';
import type { Block, SlackMessage } from '../../core/ports.ts';
import { requestTitle, type ChangeRequest } from '../../domain/request.ts';
import { scrubSecrets } from '../../domain/scrub.ts';
import { code, escapeCode, escapeMrkdwn, fence, link, truncateStart } from '../mrkdwn.ts';
import { context, message, packLines, section } from './kit.ts';
import { OUR_LIMITS, SLACK_LIMITS } from './limits.ts';

export interface PipelineLinks {
  pipelineId: number;
  pipelineUrl: string | null;
  branch: string;
  sha: string | null;
}

export function pipelineStarted(links: PipelineLinks): SlackMessage {
  const name = `Pipeline #${links.pipelineId}`;
  const at = links.sha === null ? '' : ` at ${code(links.sha.slice(0, 8))}`;
  const shown = links.pipelineUrl ? link(links.pipelineUrl, name) : name;
  return message(`${name} started on ${escapeMrkdwn(links.branch)}`, [
    section(`:arrow_forward: ${shown} started on ${code(links.branch)}${at}: validate, plan, then wait for approval.`),
  ]);
}

export interface FailedJob {
  jobName: string;
  /**
   * The end of the job's log as GitLab returns it (ANSI colours, section markers and
   * all). Credentials in it are masked before it is shown (domain/scrub.ts).
   */
  logTail: string;
  jobUrl: string | null;
}

/** GitLab's collapsible-section markers, e.g. `section_start:1560896352:step_script`. */
const SECTION_MARKER = /^section_(?:start|end):\d+:[A-Za-z0-9_.-]+(?:\[[^\]]*\])?/;

/** Log lines as a terminal would show them: no colours, no section markers, `\r` overwriting the line. */
export function readableLog(raw: string): string[] {
  const lines = raw.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  return lines.flatMap((line) => {
    const shown = stripVTControlCharacters(line.slice(line.lastIndexOf('\r') + 1));
    // A marker line that shows nothing is GitLab bookkeeping, not an empty line of output.
    return shown === '' && SECTION_MARKER.test(line) ? [] : [shown];
  });
}

const CUT_MARKER = '…';

/** The LAST lines of a log that fit in `max` characters once escaped, led by a marker when cut. */
function logTailText(lines: readonly string[], max: number): string {
  const room = max - CUT_MARKER.length - 1;
  const kept: string[] = [];
  let used = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = escapeCode(lines[i]!);
    const cost = line.length + (kept.length > 0 ? 1 : 0);
    if (used + cost > room) {
      // Even the newest line alone is too long: keep its end.
      if (kept.length === 0) kept.push(truncateStart(line, room, ''));
      break;
    }
    kept.unshift(line);
    used += cost;
  }
  const complete = kept.length === lines.length && escapeCode(lines[0] ?? '') === kept[0];
  return complete ? kept.join('\n') : [CUT_MARKER, ...kept].join('\n');
}

/**
 * The log as shown, with credentials masked: on the readable text (a colour code inside
 * a token no longer hides it) and before the tail is cut to fit, so that a cut never
 * leaves the unrecognisable half of a secret.
 */
function shownLog(raw: string): string[] {
  return scrubSecrets(readableLog(raw).join('\n')).split('\n');
}

export function jobFailed(job: FailedJob): SlackMessage {
  const where = job.jobUrl ? ` · ${link(job.jobUrl, 'open the job')}` : '';
  const fenceOverhead = fence('').length;
  const log = logTailText(shownLog(job.logTail), SLACK_LIMITS.sectionText - fenceOverhead);
  return message(`Job ${escapeMrkdwn(job.jobName)} failed`, [
    section(`:x: Job ${code(job.jobName)} failed${where}`),
    section(fence(log)),
  ]);
}

export interface CheckOutcome {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DeployResult {
  succeeded: boolean;
  jobUrl: string | null;
  /** Whether the merge request was merged after the deploy; null when not attempted. */
  merged: boolean | null;
  /** Consistency and service checks run after the deploy, one line each. */
  checks: readonly CheckOutcome[];
  /** Set when the deploy job was played in GitLab without an approval recorded here. */
  outsideBy?: { by: string | null };
}

export function deployResult(request: ChangeRequest, result: DeployResult): SlackMessage {
  const title = escapeMrkdwn(requestTitle(request));
  const outside = result.outsideBy ? ' :rotating_light: *without approval*' : '';
  const head = result.succeeded ? `:white_check_mark: *Deployed*${outside}: ${title}` : `:x: *Deploy failed*${outside}: ${title}`;
  const notes: string[] = [];
  if (result.outsideBy) notes.push(`:warning: Merge request NOT merged: the deploy job was played in GitLab${result.outsideBy.by ? ` by ${code(result.outsideBy.by)}` : ''}, not approved here.`);
  else if (result.merged !== null) notes.push(result.merged ? 'Merge request merged.' : ':warning: Merge request NOT merged.');
  if (result.jobUrl) notes.push(link(result.jobUrl, 'Deploy job'));
  const failed = result.checks.filter((c) => !c.ok).length;
  const blocks: Block[] = [section(head)];
  if (result.checks.length > 0) {
    const tally = `*Checks*: ${result.checks.length - failed} passed, ${failed} failed`;
    const lines = result.checks.map((c) => `${c.ok ? ':white_check_mark:' : ':x:'} ${code(c.name)} ${escapeMrkdwn(c.detail)}`);
    const packed = packLines(lines, {
      maxBlocks: SLACK_LIMITS.messageBlocks - 3,
      maxChars: OUR_LIMITS.messageBlockText - head.length - tally.length - notes.join(' ').length,
      more: (n) => `…and ${n} more check${n === 1 ? '' : 's'}.`,
    });
    blocks.push(section(tally), ...packed.blocks);
  }
  if (notes.length > 0) blocks.push(context(notes));
  const checks = result.checks.length > 0 ? ` (checks: ${failed} failed)` : '';
  return message(`${result.succeeded ? 'Deployed' : 'Deploy failed'}: ${title}${checks}`, blocks);
}

/** The channel's alarm: a deploy job played in GitLab, around the approval. */
export function deployedOutsideSlack(request: ChangeRequest, outside: { by: string | null; jobUrl: string | null }): SlackMessage {
  const title = escapeMrkdwn(requestTitle(request));
  const who = outside.by === null ? 'someone (GitLab does not say who)' : `GitLab user ${code(outside.by)}`;
  const text = `:rotating_light: *Deploy played outside Slack*: ${who} ran the deploy of ${title} in GitLab. Portcullis recorded no approval for it and will not merge its merge request.`;
  const blocks: Block[] = [section(text)];
  if (outside.jobUrl) blocks.push(context([link(outside.jobUrl, 'Deploy job')]));
  return message(`Deploy played outside Slack: ${title}`, blocks);
}

/** A check after the deploy that could not run at all (AWS or GitLab unreachable...). */
export function checkFailed(name: string, reason: string): SlackMessage {
  const text = `:warning: The ${escapeMrkdwn(name)} check could not run: ${escapeMrkdwn(reason)}`;
  return message(text, [section(text)]);
}
