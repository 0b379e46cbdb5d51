/**
 * The sandbox's world: the three fakes wired together, a front instance whose services
 * answer on every port its rules may open to the internet, and the real bot (the same
 * startBot as `npm start`) against them, in this process. The web page and the scripted
 * walkthrough both run on it. Nothing here leaves 127.0.0.0/8.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakes, type Fakes } from '../fakes/all.ts';
import { fakeAwsEnv } from '../fakes/aws/index.ts';
import { selfSigned } from '../fakes/services/certs.ts';
import { startServiceTargets, type ServiceTargets } from '../fakes/services/index.ts';
import type { SlackFakeTiming, SlackUser } from '../fakes/slack/index.ts';
import { defaultProbe, type Probe } from '../checks/probe.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { startBot, type RunningBot } from '../main.ts';

export const CHANNEL = 'C0SECOPS';
const SECRET = 'sandbox-webhook-secret-0000';

export type Role = 'requester' | 'approver' | 'outsider';

export interface Person extends SlackUser {
  role: Role;
}

/** The pretend people: one who asks, two who may approve, one who may not. */
export const PEOPLE: readonly Person[] = [
  { id: 'U0ALICE', name: 'alice', realName: 'Alice', email: 'alice@example.test', role: 'requester' },
  { id: 'U0BOB', name: 'bob', realName: 'Bob', email: 'bob@example.test', role: 'approver' },
  { id: 'U0CAROL', name: 'carol', realName: 'Carol', email: 'carol@example.test', role: 'approver' },
  { id: 'U0DAVE', name: 'dave', realName: 'Dave', email: 'dave@example.test', role: 'outsider' },
];

/**
 * Ports below 1024 need root to bind, and the sandbox must not. The front's services
 * listen on port + FORWARD_OFFSET of its address, and the sandbox's probe connects
 * there, as a port forward in front of an instance would: every report still names the
 * port the rule opens (80, 443), and the answer comes from a service on the instance's address.
 */
export const FORWARD_OFFSET = 20_000;
const forwarded = (port: number) => (port < 1024 ? port + FORWARD_OFFSET : port);

/** The bot's own probe, with the sandbox's port forward; nothing else differs. */
export const sandboxProbe: Probe = (target, timeoutMs) => defaultProbe({ ...target, port: forwarded(target.port) }, timeoutMs);

/** Where the front may live when no address is asked for: the first whose ports are free. */
const FRONT_IPS = Array.from({ length: 10 }, (_, i) => `127.88.0.${10 + i}`);

/** The service ports the policy lets a rule open to the internet (and groups.json names for sg-front). */
const FRONT_PORTS = [80, 443];

export interface WorldOptions {
  /**
   * The front instance's loopback "public" address. Default: 127.88.0.10, or the next of
   * 127.88.0.11-19 whose service ports are free (another sandbox may be running).
   */
  frontIp?: string;
  /** Slack's timing (e.g. a longer ack wait on a loaded machine). */
  slackTiming?: Partial<SlackFakeTiming>;
  /** The bot's log level, written to stderr (default warn). */
  logLevel?: string;
}

export interface World {
  fakes: Fakes;
  bot: RunningBot;
  people: readonly Person[];
  channel: string;
  frontIp: string;
  webhookSecret: string;
  close(): Promise<void>;
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-sandbox-'));
  const closers: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  try {
    const fakes = await startFakes({
      gitlab: { jobDurationMs: 40 },
      slack: { users: PEOPLE.map(({ role: _role, ...user }) => user), ...(options.slackTiming ? { timing: options.slackTiming } : {}) },
    });
    closers.push(() => fakes.close());
    // main is live, as after earlier deploys: a request's plan adds just its rule.
    fakes.gitlab.driver.deployBranch();
    const { ip: frontIp, targets } = await frontServices(options.frontIp);
    closers.push(() => targets.close());
    const front = fakes.aws.driver.findGroupByName('sg-front')!;
    fakes.aws.driver.addInstance({ groupIds: [front.groupId], publicIp: frontIp, state: 'running', tags: { Name: 'front' } });

    const e = fakes.endpoints;
    const env = {
      SLACK_BOT_TOKEN: e.slackBotToken,
      SLACK_APP_TOKEN: e.slackAppToken,
      SLACK_API_URL: e.slackApiUrl,
      SLACK_CHANNEL_ID: CHANNEL,
      APPROVER_IDS: PEOPLE.filter((p) => p.role === 'approver').map((p) => p.id).join(','),
      GITLAB_URL: e.gitlabUrl,
      GITLAB_TOKEN: e.gitlabToken,
      GITLAB_PROJECT: e.gitlabProject,
      GITLAB_WEBHOOK_SECRET: SECRET,
      PORT: '0',
      DATABASE_PATH: path.join(dir, 'portcullis.sqlite'),
      LOG_LEVEL: options.logLevel ?? 'warn',
      // A rule's service checks may run again at once: people here try things quickly.
      CHECK_SERVICES_INTERVAL: '1s',
      ...fakeAwsEnv(fakes.aws, e.awsRegion),
    };
    const config = loadConfig(env);
    const log = createLogger({ level: config.logLevel, destination: process.stderr });
    const bot = await startBot(config, log, env, { probe: sandboxProbe });
    closers.push(() => bot.stop());
    fakes.gitlab.driver.addHook({ url: `http://127.0.0.1:${bot.port}/webhooks/gitlab`, token: SECRET, pipelineEvents: true, jobEvents: true });
    return { fakes, bot, people: PEOPLE, channel: CHANNEL, frontIp, webhookSecret: SECRET, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** HTTP on 80 and HTTPS on 443 (a certificate made now, self-signed) behind the port forward. */
async function frontServices(asked: string | undefined): Promise<{ ip: string; targets: ServiceTargets }> {
  const tls = await selfSigned({ names: ['front.sandbox.test'] });
  const candidates = asked !== undefined ? [asked] : FRONT_IPS;
  for (const [i, ip] of candidates.entries()) {
    try {
      const targets = await startServiceTargets(FRONT_PORTS.map((port) => ({ ip, port: forwarded(port), behaviour: 'ok' as const, ...(port === 443 ? { tls } : {}) })));
      return { ip, targets };
    } catch (err) {
      if (i === candidates.length - 1 || !/EADDRINUSE/.test((err as Error).message)) throw err;
    }
  }
  throw new Error('no front address to serve on');
}
