/**
 * A local GitLab for tests and the sandbox: REST v4 for one project, an in-memory
 * repository, a pipeline simulator running terraform/.gitlab-ci.yml with a fake
 * Terraform and the project's compliance engine, GitLab-managed Terraform state, and
 * webhooks. Listens on 127.0.0.1 with an ephemeral port.
 */
import { readFile } from 'node:fs/promises';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsFakeDriver, Ec2Driver } from '../aws/index.ts';
import { PipelineSimulator } from './ci/simulator.ts';
import { simulatedJobs } from './ci/simulated-jobs.ts';
import { GitLabData } from './data.ts';
import { createDriver, type GitLabFakeDriver, type Throttle } from './driver.ts';
import { Router } from './http/router.ts';
import { createApiServer, type RequestRecord } from './http/server.ts';
import type { User } from './model.ts';
import { registerAccessRoutes } from './routes/access.ts';
import { registerHookRoutes } from './routes/hooks.ts';
import { registerMergeRequestRoutes } from './routes/merge-requests.ts';
import { registerPipelineRoutes } from './routes/pipelines.ts';
import { registerRepositoryRoutes } from './routes/repository.ts';
import { registerTerraformStateRoutes } from './routes/terraform-state.ts';
import { registerUserRoutes } from './routes/users.ts';
import { loadSeedTree, type SeedOptions } from './repository/seed.ts';
import { RepositoryStore } from './repository/store.ts';
import type { TerraformSettings } from './terraform/resources.ts';
import { FakeTerraform } from './terraform/fake-terraform.ts';
import { TerraformStateStore } from './terraform/state-store.ts';
import { Timers } from './timers.ts';
import { jobHookPayload, pipelineHookPayload } from './webhooks/payloads.ts';
import { WebhookSender } from './webhooks/sender.ts';

export type { GitLabFakeDriver } from './driver.ts';
export type { JobScript } from './ci/job-runner.ts';
export type { DeliveryRecord, FaultMatch, WebhookFault } from './webhooks/sender.ts';
export type { TfState } from './terraform/state-store.ts';

export interface GitLabFakeOptions {
  /** The token accepted as PRIVATE-TOKEN, Bearer, JOB-TOKEN or Basic password (default: generated). */
  token?: string;
  /** Default `portcullis/firewall`, id 1. */
  projectPath?: string;
  projectId?: number;
  defaultBranch?: string;
  /** The project's CI config path (default `terraform/.gitlab-ci.yml`). */
  ciConfigPath?: string;
  /** The initial commit of the default branch, e.g. `{ dir: repoRoot }` for its terraform/ and policies/. */
  seed?: SeedOptions;
  /** A CI file on disk, used when the pipeline's commit has none at ciConfigPath. */
  ciFile?: string;
  /** Policies for the compliance job when the commit has no policies/ folder. */
  policiesDir?: string;
  /** The fake EC2 the deploy job applies to. */
  ec2?: Ec2Driver;
  /**
   * Other AWS accounts: a plan or deploy job with TF_VAR_aws_role_arn assumes that role
   * and acts in its account (the AWS fake's driver).
   */
  accounts?: Pick<AwsFakeDriver, 'account' | 'hasRole'>;
  /** How long each simulated job runs (default 15 ms). */
  jobDurationMs?: number;
  /** Start a `push` pipeline on every commit and new branch, as a project with CI does. Default false. */
  pipelineOnPush?: boolean;
  onlyAllowMergeIfPipelineSucceeds?: boolean;
  /** Premium tier (protected environments); default true. */
  premium?: boolean;
  terraform?: Partial<TerraformSettings>;
  webhooks?: { timeoutMs?: number; maxAttempts?: number; retryDelayMs?: number };
}

export interface GitLabFake {
  /** Base URL, e.g. http://127.0.0.1:PORT; the API is under /api/v4. */
  url: string;
  token: string;
  projectId: number;
  projectPath: string;
  driver: GitLabFakeDriver;
  close(): Promise<void>;
}

const BOT: User = { id: 1, username: 'portcullis-bot', name: 'Portcullis Bot', email: 'portcullis-bot@noreply.gitlab.example' };

export async function startGitLabFake(options: GitLabFakeOptions = {}): Promise<GitLabFake> {
  const token = options.token ?? `glpat-fake${Math.random().toString(36).slice(2, 14)}`;
  const timers = new Timers();
  const throttles: Throttle[] = [];
  const requestLog: RequestRecord[] = [];
  const router = new Router();
  // People of the project besides the bot, by token.
  const people = new Map<string, User>();
  const server = createApiServer({
    router,
    authenticate: (headers) => {
      const presented = presentedTokens(headers);
      if (presented.some((t) => sameSecret(t, token))) return BOT;
      return presented.map((t) => people.get(t)).find((u) => u !== undefined);
    },
    throttle: (method, path) => takeThrottle(throttles, `${method} ${path}`),
    scopesOf: (user) => data.tokenOf(user).scopes,
    onRequest: (record) => requestLog.push(record),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const projectPath = options.projectPath ?? 'portcullis/firewall';
  const defaultBranch = options.defaultBranch ?? 'main';
  const repo = new RepositoryStore(defaultBranch, await loadSeedTree(options.seed ?? {}), { name: BOT.name, email: BOT.email });
  const data = new GitLabData(
    url,
    {
      id: options.projectId ?? 1,
      pathWithNamespace: projectPath,
      defaultBranch,
      ciConfigPath: options.ciConfigPath ?? 'terraform/.gitlab-ci.yml',
      webUrl: `${url}/${projectPath}`,
      onlyAllowMergeIfPipelineSucceeds: options.onlyAllowMergeIfPipelineSucceeds ?? false,
      premium: options.premium ?? true,
      protectedEnvironments: [],
    },
    BOT,
    repo,
  );
  const terraform = new TerraformStateStore();
  const fakeTerraform = new FakeTerraform(terraform, {
    region: 'us-east-1',
    accountId: '123456789012',
    vpcId: 'vpc-0fa4e0000000000aa',
    defaultTags: { 'portcullis:managed-by': 'terraform' },
    terraformVersion: '1.9.8',
    ...options.terraform,
  });
  const sender = new WebhookSender({
    timers,
    instanceUrl: url,
    timeoutMs: options.webhooks?.timeoutMs ?? 10_000,
    maxAttempts: options.webhooks?.maxAttempts ?? 3,
    retryDelayMs: options.webhooks?.retryDelayMs ?? 50,
  });
  const simulator = new PipelineSimulator({
    data,
    timers,
    listener: {
      jobChanged: (job, pipeline) => {
        // Trigger jobs are bridges: GitLab sends no Job Hook for them.
        if (!job.bridge) sender.emit('Job Hook', jobHookPayload(data, job, pipeline));
      },
      pipelineChanged: (pipeline) => sender.emit('Pipeline Hook', pipelineHookPayload(data, pipeline)),
    },
    behaviourFor: simulatedJobs({ terraform: fakeTerraform, ec2: options.ec2, accounts: options.accounts, policiesDir: options.policiesDir }),
    fallbackCiConfig: options.ciFile === undefined ? undefined : await readFile(options.ciFile, 'utf8'),
    jobDurationMs: options.jobDurationMs ?? 15,
  });

  const onPush = (branch: string) => {
    if (!options.pipelineOnPush) return;
    try {
      simulator.create(branch, { source: 'push', variables: [], user: BOT });
    } catch {
      // A commit without a usable CI file starts no pipeline, as in GitLab.
    }
  };
  registerRepositoryRoutes(router, data, onPush);
  registerMergeRequestRoutes(router, data);
  registerPipelineRoutes(router, data, simulator);
  registerHookRoutes(router, data, sender);
  registerTerraformStateRoutes(router, data, terraform);
  registerUserRoutes(router, data);
  registerAccessRoutes(router, data);

  return {
    url,
    token,
    projectId: data.project.id,
    projectPath,
    driver: createDriver({
      data, simulator, sender, terraform, fakeTerraform, ec2: options.ec2, accounts: options.accounts, timers, throttles, requestLog, onPush,
      addUser: (user) => {
        const personal = `glpat-person${people.size + 1}${Math.random().toString(36).slice(2, 10)}`;
        const person: User = { id: 100 + people.size, ...user };
        people.set(personal, person);
        data.people.push(person);
        return personal;
      },
    }),
    async close() {
      timers.close();
      sender.close();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

function presentedTokens(headers: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name of ['private-token', 'job-token'] as const) {
    const value = headers[name];
    if (typeof value === 'string') out.push(value);
  }
  const auth = headers.authorization ?? '';
  if (auth.startsWith('Bearer ')) out.push(auth.slice('Bearer '.length));
  // The Terraform HTTP backend authenticates with Basic (any user name, token as password).
  if (auth.startsWith('Basic ')) out.push(Buffer.from(auth.slice('Basic '.length), 'base64').toString('utf8').split(':').slice(1).join(':'));
  return out;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function takeThrottle(throttles: Throttle[], target: string) {
  const throttle = throttles.find((t) => t.left > 0 && (t.path === undefined || (typeof t.path === 'string' ? target.includes(t.path) : t.path.test(target))));
  if (!throttle) return undefined;
  throttle.left -= 1;
  if (throttle.left === 0) throttles.splice(throttles.indexOf(throttle), 1);
  if (throttle.hold) {
    throttle.hold();
    return 'hold' as const;
  }
  if (throttle.status !== undefined && throttle.status !== 429) {
    return { status: throttle.status, json: { message: `${throttle.status} ${throttle.status === 502 ? 'Bad Gateway' : throttle.status === 503 ? 'Service Unavailable' : 'Internal Server Error'}` } };
  }
  return {
    status: 429,
    text: 'Retry later\n',
    headers: {
      'retry-after': String(throttle.retryAfterSeconds),
      'ratelimit-limit': '600',
      'ratelimit-observed': '601',
      'ratelimit-remaining': '0',
      'ratelimit-reset': String(Math.ceil(Date.now() / 1000) + throttle.retryAfterSeconds),
    },
  };
}
