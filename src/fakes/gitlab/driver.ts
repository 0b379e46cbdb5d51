/**
 * The test and sandbox handle on the fake GitLab: script job outcomes, add hooks and
 * break their deliveries, throttle the API, push as a person, and read what happened.
 */
import type { AwsFakeDriver, Ec2Driver } from '../aws/index.ts';
import type { JobScript } from './ci/job-runner.ts';
import type { PipelineSimulator } from './ci/simulator.ts';
import type { GitLabData } from './data.ts';
import type { RequestRecord } from './http/server.ts';
import type { DeployAccessLevel, MergeRequest, Pipeline, PipelineStatus } from './model.ts';
import { createHook, type HookInput } from './routes/hooks.ts';
import { filesOf } from './repository/store.ts';
import type { FakeTerraform } from './terraform/fake-terraform.ts';
import type { Timers } from './timers.ts';
import type { TerraformStateStore, TfState } from './terraform/state-store.ts';
import type { DeliveryRecord, FaultMatch, Hook, WebhookFault, WebhookSender } from './webhooks/sender.ts';

export interface GitLabFakeDriver {
  readonly projectId: number;
  readonly projectPath: string;
  /** From now on, runs of the job `name` end as scripted (until clearJobScripts). */
  scriptJob(name: string, script: JobScript): void;
  clearJobScripts(): void;
  addHook(input: HookInput): Hook;
  hooks(): Hook[];
  /** The next matching delivery (or `match.times` of them) misbehaves. */
  injectWebhookFault(fault: WebhookFault, match?: FaultMatch): void;
  /** Every delivery attempt so far, in the order they were sent. */
  deliveries(): DeliveryRecord[];
  /** GitLab's "Resend request" for a recorded delivery (same Idempotency-Key). */
  resendDelivery(record: DeliveryRecord): void;
  /** The next `count` API requests (matching `path` when given) get 429 Retry later. */
  rateLimitNext(count?: number, opts?: { retryAfterSeconds?: number; path?: string | RegExp }): void;
  /** The next `count` API requests (matching `path` when given) fail with a 5xx, as an overloaded instance does. */
  failNext(count?: number, opts?: { status?: number; path?: string | RegExp }): void;
  /**
   * The next API request matching `target` ("POST /projects/1/jobs/5/play", by substring
   * or pattern) is swallowed: never processed and never answered, as if its sender died
   * before GitLab read it. Resolves when it arrives, so a test can kill its sender then.
   */
  holdNext(target: string | RegExp): Promise<void>;
  /** A GitLab user of the project besides the bot's, with a token of its own; returns the token. */
  addUser(user: { username: string; name: string; email: string; publicEmail?: boolean }): string;
  /** Resolves once every delivery sent so far was answered 200; rejects after `timeoutMs`. */
  waitForDeliveries(timeoutMs?: number): Promise<void>;
  /** Every API request so far: method, path below /api/v4, query, answer status. */
  requests(): RequestRecord[];
  pipelines(): readonly Pipeline[];
  /** Polls until the pipeline reaches one of the statuses; rejects after timeoutMs. */
  waitForPipeline(id: number, status: PipelineStatus | PipelineStatus[], timeoutMs?: number): Promise<Pipeline>;
  /** A commit by a person, straight onto a branch (created from the default branch if new). `null` deletes a file. */
  push(branch: string, files: Record<string, string | null>, message?: string, author?: { name: string; email: string }): string;
  readFile(ref: string, path: string): string | undefined;
  mergeRequests(): readonly MergeRequest[];
  /**
   * Applies a branch's rules to the fake EC2 and the Terraform state directly, as if a
   * pipeline on it had been deployed earlier (e.g. to start the sandbox with main live).
   */
  deployBranch(ref?: string, stateName?: string, environment?: { name: string; accountId: string; region: string }): void;
  terraformState(name?: string): TfState | undefined;
  setTerraformState(name: string, state: TfState): void;
  /** The bot token's scopes and expiry (`YYYY-MM-DD` or null), as `/personal_access_tokens/self` shows them and the API enforces them. */
  setTokenScopes(scopes: string[], expiresAt?: string | null): void;
  /** The bot's role in the project (30 Developer, 40 Maintainer, ...); null: not a member. */
  setBotAccessLevel(level: number | null): void;
  /** Settings → CI/CD → General pipelines → CI/CD configuration file. */
  setCiConfigPath(path: string): void;
  /** Protects one environment (by its exact name) for the given deployers; an empty list unprotects it. */
  protectEnvironment(name: string, deployers: DeployAccessLevel[]): void;
  /** The bot's GitLab user id (for deployers). */
  readonly botUserId: number;
}

export interface Throttle {
  left: number;
  retryAfterSeconds: number;
  path: string | RegExp | undefined;
  /** 429 (rate limited, the default) or a 5xx the instance answers instead. */
  status?: number;
  /** Swallow the request instead of answering it; called when it arrives. */
  hold?: () => void;
}

export interface DriverParts {
  data: GitLabData;
  simulator: PipelineSimulator;
  sender: WebhookSender;
  terraform: TerraformStateStore;
  fakeTerraform: FakeTerraform;
  ec2: Ec2Driver | undefined;
  accounts: Pick<AwsFakeDriver, 'account'> | undefined;
  timers: Timers;
  throttles: Throttle[];
  requestLog: RequestRecord[];
  addUser(user: { username: string; name: string; email: string; publicEmail?: boolean }): string;
  onPush(branch: string, before: string | null, after: string): void;
}

export function createDriver(parts: DriverParts): GitLabFakeDriver {
  const { data, simulator, sender, terraform, timers } = parts;
  return {
    projectId: data.project.id,
    projectPath: data.project.pathWithNamespace,
    scriptJob: (name, script) => void simulator.scripts.set(name, script),
    clearJobScripts: () => simulator.scripts.clear(),
    addHook: (input) => createHook(data, sender, input),
    hooks: () => [...sender.hooks],
    injectWebhookFault: (fault, match) => sender.injectFault(fault, match),
    deliveries: () => sender.deliveries(),
    resendDelivery: (record) => sender.resend(record),
    rateLimitNext: (count = 1, opts = {}) => void parts.throttles.push({ left: count, retryAfterSeconds: opts.retryAfterSeconds ?? 1, path: opts.path }),
    failNext: (count = 1, opts = {}) => void parts.throttles.push({ left: count, retryAfterSeconds: 0, path: opts.path, status: opts.status ?? 500 }),
    holdNext: (target) => new Promise<void>((resolve) => void parts.throttles.push({ left: 1, retryAfterSeconds: 0, path: target, hold: resolve })),
    addUser: (user) => parts.addUser(user),
    requests: () => [...parts.requestLog],
    async waitForDeliveries(timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      while (!sender.deliveries().every((d) => d.status === 200)) {
        if (Date.now() > deadline) throw new Error(`deliveries still in flight after ${timeoutMs} ms`);
        if (!(await timers.sleep(5))) throw new Error('the GitLab fake was closed');
      }
    },
    pipelines: () => data.pipelines,
    async waitForPipeline(id, status, timeoutMs = 5000) {
      const wanted = Array.isArray(status) ? status : [status];
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const pipeline = data.pipelines.find((p) => p.id === id);
        if (pipeline && wanted.includes(pipeline.status)) return pipeline;
        if (Date.now() > deadline) {
          throw new Error(`pipeline ${id} is ${pipeline?.status ?? 'missing'} after ${timeoutMs} ms, expected ${wanted.join(' or ')}`);
        }
        if (!(await timers.sleep(5))) throw new Error('the GitLab fake was closed');
      }
    },
    push(branch, files, message = 'Update files', author = { name: 'A Person', email: 'person@example.test' }) {
      const before = data.repo.branchHead(branch)?.id ?? null;
      const head = data.repo.branchHead(branch) ?? data.repo.branchHead(data.project.defaultBranch)!;
      const actions = Object.entries(files).map(([filePath, content]) => ({
        action: content === null ? ('delete' as const) : head.tree.has(filePath) ? ('update' as const) : ('create' as const),
        filePath,
        content: content === null ? undefined : Buffer.from(content),
      }));
      const commit = data.repo.commitActions(branch, message, actions, author, data.project.defaultBranch);
      parts.onPush(branch, before, commit.id);
      return commit.id;
    },
    readFile: (ref, path) => data.repo.resolve(ref)?.tree.get(path)?.toString('utf8'),
    mergeRequests: () => data.mergeRequests,
    deployBranch(ref = data.project.defaultBranch, stateName = 'portcullis', environment) {
      const commit = data.repo.resolve(ref);
      if (!commit) throw new Error(`no branch or commit "${ref}"`);
      // A named environment: its folder, in its account (what its deploy job would reach).
      const ec2 = environment ? parts.accounts?.account(environment.accountId, environment.region) : parts.ec2;
      if (!ec2) throw new Error(`deployBranch needs the \`${environment ? 'accounts' : 'ec2'}\` option of startGitLabFake`);
      const target = environment ? { dir: `terraform/environments/${environment.name}`, settings: { accountId: environment.accountId, region: environment.region } } : {};
      const planned = parts.fakeTerraform.plan(filesOf(commit), stateName, ec2, target);
      if (!planned.ok) throw new Error(planned.error);
      const applied = parts.fakeTerraform.apply(planned.saved, stateName, ec2, () => {}, target);
      if (!applied.ok) throw new Error(applied.error);
    },
    terraformState: (name = 'portcullis') => terraform.read(name),
    setTerraformState: (name, state) => terraform.write(name, Buffer.from(JSON.stringify(state, null, 2))),
    setTokenScopes: (scopes, expiresAt = null) => void (data.botToken = { ...data.botToken, scopes, expiresAt }),
    setBotAccessLevel: (level) => void (data.botAccessLevel = level),
    setCiConfigPath: (path) => void (data.project.ciConfigPath = path),
    protectEnvironment(name, deployers) {
      const others = data.project.protectedEnvironments.filter((e) => e.name !== name);
      data.project.protectedEnvironments = deployers.length === 0 ? others : [...others, { name, deployAccessLevels: deployers }];
    },
    botUserId: data.user.id,
  };
}
