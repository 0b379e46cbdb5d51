// What Slack puts on the wire: envelope payloads (Slack's interactivity docs; Bolt's src/types/{command,actions,view})
// and the message object shared by API responses and block_actions payloads.
import { randomBytes } from 'node:crypto';
import type { SlackSeed, SlackUser } from './seed.ts';
import type { PostedMessage, SlackView } from './state.ts';

/** The legacy verification token Slack still puts in every payload. */
export const VERIFICATION_TOKEN = 'fake-verification-token';

export interface PayloadContext {
  seed: SlackSeed;
  user: SlackUser;
  triggerId: string;
}

function userObject({ seed, user }: PayloadContext) {
  return { id: user.id, username: user.name, name: user.name, team_id: seed.team.id };
}

function teamObject({ seed }: PayloadContext) {
  return { id: seed.team.id, domain: seed.team.domain };
}

function actionTs(): string {
  return (Date.now() / 1000).toFixed(6);
}

export function slashCommandPayload(
  ctx: PayloadContext,
  command: { command: string; text: string; channel: { id: string; name: string }; responseUrl: string },
): Record<string, string> {
  return {
    token: VERIFICATION_TOKEN,
    team_id: ctx.seed.team.id,
    team_domain: ctx.seed.team.domain,
    channel_id: command.channel.id,
    channel_name: command.channel.name,
    user_id: ctx.user.id,
    user_name: ctx.user.name,
    command: command.command,
    text: command.text,
    api_app_id: ctx.seed.app.appId,
    is_enterprise_install: 'false',
    response_url: command.responseUrl,
    trigger_id: ctx.triggerId,
  };
}

/** The `actions[]` entry for a button, as Slack reports a click on it. */
export function buttonAction(button: Record<string, unknown>, blockId: string): Record<string, unknown> {
  return {
    type: 'button',
    block_id: blockId,
    action_id: button.action_id,
    text: button.text,
    ...(button.value === undefined ? {} : { value: button.value }),
    ...(button.url === undefined ? {} : { url: button.url }),
    ...(button.style === undefined ? {} : { style: button.style }),
    action_ts: actionTs(),
  };
}

/** A message as Slack shows it in API responses and interaction payloads. */
export function messageJson(seed: SlackSeed, message: PostedMessage): Record<string, unknown> {
  return {
    type: 'message',
    text: message.text,
    user: message.user,
    bot_id: message.botId,
    app_id: seed.app.appId,
    ts: message.ts,
    team: seed.team.id,
    ...(message.blocks === undefined ? {} : { blocks: message.blocks }),
    ...(message.threadTs === undefined ? {} : { thread_ts: message.threadTs }),
    ...(message.edited === undefined ? {} : { edited: message.edited }),
    ...(message.files === undefined ? {} : { files: message.files.map(({ id, name, title }) => ({ id, name, title })) }),
  };
}

export function messageBlockActionsPayload(
  ctx: PayloadContext,
  click: {
    message: PostedMessage;
    channel: { id: string; name: string };
    action: Record<string, unknown>;
    responseUrl: string;
  },
): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: userObject(ctx),
    api_app_id: ctx.seed.app.appId,
    token: VERIFICATION_TOKEN,
    container: { type: 'message', message_ts: click.message.ts, channel_id: click.channel.id, is_ephemeral: false },
    trigger_id: ctx.triggerId,
    team: teamObject(ctx),
    enterprise: null,
    is_enterprise_install: false,
    channel: click.channel,
    message: messageJson(ctx.seed, click.message),
    state: { values: {} },
    response_url: click.responseUrl,
    actions: [click.action],
  };
}

export function viewBlockActionsPayload(
  ctx: PayloadContext,
  click: { view: SlackView; action: Record<string, unknown> },
): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: userObject(ctx),
    api_app_id: ctx.seed.app.appId,
    token: VERIFICATION_TOKEN,
    container: { type: 'view', view_id: click.view.id },
    trigger_id: ctx.triggerId,
    team: teamObject(ctx),
    enterprise: null,
    is_enterprise_install: false,
    view: click.view,
    actions: [click.action],
  };
}

export function viewSubmissionPayload(ctx: PayloadContext, view: SlackView): Record<string, unknown> {
  return {
    type: 'view_submission',
    team: teamObject(ctx),
    user: userObject(ctx),
    api_app_id: ctx.seed.app.appId,
    token: VERIFICATION_TOKEN,
    trigger_id: ctx.triggerId,
    view,
    response_urls: [],
    enterprise: null,
    is_enterprise_install: false,
  };
}

/** Sent when a person closes a modal the app opened with `notify_on_close` (Bolt's ViewClosedAction). */
export function viewClosedPayload(ctx: PayloadContext, view: SlackView, isCleared: boolean): Record<string, unknown> {
  return {
    type: 'view_closed',
    team: teamObject(ctx),
    user: userObject(ctx),
    api_app_id: ctx.seed.app.appId,
    token: VERIFICATION_TOKEN,
    view,
    is_cleared: isCleared,
    enterprise: null,
    is_enterprise_install: false,
  };
}

/** The events_api `event_callback` wrapper around one event. */
export function eventCallbackPayload(seed: SlackSeed, event: Record<string, unknown>): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    token: VERIFICATION_TOKEN,
    team_id: seed.team.id,
    api_app_id: seed.app.appId,
    event: { event_ts: actionTs(), ...event },
    type: 'event_callback',
    event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
    event_time: now,
    authorizations: [
      {
        enterprise_id: null,
        team_id: seed.team.id,
        user_id: seed.app.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
  };
}
