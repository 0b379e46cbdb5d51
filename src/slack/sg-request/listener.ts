/**
 * /sg-request in Slack: inline text or the modal. Each path acknowledges within Slack's
 * 3 s, then validates, pre-checks with the policies and hands the request to
 * `submitRequest`, whose GitLab work therefore always runs after the ack.
 */
import type { App, SlashCommand, ViewOutput } from '@slack/bolt';
import type { BotDeps } from '../../core/deps.ts';
import { precheck, submitRequest } from '../../core/submit.ts';
import type { RequestInput } from '../../domain/request.ts';
import { InputError } from '../../domain/errors.ts';
import { refusal } from '../blocks/approval.ts';
import {
  denialMessage,
  denialModalErrors,
  FIELD_BLOCK,
  fieldAction,
  modalErrors,
  recordedMessage,
  requestModal,
  SG_REQUEST_CALLBACK,
  usageMessage,
} from '../blocks/sg-request.ts';
import type { GroupCatalog } from './groups.ts';
import { parseInline } from './parse.ts';
import { DEFAULT_MAX_TTL_MS, FIELDS, resolveEnvironment, validateRequest, type FieldErrors, type RawRequest } from './validate.ts';
import { environmentsOf } from '../../core/environments.ts';
import type { SlashCommand as CommandName } from '../commands.ts';

/** Declared in src/slack/commands.ts, the table manifest.yml is checked against. */
export const SG_REQUEST_COMMAND: CommandName = '/sg-request';
/** How long opening the modal may wait for the group list: trigger ids live 3 s. */
const GROUPS_BUDGET_MS = 1500;

export interface SgRequestDeps extends BotDeps {
  /** The single environment's groups (terraform/groups.json). */
  groups: GroupCatalog;
  /** Each named environment's groups (terraform/environments/<name>/groups.json). */
  groupsByEnvironment?: ReadonlyMap<string, GroupCatalog>;
  /** Longest expiry a request may ask for (default 90 days). */
  maxTtlMs?: number;
}

interface Person {
  user: string;
  name?: string;
  /** Where ephemeral answers go: the channel the command was typed in. */
  channel: string;
}

export function registerSgRequest(app: App, deps: SgRequestDeps): void {
  app.command(SG_REQUEST_COMMAND, async ({ ack, command }) => {
    await ack();
    const person = { user: command.user_id, name: command.user_name, channel: command.channel_id };
    if (command.text.trim() === '') await openForm(deps, command, person);
    else await takeInline(deps, command.text, person);
  });

  app.view(SG_REQUEST_CALLBACK, async ({ ack, body, view }) => {
    const person = { user: body.user.id, name: body.user.name, channel: view.private_metadata || deps.settings.channel };
    const raw = formValues(view);
    const env = resolveEnvironment(raw.environment, environmentsOf(deps).names);
    const catalog = typeof env === 'string' ? catalogOf(deps, env) : null;
    const groups = (catalog && (catalog.known() ?? (await within(catalog.current(), GROUPS_BUDGET_MS).catch(() => null)))) ?? [];
    const checked = check(deps, raw, groups);
    if ('errors' in checked) return void (await ack({ response_action: 'errors', errors: checked.errors }));
    await ack();
    await submit(deps, checked.input, person);
  });
}

async function openForm(deps: SgRequestDeps, command: SlashCommand, person: Person): Promise<void> {
  const names = environmentsOf(deps).names;
  const catalogs = names.map((name) => catalogOf(deps, name));
  // Every environment's groups, in one list: which environment has which is checked on submission.
  const read = await Promise.all(catalogs.map(async (c) => c.known() ?? (await within(c.current(), GROUPS_BUDGET_MS).catch((err: Error) => err))));
  const failed = read.find((groups) => groups === null || groups instanceof Error);
  if (failed !== undefined) {
    const why = failed instanceof Error ? failed.message : 'GitLab did not answer in time';
    return tell(deps, person, refusal(`reading the security groups from GitLab: ${why}. Try again, or give the request inline.`));
  }
  const groups = [...new Set((read as string[][]).flat())].sort();
  await deps.chat.openModal(command.trigger_id, requestModal(groups, command.channel_id, names));
  // Keep the lists fresh for the next form and for the submission's validation.
  for (const c of catalogs) void c.current().catch((err: unknown) => deps.log.warn({ err }, 'refreshing the security groups failed'));
}

/** The groups.json of an environment. */
function catalogOf(deps: SgRequestDeps, environment: string): GroupCatalog {
  return deps.groupsByEnvironment?.get(environment) ?? deps.groups;
}

async function takeInline(deps: SgRequestDeps, text: string, person: Person): Promise<void> {
  const parsed = parseInline(text);
  const env = resolveEnvironment(parsed.raw.environment, environmentsOf(deps).names);
  if (typeof env === 'object') return tell(deps, person, usageMessage({ ...parsed.errors, environment: env.error }));
  let groups: string[];
  try {
    groups = await catalogOf(deps, env).current();
  } catch (err) {
    return tell(deps, person, refusal(`reading the security groups from GitLab: ${(err as Error).message}`));
  }
  const checked = validateRequest(parsed.raw, context(deps, groups));
  const errors: FieldErrors = { ...(checked.ok ? {} : checked.errors), ...parsed.errors };
  if (Object.keys(errors).length > 0) return tell(deps, person, usageMessage(errors));
  const input = (checked as { input: RequestInput }).input;
  const report = precheck(deps.policies, input);
  if (!report.compliant) return tell(deps, person, denialMessage(report));
  await submit(deps, input, person);
}

/** Validation and pre-check for the modal: the input, or errors keyed by block id. */
function check(deps: SgRequestDeps, raw: RawRequest, groups: string[]): { input: RequestInput } | { errors: Record<string, string> } {
  const checked = validateRequest(raw, context(deps, groups));
  if (!checked.ok) return { errors: modalErrors(checked.errors) };
  const report = precheck(deps.policies, checked.input);
  return report.compliant ? { input: checked.input } : { errors: denialModalErrors(report) };
}

async function submit(deps: SgRequestDeps, input: RequestInput, person: Person): Promise<void> {
  try {
    const groups = await catalogOf(deps, input.environment).details();
    const request = await submitRequest(deps, { input, requester: person.user, groups, ...(person.name ? { requesterName: person.name } : {}) });
    await tell(deps, person, recordedMessage(request));
  } catch (err) {
    if (err instanceof InputError) return tell(deps, person, refusal(`${err.message}. Nothing was recorded.`));
    deps.log.error({ err, user: person.user }, 'recording a request failed');
    await tell(deps, person, refusal(`recording the request: ${(err as Error).message}. Nothing was recorded; try again.`));
  }
}

function context(deps: SgRequestDeps, groups: string[]) {
  return { knownGroups: groups, environments: environmentsOf(deps).names, now: deps.now(), maxTtlMs: deps.maxTtlMs ?? DEFAULT_MAX_TTL_MS };
}

function tell(deps: SgRequestDeps, person: Person, text: string): Promise<void> {
  return deps.chat.postEphemeral(person.channel, person.user, text);
}

/** The modal's state values as raw fields: a select's chosen value, a text input's text. */
function formValues(view: ViewOutput): RawRequest {
  const raw: RawRequest = {};
  for (const field of FIELDS) {
    const value = view.state.values[FIELD_BLOCK[field]]?.[fieldAction(field)];
    const text = value?.selected_option?.value ?? value?.value;
    if (typeof text === 'string') raw[field] = text;
  }
  return raw;
}

/** The promise's value, or null when it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
