/**
 * `/check-services [group]`: acknowledge at once, post "checking…" in the channel, run
 * the service checks, then replace that message with the results. A
 * group not in groups.json gets an ephemeral answer; a check that cannot run (AWS down,
 * group missing in AWS) says why in place of the results.
 */
import type { App } from '@slack/bolt';
import { checkGroupServices, type Probe, type ServiceSpec } from '../checks/services.ts';
import type { BotDeps } from '../core/deps.ts';
import { InputError, UpstreamError } from '../domain/errors.ts';
import { code, escapeMrkdwn } from './mrkdwn.ts';
import { checkingServices, serviceCheckFailed, serviceCheckResults } from './blocks/services.ts';
import type { SlashCommand } from './commands.ts';

/** Declared in src/slack/commands.ts, the table manifest.yml is checked against. */
export const CHECK_SERVICES_COMMAND: SlashCommand = '/check-services';

export interface CheckServicesDeps extends BotDeps {
  /** terraform/groups.json by group key (a group name in AWS), in file order. */
  groups(): Promise<Map<string, GroupEntry>>;
  /**
   * The address guard of the probes: `anyMember` in production, `loopbackOnly` whenever
   * AWS is a fake or the sandbox (src/checks/services.ts).
   */
  allowTarget(ip: string): boolean;
  /** Per-target time limit (default that of checkServices, 2 s). */
  probeTimeoutMs?: number;
  /** The probe (default: Node's trust store with NODE_EXTRA_CA_CERTS); tests give one trusting their CA. */
  probe?: Probe;
}

/** A group's service settings from groups.json. */
export interface GroupEntry {
  servicePorts: number[];
  service?: ServiceSpec;
}

type Choice = { group: string; servicePorts: number[]; service?: ServiceSpec };

/** The group asked for and its service settings, or what to tell the person instead. */
export function chooseGroup(text: string, groups: Map<string, GroupEntry>): Choice | { refusal: string } {
  const asked = text.trim().split(/\s+/)[0] ?? '';
  const known = [...groups.keys()].map(code).join(', ') || 'none';
  const chosen = (group: string, entry: GroupEntry): Choice => ({ group, servicePorts: entry.servicePorts, ...(entry.service ? { service: entry.service } : {}) });
  if (asked === '') {
    const first = [...groups].find(([, g]) => g.servicePorts.length > 0);
    return first ? chosen(...first) : { refusal: `No group in groups.json has service ports to check. Known groups: ${known}.` };
  }
  const entry = groups.get(asked);
  if (!entry) return { refusal: `${code(asked)} is not a group Portcullis manages. Known groups: ${known}.` };
  if (entry.servicePorts.length === 0) return { refusal: `${code(asked)} has no service ports in groups.json, so there is nothing to check.` };
  return chosen(asked, entry);
}

export function registerCheckServices(app: App, deps: CheckServicesDeps): void {
  app.command(CHECK_SERVICES_COMMAND, async ({ ack, command }) => {
    await ack();
    const { channel_id: channel, user_id: user } = command;
    let groups: Map<string, GroupEntry>;
    try {
      groups = await deps.groups();
    } catch (err) {
      // A groups.json the checks cannot trust (e.g. a malformed service host) is said, not guessed around.
      if (!(err instanceof InputError)) throw err;
      return deps.chat.postEphemeral(channel, user, `Cannot check services: ${escapeMrkdwn(err.message)}`);
    }
    const choice = chooseGroup(command.text, groups);
    if ('refusal' in choice) return deps.chat.postEphemeral(channel, user, choice.refusal);

    const log = deps.log.child({ command: CHECK_SERVICES_COMMAND, user, group: choice.group });
    const { ts } = await deps.chat.post(channel, checkingServices(choice.group, user));
    const { allowTarget, probeTimeoutMs: timeoutMs } = deps;
    const result = await checkGroupServices(deps.cloud, { ...choice, allowTarget, timeoutMs }, deps.probe).then(
      (check) => {
        log.info({ summary: check.report.summary, ports: check.ports }, 'service checks done');
        return serviceCheckResults(check, user);
      },
      (err: unknown) => {
        // Known failures (AWS unreachable, group missing in AWS) are fit to show; a bug is logged whole.
        const known = err instanceof InputError || err instanceof UpstreamError;
        if (!known) log.error({ err }, 'service checks failed');
        return serviceCheckFailed(choice.group, known ? err.message : `unexpected error (${(err as Error).message})`);
      },
    );
    await deps.chat.update(channel, ts, result);
  });
}
