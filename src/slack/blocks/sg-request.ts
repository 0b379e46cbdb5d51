/**
 * What /sg-request shows: the request modal, the usage message for text that does not
 * parse, the refusal of a request the policy denies, and the thread reply when GitLab
 * could not take the request. Pure builders; person-supplied text is escaped.
 */
import type { Block, SlackMessage } from '../../core/ports.ts';
import type { ComplianceReport } from '../../compliance/engine.ts';
import type { ChangeRequest } from '../../domain/request.ts';
import type { Field, FieldErrors } from '../sg-request/validate.ts';
import { FIELDS } from '../sg-request/validate.ts';
import { code, escapeMrkdwn } from '../mrkdwn.ts';
import { fit, fitPlain, message, plainText, section } from './kit.ts';
import { SLACK_LIMITS as L } from './limits.ts';

export const SG_REQUEST_CALLBACK = 'sg_request';
/** Block ids of the modal's inputs, one per field (errors are keyed by them). */
export const FIELD_BLOCK: Record<Field, string> = {
  environment: 'sg_environment',
  group: 'sg_group',
  direction: 'sg_direction',
  protocol: 'sg_protocol',
  ports: 'sg_ports',
  peer: 'sg_peer',
  justification: 'sg_justification',
  ticket: 'sg_ticket',
  expiry: 'sg_expiry',
};
/** Each input's action id is its field name. */
export const fieldAction = (field: Field): string => field;

export const MODAL_PROTOCOLS = ['tcp', 'udp', 'icmp'] as const;
export const MODAL_DIRECTIONS = ['ingress', 'egress'] as const;
export const MODAL_EXPIRIES = ['1d', '7d', '30d', '90d'] as const;
/** Slack's limit on a static_select's options. */
const MAX_OPTIONS = 100;

export const USAGE = [
  '*Usage:* `/sg-request <group> [ingress|egress] <protocol> [<port>|<from>-<to>] [from|to] <peer> "<justification>" [env=<environment>] [ticket=<ID>] [ttl=<7d>|expires=<YYYY-MM-DD>]`',
  'The peer is a CIDR, a security group (a group key or sg- id) or a prefix list (pl- id); `to` means egress.',
  'e.g. `/sg-request sg-front tcp 443 203.0.113.0/24 "partner API" ttl=7d ticket=NET-42`, `/sg-request sg-db tcp 5432 from sg-app "app to db"`',
  'Without text, `/sg-request` opens a form.',
].join('\n');

const LABELS: Record<Field, string> = {
  environment: 'Environment',
  group: 'Security group',
  direction: 'Direction',
  protocol: 'Protocol',
  ports: 'Ports',
  peer: 'Source or destination',
  justification: 'Justification',
  ticket: 'Ticket',
  expiry: 'Expiry',
};

function option(value: string, text = value): Block {
  return { text: plainText(text, 75), value };
}

function input(field: Field, element: Block, opts: { optional?: boolean; hint?: string } = {}): Block {
  const block: Block = { type: 'input', block_id: FIELD_BLOCK[field], label: plainText(LABELS[field], L.inputLabel), element: { ...element, action_id: fieldAction(field) } };
  if (opts.optional) block.optional = true;
  if (opts.hint) block.hint = plainText(opts.hint, L.inputLabel);
  return block;
}

function textInput(placeholder: string, extra: Block = {}): Block {
  return { type: 'plain_text_input', placeholder: plainText(placeholder, L.placeholder), ...extra };
}

/**
 * views.open payload; `channel` comes back in private_metadata on submission. With
 * several environments the form starts with a select of them (none preselected: a
 * request names its environment) and lists every environment's groups.
 */
export function requestModal(groups: readonly string[], channel: string, environments: readonly string[] = []): Record<string, unknown> {
  const choose = environments.length > 1 ? [input('environment', { type: 'static_select', options: environments.slice(0, MAX_OPTIONS).map((e) => option(e)) })] : [];
  return {
    type: 'modal',
    callback_id: SG_REQUEST_CALLBACK,
    private_metadata: fitPlain(channel, L.privateMetadata),
    title: plainText('Security group rule', L.viewTitle),
    submit: plainText('Request', L.viewButton),
    close: plainText('Cancel', L.viewButton),
    blocks: [
      ...choose,
      input('group', { type: 'static_select', options: groups.slice(0, MAX_OPTIONS).map((g) => option(g)) }),
      input('direction', { type: 'static_select', options: MODAL_DIRECTIONS.map((d) => option(d, d === 'ingress' ? 'Ingress (from the peer)' : 'Egress (to the peer)')) }, { optional: true, hint: 'Empty: ingress.' }),
      input('protocol', { type: 'static_select', options: MODAL_PROTOCOLS.map((p) => option(p, p.toUpperCase())) }),
      input('ports', textInput('443 or 8000-8100'), { optional: true, hint: 'Required for TCP and UDP; left empty for ICMP.' }),
      input('peer', textInput('203.0.113.0/24, sg-app, sg-0123… or pl-0123…'), { hint: 'A CIDR, a security group (key or id) or a managed prefix list id.' }),
      input('justification', textInput('What needs this access, and why', { multiline: true, max_length: 255 }), { hint: 'Becomes the rule description in AWS.' }),
      input('ticket', textInput('NET-42'), { optional: true }),
      input('expiry', { type: 'static_select', options: MODAL_EXPIRIES.map((e) => option(e, `in ${e.replace('d', ' day(s)')}`)) }, { optional: true, hint: 'Empty: the rule stays until removed.' }),
    ],
  };
}

/** Modal errors (response_action "errors"), keyed by block id. */
export function modalErrors(errors: FieldErrors): Record<string, string> {
  return Object.fromEntries(FIELDS.flatMap((f) => (errors[f] ? [[FIELD_BLOCK[f], fitPlain(errors[f], L.inputLabel)]] : [])));
}

/** Ephemeral text for inline text that does not parse or validate: what is wrong, then the usage. */
export function usageMessage(errors: FieldErrors): string {
  const problems = FIELDS.flatMap((f) => (errors[f] ? [`• *${LABELS[f]}*: ${escapeMrkdwn(errors[f])}`] : []));
  return fit([':warning: That request does not read right:', ...problems, '', USAGE].join('\n'), L.sectionText);
}

/** The policy's refusal, with each violation's fix; nothing was created. */
export function denialMessage(report: ComplianceReport): string {
  const lines = report.violations.map((v) => `• ${code(v.policy)} ${escapeMrkdwn(v.message)}\n    _Fix:_ ${escapeMrkdwn(v.remediation)}`);
  return fit([':no_entry: *Refused by policy*, nothing was created:', ...lines].join('\n'), L.sectionText);
}

/** The same refusal for the modal: one error under the field most policies are about. */
export function denialModalErrors(report: ComplianceReport): Record<string, string> {
  const text = report.violations.map((v) => `${v.message} Fix: ${v.remediation}`).join(' ');
  return { [FIELD_BLOCK.peer]: fitPlain(`Refused by policy: ${text}`, L.inputLabel) };
}

/** Ephemeral confirmation once the request is recorded. */
export function recordedMessage(request: ChangeRequest): string {
  const where = request.state === 'queued' ? 'queued behind an earlier change; it starts when that one is done' : 'its merge request and pipeline are being opened';
  return `:inbox_tray: Recorded as *${escapeMrkdwn(request.id)}*: ${where}. Follow it in the channel.`;
}

/** Thread reply: GitLab could not take the request at `step`. */
export function submitFailed(step: string, error: string): SlackMessage {
  const text = `:x: *GitLab did not take this request* while ${escapeMrkdwn(step)}:\n${code(error)}\nNothing will be deployed; ask again with /sg-request once GitLab is back.`;
  return message(`GitLab did not take this request while ${step}`, [section(text)]);
}
