/**
 * The real bot as a separate process (`node --import tsx src/main.ts`, the sources of
 * what `npm start` runs compiled) against the three fakes in this process, with GitLab's
 * webhook pointed at it. A test can kill it (SIGKILL included) and start it again on the
 * same database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Gitlab } from '@gitbeaker/rest';
import { startFakes, REPO_ROOT, type Fakes } from '../../src/fakes/all.ts';
import { parseRuleFile, serializeRuleFile, type RuleFileInput } from '../../src/domain/rule.ts';
import type { VisibleMessage } from '../../src/fakes/slack/index.ts';
import { fakeAwsEnv, type AwsFakeOptions } from '../../src/fakes/aws/index.ts';

export const CHANNEL = 'C0SECOPS';
export const REQUESTER = 'U0ALICE';
export const APPROVER = 'U0BOB';
export const OTHER_APPROVER = 'U0CAROL';
export const WEBHOOK_SECRET = 'e2e-webhook-secret-0123456789';
/** In the workspace, in no approver list or group; the person whose commits driver.push makes. */
export const BYSTANDER = 'U0DAVE';
/** Emails of the Slack users, the same as their GitLab people's: the bot maps one to the other. */
export const EMAILS: Record<string, string> = {
  [REQUESTER]: 'alice@example.test',
  [APPROVER]: 'bob@example.test',
  [OTHER_APPROVER]: 'carol@example.test',
  [BYSTANDER]: 'person@example.test',
};

export interface Bot {
  port: number;
  /** Every line the bot printed so far (pino JSON and anything else). */
  lines: string[];
  process: ChildProcess;
  exited: Promise<number | null>;
}

export class Harness {
  fakes!: Fakes;
  gitlab!: InstanceType<typeof Gitlab>;
  /** GitLab tokens of the people, by Slack user id. */
  readonly gitlabTokens: Record<string, string> = {};
  dir!: string;
  bot: Bot | null = null;
  readonly allLines: string[] = [];
  env: Record<string, string> = {};
  /** Node's arguments for the bot: the sources through tsx, unless a test or bench says otherwise. */
  botArgs: string[] = ['--import', import.meta.resolve('tsx'), path.join(REPO_ROOT, 'src', 'main.ts')];

  /**
   * Fakes, a database folder and the bot's environment; the bot started too unless
   * `startBot: false`. `aws`: the AWS fake's options (other accounts' roles); `beforeBot`:
   * what to set up in the fakes (files on main) before the bot starts.
   */
  static async start(env: Record<string, string> = {}, options: { startBot?: boolean; aws?: AwsFakeOptions; beforeBot?: (h: Harness) => void } = {}): Promise<Harness> {
    const h = new Harness();
    h.fakes = await startFakes({
      ...(options.aws ? { aws: options.aws } : {}),
      gitlab: { jobDurationMs: 5 },
      slack: {
        // The bot's Socket Mode client waits its ping timeout (5 s) before reconnecting
        // after an abrupt close; envelopes sent meanwhile must still be waiting for it.
        timing: { ackTimeoutMs: 15_000 },
        users: [
          { id: REQUESTER, name: 'alice', realName: 'Alice Requester', email: EMAILS[REQUESTER] },
          { id: APPROVER, name: 'bob', realName: 'Bob Approver', email: EMAILS[APPROVER] },
          { id: OTHER_APPROVER, name: 'carol', realName: 'Carol Approver', email: EMAILS[OTHER_APPROVER] },
          { id: BYSTANDER, name: 'dave', realName: 'Dave Bystander', email: EMAILS[BYSTANDER] },
        ],
        usergroups: [{ id: 'S0APPROVERS', handle: 'sg-approvers', name: 'SG approvers', users: [OTHER_APPROVER] }],
      },
    });
    h.gitlab = new Gitlab({ host: h.fakes.gitlab.url, token: h.fakes.gitlab.token });
    // Each Slack person is a GitLab person too, with the same email.
    for (const [user, name] of [[REQUESTER, 'alice'], [APPROVER, 'bob'], [OTHER_APPROVER, 'carol'], [BYSTANDER, 'dave']] as const) {
      h.gitlabTokens[user] = h.fakes.gitlab.driver.addUser({ username: name, name, email: EMAILS[user]! });
    }
    // main is live, as after earlier deploys: a request's plan adds just its rule.
    h.fakes.gitlab.driver.deployBranch();
    h.dir = await mkdtemp(path.join(tmpdir(), 'portcullis-e2e-'));
    const e = h.fakes.endpoints;
    h.env = {
      SLACK_BOT_TOKEN: e.slackBotToken,
      SLACK_APP_TOKEN: e.slackAppToken,
      SLACK_API_URL: e.slackApiUrl,
      SLACK_CHANNEL_ID: CHANNEL,
      // Bob by id, Carol through the user group, Alice (the requester) by id too: she may
      // approve others' requests, never her own.
      APPROVER_IDS: `${APPROVER},${REQUESTER}`,
      APPROVER_GROUP: 'S0APPROVERS',
      GITLAB_URL: e.gitlabUrl,
      GITLAB_TOKEN: e.gitlabToken,
      GITLAB_PROJECT: e.gitlabProject,
      GITLAB_WEBHOOK_SECRET: WEBHOOK_SECRET,
      PORT: '0',
      DATABASE_PATH: path.join(h.dir, 'portcullis.sqlite'),
      RECONCILE_INTERVAL: '1h',
      LOG_LEVEL: 'debug',
      ...fakeAwsEnv(h.fakes.aws, e.awsRegion),
      ...env,
    };
    try {
      options.beforeBot?.(h);
      if (options.startBot !== false) await h.startBot();
    } catch (err) {
      // Nothing left running: a test file whose bot did not start must still end.
      await h.fakes.close();
      await rm(h.dir, { recursive: true, force: true });
      throw err;
    }
    return h;
  }

  /** Starts the bot process and points GitLab's webhook at it. */
  async startBot(): Promise<Bot> {
    // cwd is the test's own folder (no developer .env is read), so tsx is named by its full URL.
    const child = spawn(process.execPath, this.botArgs, {
      cwd: this.dir,
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`bot did not start within 45 s:\n${lines.join('\n')}`));
      }, 45_000);
      for (const stream of [child.stdout!, child.stderr!]) {
        createInterface({ input: stream }).on('line', (line) => {
          lines.push(line);
          this.allLines.push(line);
          if (line.includes('portcullis bot listening')) {
            clearTimeout(timer);
            resolve((JSON.parse(line) as { port: number }).port);
          }
        });
      }
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`bot exited with ${code}:\n${lines.join('\n')}`));
      });
    });
    this.bot = { port, lines, process: child, exited };
    for (const hook of this.fakes.gitlab.driver.hooks()) hook.url = `http://127.0.0.1:${port}/webhooks/gitlab`;
    if (this.fakes.gitlab.driver.hooks().length === 0) {
      this.fakes.gitlab.driver.addHook({ url: `http://127.0.0.1:${port}/webhooks/gitlab`, token: WEBHOOK_SECRET, pipelineEvents: true, jobEvents: true });
    }
    return this.bot;
  }

  async stopBot(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const bot = this.bot;
    if (!bot) return null;
    this.bot = null;
    bot.process.kill(signal);
    return bot.exited;
  }

  async close(): Promise<void> {
    await this.stopBot();
    await this.fakes.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** A gitbeaker client acting as a person: a Slack user id of the harness, or a GitLab token. */
  gitlabAs(userOrToken: string): InstanceType<typeof Gitlab> {
    return new Gitlab({ host: this.fakes.gitlab.url, token: this.gitlabTokens[userOrToken] ?? userOrToken });
  }

  /**
   * A request on `sg-request/<id>` the bot did not open: a branch with one rule file, a
   * merge request and a pipeline, all made in GitLab by `as` (default the requester,
   * Alice), who is therefore who asked for it.
   */
  async request(id: string, rule: Partial<RuleFileInput> = {}, as: string = REQUESTER): Promise<{ pipelineId: number; branch: string }> {
    const branch = `sg-request/${id}`;
    const project = this.fakes.gitlab.projectId;
    // A source of its own per request: AWS refuses two identical rules in one group.
    const host = (Number(/\d+$/.exec(id)?.[0] ?? 0) % 250) + 1;
    const file = parseRuleFile(JSON.stringify({ id, group: 'sg-front', protocol: 'tcp', from_port: 443, to_port: 443, cidr: `203.0.113.${host}/32`, description: 'partner API', requester: REQUESTER, ...rule }));
    const person = this.gitlabAs(as);
    await person.Branches.create(project, branch, 'main');
    await person.Commits.create(project, branch, `${id}: ${file.description}`, [{ action: 'create', filePath: `terraform/rules/${id}.json`, content: serializeRuleFile(file) }]);
    await person.MergeRequests.create(project, branch, 'main', `${id}: ${file.description}`);
    const pipeline = await person.Pipelines.create(project, branch);
    return { pipelineId: pipeline.id, branch };
  }

  // ------------------------------------------------------------ what people see

  parents(): VisibleMessage[] {
    return this.fakes.slack.driver.channel(CHANNEL);
  }

  parentOf(id: string): VisibleMessage | undefined {
    return this.parents().find((m) => m.text.includes(id));
  }

  thread(id: string): VisibleMessage[] {
    const parent = this.parentOf(id);
    return parent ? this.fakes.slack.driver.thread(CHANNEL, parent.ts) : [];
  }

  /** The thread message whose text matches, e.g. the approval request. */
  threadMessage(id: string, pattern: RegExp): VisibleMessage | undefined {
    return this.thread(id).find((m) => pattern.test(m.text));
  }

  async waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value) return value;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}\nthread texts: ${JSON.stringify(this.parents().map((p) => [p.text, this.fakes.slack.driver.thread(CHANNEL, p.ts).map((m) => m.text)]), null, 1)}\nbot log tail:\n${this.allLines.slice(-15).join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async waitForApprovalRequest(id: string): Promise<VisibleMessage> {
    return this.waitFor(`the approval request of ${id}`, () => this.threadMessage(id, /waiting for approval/));
  }

  async click(user: string, message: VisibleMessage, actionId: 'approve' | 'reject') {
    return this.fakes.slack.driver.clickButton({ user, channel: CHANNEL, ts: message.ts, actionId });
  }

  /** How many times GitLab was asked to play a job. */
  plays(): number {
    return this.fakes.gitlab.driver.requests().filter((r) => r.method === 'POST' && /\/jobs\/\d+\/play$/.test(r.path)).length;
  }
}
