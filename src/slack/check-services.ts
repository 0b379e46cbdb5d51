/**
 * `/check-services [group]`: acknowledge at once, then, in the bot's channel
 * (SLACK_CHANNEL_ID), post "checking…", run the service checks and replace that message
 * with the results. Typed anywhere else (another channel, a DM) the results — the AWS
 * identity, the members' addresses — are for the person who asked only: "checking…" and
 * then the results come as two ephemeral answers through the command's response_url, and
 * nothing visible is posted there. A group not in groups.json, and a run the rate limit
 * refuses (one run per group at a time, one start per CHECK_SERVICES_INTERVAL), get a
 * private answer; a check that cannot run (AWS down, group missing in AWS) says why in
 * place of the results.
 */
import type { App } from '@slack/bolt';
import { checkGroupServices, type Probe, type ServiceSpec } from '../checks/services.ts';
import type { ExistingGroup } from '../domain/groups.ts';
import type { BotDeps } from '../core/deps.ts';
import { cloudOf, environmentsOf } from '../core/environments.ts';
import type { Environment, Environments } from '../domain/environment.ts';
import { InputError, UpstreamError } from '../domain/errors.ts';
import { code, escapeMrkdwn } from './mrkdwn.ts';
import { checkingServices, serviceCheckFailed, serviceCheckResults } from './blocks/services.ts';
import type { SlashCommand } from './commands.ts';
import type { CheckServicesLimiter, CheckStart } from './check-services-limit.ts';
import type { CommandResponder } from './chat.ts';

/** Declared in src/slack/commands.ts, the table manifest.yml is checked against. */
export const CHECK_SERVICES_COMMAND: SlashCommand = '/check-services';

export interface CheckServicesDeps extends BotDeps {
  /** The environment's groups.json (terraform/groups.json for the single one) by group key (a group name in AWS), in file order. */
  groups(env: Environment): Promise<Map<string, GroupEntry>>;
  /**
   * The address guard of the probes: `anyMember` in production, `loopbackOnly` whenever
   * AWS is a fake or the sandbox (src/checks/services.ts).
   */
  allowTarget(ip: string): boolean;
  /** Per-target time limit (default that of checkServices, 2 s). */
  probeTimeoutMs?: number;
  /** The probe (default: Node's trust store with NODE_EXTRA_CA_CERTS); tests give one trusting their CA. */
  probe?: Probe;
  /** Per-group rate limit, built once in main.ts. */
  limiter: CheckServicesLimiter;
  /** Private answers through the command's response_url (createCommandResponder, with the bot's secrets). */
  respond: CommandResponder;
}

/** A group's service settings from groups.json. */
export interface GroupEntry {
  servicePorts: number[];
  service?: ServiceSpec;
  existing?: ExistingGroup;
}

type Choice = { group: string; servicePorts: number[]; service?: ServiceSpec; existing?: ExistingGroup };

/**
 * `env=NAME` in the command's text: which environment's groups and AWS to check. With one
 * environment it may be left out; with several it must be given.
 */
export function environmentOfText(text: string, environments: Environments): { env: Environment; rest: string } | { refusal: string } {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const given = words.filter((w) => /^env=/i.test(w));
  const rest = words.filter((w) => !/^env=/i.test(w)).join(' ');
  const names = environments.names.map(code).join(', ');
  if (given.length > 1) return { refusal: `Name one environment only (env=…). Environments: ${names}.` };
  if (given.length === 0) {
    const implicit = environments.implicit;
    return implicit ? { env: implicit, rest } : { refusal: `Say which environment to check with env=NAME. Environments: ${names}.` };
  }
  const name = given[0]!.slice('env='.length);
  const env = environments.get(name);
  return env ? { env, rest } : { refusal: `${code(name.slice(0, 40))} is not an environment. Environments: ${names}.` };
}

/** The group asked for and its service settings, or what to tell the person instead. */
export function chooseGroup(text: string, groups: Map<string, GroupEntry>): Choice | { refusal: string } {
  const asked = text.trim().split(/\s+/)[0] ?? '';
  const known = [...groups.keys()].map(code).join(', ') || 'none';
  const chosen = (group: string, entry: GroupEntry): Choice => ({
    group,
    servicePorts: entry.servicePorts,
    ...(entry.service ? { service: entry.service } : {}),
    ...(entry.existing ? { existing: entry.existing } : {}),
  });
  if (asked === '') {
    const first = [...groups].find(([, g]) => g.servicePorts.length > 0);
    return first ? chosen(...first) : { refusal: `No group in groups.json has service ports to check. Known groups: ${known}.` };
  }
  const entry = groups.get(asked);
  if (!entry) return { refusal: `${code(asked)} is not a group Portcullis manages. Known groups: ${known}.` };
  if (entry.servicePorts.length === 0) return { refusal: `${code(asked)} has no service ports in groups.json, so there is nothing to check.` };
  return chosen(asked, entry);
}

/** What a person is told when the rate limit refuses their run. */
export function limitRefusal(group: string, refused: Exclude<CheckStart, { ok: true }>): string {
  if (refused.reason === 'running') {
    return `A service check of ${code(group)} is already running (asked by <@${refused.user}>), so this one was not started. Try again once it has finished.`;
  }
  const seconds = Math.max(1, Math.ceil(refused.waitMs / 1000));
  // Slack shows <!date^…> in each reader's own time zone; the fallback is UTC.
  const at = Math.ceil(refused.retryAt / 1000);
  const fallback = `${new Date(at * 1000).toISOString().slice(11, 19)} UTC`;
  return `${code(group)} was checked less than ${Math.ceil(refused.intervalMs / 1000)} s ago, so this check was not started. It can run again in ${seconds} s, at <!date^${at}^{time_secs}|${fallback}>.`;
}

export function registerCheckServices(app: App, deps: CheckServicesDeps): void {
  app.command(CHECK_SERVICES_COMMAND, async ({ ack, command }) => {
    await ack();
    const { channel_id: channel, user_id: user, response_url: responseUrl } = command;
    // Only the person who asked sees it, wherever the command was typed.
    const tellPrivately = (text: string) => deps.respond(responseUrl, { text });
    const picked = environmentOfText(command.text, environmentsOf(deps));
    if ('refusal' in picked) return tellPrivately(picked.refusal);
    const { env, rest } = picked;
    let groups: Map<string, GroupEntry>;
    try {
      groups = await deps.groups(env);
    } catch (err) {
      // A groups.json the checks cannot trust (e.g. a malformed service host) is said, not guessed around.
      if (!(err instanceof InputError)) throw err;
      return tellPrivately(`Cannot check services: ${escapeMrkdwn(err.message)}`);
    }
    const choice = chooseGroup(rest, groups);
    if ('refusal' in choice) return tellPrivately(choice.refusal);

    const log = deps.log.child({ command: CHECK_SERVICES_COMMAND, user, group: choice.group, environment: env.name, channel });
    // One group in two accounts is two groups: each environment's is limited on its own.
    const start = deps.limiter.tryStart(environmentsOf(deps).several ? `${env.name}/${choice.group}` : choice.group, user);
    if (!start.ok) {
      log.info({ refused: start.reason }, 'service checks refused by the rate limit');
      return tellPrivately(limitRefusal(choice.group, start));
    }
    try {
      await runCheck(deps, { channel, user, responseUrl, choice, env, log });
    } finally {
      start.release();
    }
  });
}

async function runCheck(
  deps: CheckServicesDeps,
  run: { channel: string; user: string; responseUrl: string; choice: Choice; env: Environment; log: BotDeps['log'] },
): Promise<void> {
  const { channel, user, responseUrl, choice, env, log } = run;
  const named = environmentsOf(deps).several ? env.name : undefined;
  // In the bot's channel the results are for the team, as they always were; anywhere else
  // they are the asker's only, never a message others in that conversation can see.
  const inBotChannel = channel === deps.settings.channel;
  const checking = checkingServices(choice.group, user, named);
  let ts: string | undefined;
  if (inBotChannel) ts = (await deps.chat.post(channel, checking)).ts;
  else await deps.respond(responseUrl, checking);
  const { allowTarget, probeTimeoutMs: timeoutMs } = deps;
  // The environment's own AWS: its account, its region, its read role.
  const result = await checkGroupServices(cloudOf(deps, env), { ...choice, allowTarget, timeoutMs }, deps.probe).then(
    (check) => {
      log.info({ summary: check.report.summary, ports: check.ports }, 'service checks done');
      return serviceCheckResults(check, user, named);
    },
    (err: unknown) => {
      // Known failures (AWS unreachable, group missing in AWS) are fit to show; a bug is logged whole.
      const known = err instanceof InputError || err instanceof UpstreamError;
      if (!known) log.error({ err }, 'service checks failed');
      return serviceCheckFailed(choice.group, known ? err.message : `unexpected error (${(err as Error).message})`);
    },
  );
  if (ts !== undefined) await deps.chat.update(channel, ts, result);
  // An ephemeral cannot be edited, and a slash command's response_url has no original
  // message to replace: the results are a second private answer, under "checking…".
  else await deps.respond(responseUrl, result);
}
