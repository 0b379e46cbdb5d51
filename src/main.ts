/**
 * Composition root: configuration → logger → store → GitLab and Slack adapters → core →
 * HTTP server, inbox worker and reconciler. `npm start` runs it compiled (dist/main.js).
 *
 * SIGTERM or SIGINT stops it cleanly: no new work (webhooks 503, the Slack socket
 * closed, the worker and the reconciler take nothing more), what is in flight finishes
 * within SHUTDOWN_TIMEOUT, the HTTP server and the store close, exit 0; 1 when the bound
 * cut work short (safe: the inbox and the reconciler resume it at the next start). A
 * second signal exits at once.
 */
import { config as loadDotenv } from 'dotenv';
import { pathToFileURL } from 'node:url';
import { loadConfig, configSecrets, ConfigError, type Config } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { openStore } from './store/index.ts';
import { createGitLabVcs } from './gitlab/client.ts';
import { handleGitLabWebhook, InboxBatcher } from './gitlab/webhook.ts';
import { notConfiguredCloud } from './aws/not-configured.ts';
import { createSlackApp } from './slack/app.ts';
import { createCommandResponder, createSlackChat } from './slack/chat.ts';
import { registerListeners } from './slack/listeners.ts';
import { registerSgRequest } from './slack/sg-request/listener.ts';
import { registerHome } from './slack/home.ts';
import { registerCheckServices } from './slack/check-services.ts';
import { CheckServicesLimiter } from './slack/check-services-limit.ts';
import { cloudForEnvironment, cloudFromEnv, probeGuard } from './aws/env.ts';
import { groupsFileOf, type Environment } from './domain/environment.ts';
import type { Probe } from './checks/probe.ts';
import { GroupCatalog } from './slack/sg-request/groups.ts';
import { loadPolicies } from './compliance/policy.ts';
import { followUps } from './core/follow-ups.ts';
import { HomeViewers } from './core/home-viewers.ts';
import { KeyedMutex } from './core/keyed-mutex.ts';
import { InboxWorker } from './core/worker.ts';
import { startReconciler } from './core/reconcile.ts';
import type { BotDeps } from './core/deps.ts';
import { closeServer, createHttpServer, listen, type ClientProblem } from './http.ts';
import { InFlight } from './in-flight.ts';
import { BotMetrics } from './metrics.ts';

/** What an embedder (the sandbox) may give the bot beyond its configuration. */
export interface BotOptions {
  /** How service checks reach a target; default Node's own probe (the sandbox maps ports it cannot bind). */
  probe?: Probe;
}

export interface StopOutcome {
  /** True when everything in flight finished within the bound. */
  drained: boolean;
  /** What was still running when the bound passed. */
  unfinished: string[];
}

export interface RunningBot {
  port: number;
  deps: BotDeps;
  /** Takes no new work, lets what is in flight finish within `timeoutMs` (default SHUTDOWN_TIMEOUT), closes everything. */
  stop(timeoutMs?: number): Promise<StopOutcome>;
}

export async function startBot(config: Config, log: Logger, env: NodeJS.ProcessEnv = {}, options: BotOptions = {}): Promise<RunningBot> {
  // The same policies the pipeline judges with, checked once: a bad file stops the start.
  const policies = await loadPolicies();
  // GET /metrics: what passes the webhook door, the audit log and the ports, and what the store holds.
  const metrics = new BotMetrics();
  const store = metrics.countingAudit(openStore(config.databasePath));
  metrics.watchStore(store);
  const vcs = metrics.instrument('gitlab', createGitLabVcs({ url: config.gitlab.url, token: config.gitlab.token, project: config.gitlab.project, logger: log }));
  const slack = createSlackApp({ botToken: config.slack.botToken, appToken: config.slack.appToken, apiUrl: config.slack.apiUrl, log });
  const now = () => new Date();
  // terraform/groups.json on the default branch: the groups a request may name, and their service settings.
  const groups = new GroupCatalog(vcs, now);
  // A named environment's groups are in its own folder; each is read on its own.
  const groupsByEnvironment = new Map(config.environments.list.map((e) => [e.name, new GroupCatalog(vcs, now, undefined, groupsFileOf(e))]));
  // Each environment's AWS, made once: its region, its read role assumed.
  const clouds = new Map(config.environments.list.flatMap((e) => (e.aws ? [[e.name, metrics.instrument('aws', cloudForEnvironment(env, e.aws))] as const] : [])));
  const cloud = metrics.instrument('aws', config.awsRegion ? cloudFromEnv({ ...env, AWS_REGION: config.awsRegion }) : notConfiguredCloud('AWS_REGION is not set'));
  // The groups.json of an environment (the single one's is terraform/groups.json).
  const groupsOf = async (e?: Environment) => ((e && groupsByEnvironment.get(e.name)) || groups).details();
  // Against a fake or sandbox AWS (an endpoint override), probes stay on loopback.
  const allowTarget = probeGuard(env);
  const deps: BotDeps = {
    store,
    vcs,
    // The bot's own secrets never reach Slack, whatever a job or an error message prints.
    chat: metrics.instrument('slack', createSlackChat(slack.app.client, { secrets: botSecrets(config, env) })),
    cloud,
    // An environment without an account of its own (the single one) uses the process's AWS.
    cloudFor: (e) => clouds.get(e.name) ?? cloud,
    environments: config.environments,
    settings: {
      channel: config.slack.channelId,
      approverIds: config.approvals.approverIds,
      approverGroup: config.approvals.approverGroup,
      requiredApprovals: config.approvals.required,
      approvalTtlMs: config.approvals.ttlMs,
      autoApproveExpiredRevocations: config.approvals.autoApproveExpiredRevocations,
      deployPlayTimeoutMs: config.approvals.deployPlayTimeoutMs,
    },
    policies,
    log,
    checks: {
      servicePorts: async (group, e) => (await groupsOf(e)).get(group)?.servicePorts ?? [],
      service: async (group, e) => (await groupsOf(e)).get(group)?.service,
      existing: async (group, e) => (await groupsOf(e)).get(group)?.existing,
      allowTarget,
      ...(options.probe ? { probe: options.probe } : {}),
    },
    locks: new KeyedMutex(),
    homeViewers: new HomeViewers(),
    followUps,
    now,
  };
  registerListeners(slack.app, deps);
  registerHome(slack.app, deps);
  registerSgRequest(slack.app, { ...deps, groups, groupsByEnvironment });
  registerCheckServices(slack.app, {
    ...deps,
    groups: groupsOf,
    allowTarget,
    ...(options.probe ? { probe: options.probe } : {}),
    // One run per group at a time, one start per CHECK_SERVICES_INTERVAL: the bot's own state, not the module's.
    limiter: new CheckServicesLimiter({ intervalMs: config.checkServicesIntervalMs }),
    respond: createCommandResponder({ secrets: botSecrets(config, env) }),
  });
  slack.app.error(async (err) => void log.error({ err }, 'unhandled error in a Slack listener'));
  // Every envelope's handling, counted until its listeners are done, so a stop can wait for it.
  const inFlight = new InFlight();
  slack.app.use(({ next }) => inFlight.run('Slack event', next));
  let draining = false;

  const worker = new InboxWorker(deps);
  // Deliveries that arrive together are stored in one transaction.
  const inbox = new InboxBatcher(store.inbox);
  const server = createHttpServer({
    webhook: (req, res) =>
      handleGitLabWebhook(req, res, {
        secret: config.gitlab.webhookSecret,
        project: config.gitlab.project,
        inbox,
        onStored: () => worker.wake(),
        onOutcome: (outcome) => {
          metrics.webhook(outcome);
          if (outcome.result === 'other_project') {
            const { id, path } = outcome.project;
            log.warn({ event: outcome.event, projectId: id, projectPath: path, configured: config.gitlab.project }, 'webhook delivery of another GitLab project; answered 200, not stored');
          } else if (outcome.result === 'store_failed') {
            log.error({ err: outcome.error }, 'storing a webhook delivery failed; answered 500 so GitLab sends it again');
          }
        },
        now: () => new Date(),
      }),
    ready: () => {
      const checks = { slack: slack.connected(), store: store.inbox.pending() >= 0 };
      return { ready: Object.values(checks).every(Boolean), checks };
    },
    metrics: () => metrics.scrape(),
    draining: () => draining,
    onError: (err) => log.error({ err }, 'http handler failed'),
    onClientProblem: clientProblemLog(log),
  });
  // Deliveries stored before a restart are processed first; then Slack, then new webhooks.
  worker.start();
  await slack.app.start();
  const port = await listen(server, config.port);
  const reconciler = startReconciler(deps, config.reconcileIntervalMs, () => metrics.reconciled());
  // Warm the group list for the modal, and start anything queued before a restart.
  void inFlight.run('reading the security groups', () => groups.current()).catch((err: unknown) => log.warn({ err }, 'reading the security groups failed'));
  void inFlight.run('resuming queued requests', () => followUps.resume(deps)).catch((err: unknown) => log.error({ err }, 'starting a queued request failed'));
  log.info({ port, channel: config.slack.channelId }, 'portcullis bot listening');

  return {
    port,
    deps,
    async stop(timeoutMs = config.shutdownTimeoutMs) {
      draining = true;
      const deadline = Date.now() + timeoutMs;
      // Nothing new: Slack sends envelopes to another connection or again later; the worker
      // and the reconciler finish the item they hold and take no other.
      const quiet = (what: string, stop: () => Promise<unknown>) =>
        void inFlight.run(what, stop).catch((err: unknown) => log.warn({ err }, `${what} failed while stopping`));
      quiet('closing the Slack socket', () => slack.app.stop());
      quiet('inbox worker', () => worker.stop());
      quiet('reconciliation', () => reconciler.stop());
      const drained = await inFlight.idle(timeoutMs);
      const unfinished = inFlight.running();
      // A webhook still being stored is answered before its connection closes.
      await closeServer(server, Math.max(0, deadline - Date.now()));
      store.close();
      return { drained, unfinished };
    },
  };
}

/** The configured secrets, and the bot's own AWS credentials when the environment holds them. */
function botSecrets(config: Config, env: NodeJS.ProcessEnv): string[] {
  const aws = [env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN].filter((v): v is string => typeof v === 'string' && v !== '');
  return [...configSecrets(config), ...aws];
}

/**
 * Malformed and slow requests are anyone's to send, so they are logged at debug only;
 * dropped connections (the limit reached) at warn, at most once a minute with a count.
 */
function clientProblemLog(log: Logger): (problem: ClientProblem) => void {
  let dropped = 0;
  let lastWarn = 0;
  return (problem) => {
    if (problem.kind === 'bad_request') return void log.debug({ status: problem.status, code: problem.code }, 'refused a malformed or slow request');
    dropped += 1;
    if (Date.now() - lastWarn < 60_000) return;
    log.warn({ dropped, maxConnections: problem.maxConnections }, 'dropped connections: too many open at once');
    lastWarn = Date.now();
    dropped = 0;
  };
}

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  loadDotenv({ quiet: true });
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`portcullis: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const log = createLogger({ level: config.logLevel, secrets: configSecrets(config) });
  const bot = await startBot(config, log, env);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const first = (s: NodeJS.Signals) => {
      process.off('SIGINT', first);
      process.off('SIGTERM', first);
      resolve(s);
    };
    process.on('SIGINT', first);
    process.on('SIGTERM', first);
  });
  const again = (s: NodeJS.Signals) => {
    log.warn({ signal: s }, 'second signal while stopping: exiting now');
    process.exit(1);
  };
  process.on('SIGINT', again);
  process.on('SIGTERM', again);
  log.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'stopping: no new work taken, finishing what is in flight');
  const { drained, unfinished } = await bot.stop();
  if (!drained) {
    log.error({ unfinished }, 'stopped before in-flight work finished (SHUTDOWN_TIMEOUT); the inbox and reconciliation take it up at the next start');
    return 1;
  }
  log.info('stopped');
  return 0;
}

/**
 * Sets the exit code, and exits with it a second later if the process is still alive:
 * whatever a library left open after the stop (a keep-alive socket, a timer) must not
 * hold it. Returns the code.
 */
export function exitSoon(code: number): number {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 1000).unref();
  return code;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) exitSoon(await main());
