/**
 * `npm run sandbox`: the whole of Portcullis on the local fakes, for a try-out without any
 * Slack, GitLab or AWS account. It starts the fakes and the bot, then plays a request
 * through as people would — Alice asks in a sentence, Bob approves — and prints what the
 * channel shows at each step. `--keep` leaves everything running afterwards and prints
 * the fakes' endpoints, so you can drive them yourself (see README, "Sandbox").
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startFakes, type Fakes } from '../fakes/all.ts';
import { startServiceTargets } from '../fakes/services/index.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { startBot } from '../main.ts';

const CHANNEL = 'C0SECOPS';
const FRONT_IP = '127.88.0.10';
const SECRET = 'sandbox-webhook-secret-0000';

type Say = (line: string) => void;

/** A message as a person reads it: mrkdwn links and mentions shown by their labels. */
function readable(text: string): string {
  return text
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2')
    .replace(/<@(U[A-Z0-9]+)>/g, '@$1')
    .replace(/<!date\^\d+\^[^|]+\|([^>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function blockTexts(blocks: unknown): string[] {
  return (Array.isArray(blocks) ? blocks : []).flatMap((b: Record<string, any>) => [
    ...(b.text?.text ? [b.text.text as string] : []),
    ...(Array.isArray(b.fields) ? b.fields.map((f: { text: string }) => f.text) : []),
    ...(b.type === 'context' ? [(b.elements ?? []).map((e: { text?: string }) => e.text ?? '').join(' · ')] : []),
    ...(b.type === 'actions' ? [`[ ${(b.elements ?? []).map((e: { text?: { text?: string } }) => e.text?.text).join(' ] [ ')} ]`] : []),
  ]);
}

function showThread(fakes: Fakes, say: Say, id: string): void {
  const parent = fakes.slack.driver.channel(CHANNEL).find((m) => m.text.includes(id));
  if (!parent) return say(`  (no message for ${id} yet)`);
  say(`  #sec-ops ▸ ${readable(blockTexts(parent.blocks).join(' | ')).replace(/\*\n/g, '* ').replace(/\n/g, ' ')}`);
  for (const reply of fakes.slack.driver.thread(CHANNEL, parent.ts)) {
    for (const [i, text] of blockTexts(reply.blocks).entries()) say(`    ${i === 0 ? '↳' : ' '} ${readable(text).replace(/\n/g, '\n      ')}`);
  }
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`sandbox: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function runSandbox(options: { keep: boolean; say: Say }): Promise<number> {
  const { say } = options;
  const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-sandbox-'));
  const fakes = await startFakes({ gitlab: { jobDurationMs: 40 } });
  fakes.gitlab.driver.deployBranch();
  // The front instance: a loopback "public" address in sg-front serving HTTP on 80
  // (binding port 80 needs root; without it the service check reports it refused).
  const front = fakes.aws.driver.findGroupByName('sg-front')!;
  fakes.aws.driver.addInstance({ groupIds: [front.groupId], publicIp: FRONT_IP, state: 'running', tags: { Name: 'front' } });
  const targets = process.getuid?.() === 0 ? await startServiceTargets([{ ip: FRONT_IP, port: 80, behaviour: 'ok' }]) : null;

  const e = fakes.endpoints;
  const env = {
    SLACK_BOT_TOKEN: e.slackBotToken,
    SLACK_APP_TOKEN: e.slackAppToken,
    SLACK_API_URL: e.slackApiUrl,
    SLACK_CHANNEL_ID: CHANNEL,
    APPROVER_IDS: 'U0BOB,U0CAROL',
    GITLAB_URL: e.gitlabUrl,
    GITLAB_TOKEN: e.gitlabToken,
    GITLAB_PROJECT: e.gitlabProject,
    GITLAB_WEBHOOK_SECRET: SECRET,
    PORT: '0',
    DATABASE_PATH: path.join(dir, 'portcullis.sqlite'),
    LOG_LEVEL: 'warn',
    AWS_REGION: e.awsRegion,
    AWS_ENDPOINT_URL_EC2: e.awsEndpoint,
    AWS_ENDPOINT_URL_STS: e.awsEndpoint,
    AWS_ACCESS_KEY_ID: e.awsAccessKeyId,
    AWS_SECRET_ACCESS_KEY: e.awsSecretAccessKey,
  };
  const config = loadConfig(env);
  const log = createLogger({ level: 'warn', destination: process.stderr });
  const bot = await startBot(config, log, env);
  fakes.gitlab.driver.addHook({ url: `http://127.0.0.1:${bot.port}/webhooks/gitlab`, token: SECRET, pipelineEvents: true, jobEvents: true });
  try {
    say('Portcullis sandbox: Slack, GitLab and AWS are local fakes on 127.0.0.1; the bot is the real one.\n');
    const text = 'sg-front tcp 80 198.51.100.0/24 "partner web callbacks" ticket=NET-7';
    say(`1. Alice types: /sg-request ${text}`);
    await fakes.slack.driver.runSlashCommand({ user: 'U0ALICE', command: '/sg-request', text });
    const approval = await until('the approval request', () => {
      const parent = fakes.slack.driver.channel(CHANNEL).find((m) => m.text.startsWith('REQ-2'));
      return parent && fakes.slack.driver.thread(CHANNEL, parent.ts).find((m) => /waiting for approval/.test(m.text));
    });
    showThread(fakes, say, 'REQ-2');

    say('\n2. Alice tries to approve her own request:');
    await fakes.slack.driver.clickButton({ user: 'U0ALICE', channel: CHANNEL, ts: approval.ts, actionId: 'approve' });
    const refusal = await until('the refusal', () => fakes.slack.driver.ephemerals('U0ALICE').find((m) => /someone else must approve/.test(m.text)));
    say(`  (only Alice sees) ${readable(refusal.text)}`);

    say('\n3. Bob approves:');
    await fakes.slack.driver.clickButton({ user: 'U0BOB', channel: CHANNEL, ts: approval.ts, actionId: 'approve' });
    await until('the deploy result', () => {
      const parent = fakes.slack.driver.channel(CHANNEL).find((m) => m.text.startsWith('REQ-2'));
      return parent && fakes.slack.driver.thread(CHANNEL, parent.ts).find((m) => /^Deployed/.test(m.text));
    });
    showThread(fakes, say, 'REQ-2');
    const live = fakes.aws.driver.rules().filter((r) => r.tags['portcullis:request'] === 'REQ-2');
    say(`\n4. In AWS now: ${live.map((r) => `${r.ruleId} ${r.protocol}/${r.fromPort} from ${r.cidr} on sg-front`).join(', ')}`);
    say('   (The front serves HTTP on 80 only, so the service check rightly reports 443, opened to the internet by REQ-1, as failing.)');

    if (!options.keep) return 0;
    say(`\nStill running (Ctrl-C to stop). Endpoints: ${JSON.stringify({ ...e, botPort: bot.port, webhookSecret: SECRET })}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    return 0;
  } finally {
    await bot.stop();
    await targets?.close();
    await fakes.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await runSandbox({ keep: process.argv.includes('--keep'), say: (line) => void process.stdout.write(`${line}\n`) });
}
