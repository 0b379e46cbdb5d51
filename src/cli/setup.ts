/**
 * `portcullis setup gitlab-webhook --url URL`: the project webhook that tells the bot
 * about pipelines, made or put right. Idempotent: the hook already pointing at URL — or
 * else the one Portcullis hook (a URL ending in /webhooks/gitlab) — is updated in place
 * with the URL, the secret from GITLAB_WEBHOOK_SECRET, Pipeline and Job events and TLS
 * verification; only when there is none is one added. GitLab never shows a hook's secret,
 * so it is always written, never compared.
 */
import { loadGitLabConfig } from '../config.ts';
import { processEnv } from './env.ts';
import { createGitLabSetup, WEBHOOK_PATH, type GitLabSetup, type ProjectHook } from '../gitlab/setup.ts';
import { CliError, parseOptions, type Command } from './command.ts';
import type { Env } from './database.ts';

const HELP = `Usage:
  portcullis setup gitlab-webhook --url URL

  Creates the project webhook GitLab sends pipeline news to, or updates it: URL is where
  the bot answers, https://<bot>/webhooks/gitlab; the secret token is GITLAB_WEBHOOK_SECRET;
  Pipeline events and Job events, nothing else; TLS verified. Running it again leaves one
  hook; a changed URL or secret updates that hook.
  Reads GITLAB_URL, GITLAB_TOKEN (api scope, Maintainer), GITLAB_PROJECT and
  GITLAB_WEBHOOK_SECRET from the environment (and .env).

Exit codes: 0 done, 2 bad input (URL, configuration, several candidate hooks), 3 GitLab failed or refused.
`;

/** The URL GitLab should deliver to: https (plain http only to this machine), ending in the bot's webhook path. */
export function webhookUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`--url must be an absolute URL such as https://bot.example.com${WEBHOOK_PATH}`);
  }
  const loopback = url.hostname === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(url.hostname) || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new CliError('--url must be https: the webhook secret travels in a header of every delivery (plain http only to this machine)');
  }
  if (url.username !== '' || url.password !== '') throw new CliError('--url must not carry a user name or password');
  if (!url.pathname.endsWith(WEBHOOK_PATH) || url.search !== '' || url.hash !== '') throw new CliError(`--url must end in ${WEBHOOK_PATH}, where the bot answers GitLab`);
  return url.href;
}

/** Which existing hook is Portcullis's: the one at `url`, else the only one at a /webhooks/gitlab path. */
export function portcullisHook(hooks: readonly ProjectHook[], url: string): ProjectHook | null {
  const exact = hooks.find((h) => h.url === url);
  if (exact) return exact;
  const ours = hooks.filter((h) => URL.canParse(h.url) && new URL(h.url).pathname.endsWith(WEBHOOK_PATH));
  if (ours.length > 1) {
    throw new CliError(`${ours.length} webhooks end in ${WEBHOOK_PATH} (${ours.map((h) => `${h.id}: ${h.url}`).join(', ')}) and none is ${url}; delete the stale ones in Settings → Webhooks, then run this again`);
  }
  return ours[0] ?? null;
}

export async function ensureWebhook(gitlab: GitLabSetup, url: string, secret: string): Promise<{ hook: ProjectHook; created: boolean; previousUrl: string | null }> {
  const existing = portcullisHook(await gitlab.hooks(), url);
  if (existing === null) return { hook: await gitlab.addHook(url, secret), created: true, previousUrl: null };
  return { hook: await gitlab.editHook(existing.id, url, secret), created: false, previousUrl: existing.url === url ? null : existing.url };
}

export function createSetupCommand(loadEnv: () => Env): Command {
  return {
    summary: 'create or update the GitLab project webhook (setup gitlab-webhook --url URL)',
    help: HELP,
    async run(args, io) {
      const { values, positionals } = parseOptions(args, { url: { type: 'string' } }, true);
      if (positionals.length !== 1 || positionals[0] !== 'gitlab-webhook') throw new CliError('the one thing to set up is gitlab-webhook: portcullis setup gitlab-webhook --url URL');
      if (values.url === undefined) throw new CliError(`--url is required: where GitLab reaches the bot, e.g. https://bot.example.com${WEBHOOK_PATH}`);
      const url = webhookUrl(values.url);
      const config = loadGitLabConfig(loadEnv());
      const gitlab = createGitLabSetup({ url: config.url, token: config.token, project: config.project });
      const { hook, created, previousUrl } = await ensureWebhook(gitlab, url, config.webhookSecret);
      const moved = previousUrl === null ? '' : ` (was ${previousUrl})`;
      io.stdout(`${created ? 'Created' : 'Updated'} webhook ${hook.id} of ${config.project}: ${hook.url}${moved}; Pipeline and Job events, secret token GITLAB_WEBHOOK_SECRET, TLS verified.\n`);
      return 0;
    },
  };
}

export const setupCommand: Command = createSetupCommand(processEnv);
