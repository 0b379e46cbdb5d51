/**
 * The Slack half of `portcullis doctor`: both tokens valid and of their kind, the scopes
 * manifest.yml asks for granted (Slack names a token's scopes in the `x-oauth-scopes`
 * header of every Web API answer, which the WebClient hands back as
 * response_metadata.scopes), Socket Mode reachable (a connection opened until Slack's
 * `hello`, then closed at once), the channel there with the bot in it, the approvers
 * resolvable.
 */
import { webApi } from '@slack/bolt';
import WebSocket from 'ws';
import type { Config } from '../config.ts';
import { manifestBotScopes } from '../slack/manifest.ts';
import { fail, forEnvironment, ok, reason, skip, type CheckResult } from './report.ts';

const AREA = 'Slack';
const TIMEOUT_MS = 10_000;

/** Slack's error code of a refused call (`invalid_auth`, `missing_scope`, ...), else null. */
function slackError(err: unknown): { code: string; needed?: string } | null {
  if (!(err instanceof webApi.WebAPIPlatformError)) return null;
  const data = err.data as { error: string; needed?: string };
  return { code: data.error, ...(data.needed ? { needed: data.needed } : {}) };
}

const failure = (err: unknown) => {
  const refused = slackError(err);
  return refused ? `Slack answered ${refused.code}${refused.needed ? ` (needs ${refused.needed})` : ''}` : reason(err);
};

/** Where one environment's requests go and who approves them; `label` names it when there are several. */
export interface SlackAudience {
  label: string | null;
  channelId: string;
  approverIds: ReadonlySet<string>;
  approverGroup: string | null;
}

export async function slackChecks(config: Config['slack'], audiences: readonly SlackAudience[]): Promise<CheckResult[]> {
  const webClient = (token: string) => new webApi.WebClient(token, { slackApiUrl: config.apiUrl, retryConfig: { retries: 0 }, timeout: TIMEOUT_MS });
  // Named `client` as everywhere in src/, so tests/slack/manifest.test.ts sees these calls and their scopes.
  const client = webClient(config.botToken);
  const results: CheckResult[] = [];

  let granted: string[] | undefined;
  let authenticated = false;
  try {
    const auth = await client.auth.test();
    authenticated = true;
    granted = auth.response_metadata?.scopes;
    if (!auth.bot_id) {
      results.push(fail(AREA, 'bot token', `SLACK_BOT_TOKEN is valid but no bot token (user ${auth.user_id ?? '?'})`, 'Use the Bot User OAuth Token (xoxb-) from the app\'s OAuth & Permissions page.'));
    } else {
      results.push(ok(AREA, 'bot token', `bot ${auth.user ?? '?'} (${auth.user_id ?? '?'}) in workspace ${auth.team ?? '?'}`));
    }
  } catch (err) {
    results.push(fail(AREA, 'bot token', `SLACK_BOT_TOKEN refused: ${failure(err)}`, 'Copy the Bot User OAuth Token (xoxb-) from OAuth & Permissions of the installed app; reinstall the app if it was revoked.'));
    results.push(skip(AREA, 'bot scopes', 'not checked: the bot token was refused'));
  }
  if (authenticated) results.push(scopeCheck(granted));

  results.push(await socketModeCheck(webClient(config.appToken)));
  // Each environment's channel (once per channel) and approvers.
  const channels = new Map<string, string[]>();
  for (const a of audiences) channels.set(a.channelId, [...(channels.get(a.channelId) ?? []), ...(a.label === null ? [] : [a.label])]);
  for (const [channelId, labels] of channels) results.push(...forEnvironment(labels.length > 0 ? labels.join(', ') : null, [await channelCheck(client, channelId)]));
  for (const a of audiences) results.push(...forEnvironment(a.label, await approverChecks(client, a.approverIds, a.approverGroup)));
  return results;
}

function scopeCheck(granted: string[] | undefined): CheckResult {
  const wanted = manifestBotScopes();
  if (granted === undefined) return skip(AREA, 'bot scopes', 'Slack did not name the token\'s scopes (no x-oauth-scopes header)');
  const missing = wanted.filter((s) => !granted.includes(s));
  if (missing.length > 0) {
    return fail(AREA, 'bot scopes', `missing ${missing.join(', ')}`, 'Add them under OAuth & Permissions → Bot Token Scopes (or update the app from manifest.yml), then reinstall the app to the workspace.');
  }
  return ok(AREA, 'bot scopes', `all ${wanted.length} of manifest.yml granted`);
}

async function socketModeCheck(client: InstanceType<typeof webApi.WebClient>): Promise<CheckResult> {
  let url: string;
  try {
    const opened = await client.apps.connections.open();
    if (typeof opened.url !== 'string') return fail(AREA, 'app token / Socket Mode', 'apps.connections.open gave no URL', 'Turn Socket Mode on in the app settings.');
    url = opened.url;
  } catch (err) {
    const code = slackError(err)?.code;
    const fix =
      code === 'not_allowed_token_type'
        ? 'SLACK_APP_TOKEN must be an app-level token (xapp-) from Basic Information → App-Level Tokens, not the bot token.'
        : code === 'missing_scope'
          ? 'Give the app-level token the connections:write scope (Basic Information → App-Level Tokens).'
          : 'Create an app-level token with connections:write under Basic Information → App-Level Tokens, turn Socket Mode on, and put it in SLACK_APP_TOKEN.';
    return fail(AREA, 'app token / Socket Mode', `SLACK_APP_TOKEN: ${failure(err)}`, fix);
  }
  try {
    await hello(url);
    return ok(AREA, 'app token / Socket Mode', 'connected and greeted by Slack, then closed');
  } catch (err) {
    return fail(AREA, 'app token / Socket Mode', `the Socket Mode connection failed: ${reason(err)}`, 'Let the bot\'s host open outbound WebSocket (wss, port 443) connections to Slack; check a proxy or firewall.');
  }
}

/** Opens the Socket Mode WebSocket, waits for Slack's `hello`, closes it. */
function hello(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: TIMEOUT_MS });
    const timer = setTimeout(() => done(new Error(`no hello within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.terminate();
      if (err) reject(err);
      else resolve();
    };
    socket.on('message', (data) => {
      try {
        if ((JSON.parse(String(data)) as { type?: unknown }).type === 'hello') done();
      } catch {
        // Not JSON: keep waiting for the hello.
      }
    });
    socket.on('error', (err) => done(err));
    socket.on('close', (code) => done(new Error(`closed by Slack (${code}) before its hello`)));
  });
}

async function channelCheck(client: InstanceType<typeof webApi.WebClient>, channelId: string): Promise<CheckResult> {
  try {
    const { channel } = await client.conversations.info({ channel: channelId });
    const name = channel?.name ? `#${channel.name}` : channelId;
    if (channel?.is_archived) return fail(AREA, 'channel', `${name} is archived`, 'Unarchive it, or set SLACK_CHANNEL_ID to a live channel.');
    if (!channel?.is_member) return fail(AREA, 'channel', `${name} exists but the bot is not in it`, `Invite the bot: /invite @portcullis in ${name}.`);
    return ok(AREA, 'channel', `${name} (${channelId}), the bot is a member`);
  } catch (err) {
    const code = slackError(err)?.code;
    const fix =
      code === 'channel_not_found'
        ? 'Check SLACK_CHANNEL_ID (the channel\'s id, C…); a private channel is visible to the bot only once it is invited.'
        : code === 'missing_scope'
          ? 'Grant channels:read (and groups:read for a private channel) as manifest.yml asks, then reinstall the app.'
          : 'Check SLACK_CHANNEL_ID and the bot token.';
    return fail(AREA, 'channel', `${channelId}: ${failure(err)}`, fix);
  }
}

async function approverChecks(client: InstanceType<typeof webApi.WebClient>, ids: ReadonlySet<string>, group: string | null): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  if (group === null) {
    results.push(skip(AREA, 'approver group', 'APPROVER_GROUP not set'));
  } else {
    try {
      const { users = [] } = await client.usergroups.users.list({ usergroup: group });
      results.push(
        users.length === 0
          ? fail(AREA, 'approver group', `${group} has no members: nobody in it can approve`, 'Add the approvers to the user group, or set APPROVER_IDS.')
          : ok(AREA, 'approver group', `${group}: ${users.length} member(s)`),
      );
    } catch (err) {
      const fix = slackError(err)?.code === 'no_such_subteam' ? 'Set APPROVER_GROUP to a user group\'s id (S…), from the group\'s page or usergroups.list.' : 'Grant usergroups:read as manifest.yml asks, then reinstall the app.';
      results.push(fail(AREA, 'approver group', `${group}: ${failure(err)}`, fix));
    }
  }
  if (ids.size === 0) return results;
  const unknown: string[] = [];
  for (const id of ids) {
    try {
      const { user } = await client.users.info({ user: id });
      if (!user || user.deleted || user.is_bot) unknown.push(`${id} (${user?.deleted ? 'deactivated' : 'a bot'})`);
    } catch (err) {
      unknown.push(`${id} (${failure(err)})`);
    }
  }
  results.push(
    unknown.length > 0
      ? fail(AREA, 'approver ids', `not people who can approve: ${unknown.join(', ')}`, 'Put the Slack member ids (U…) of active people in APPROVER_IDS.')
      : ok(AREA, 'approver ids', `${ids.size} active person(s)`),
  );
  return results;
}
