import { readFile, writeFile } from 'node:fs/promises';
import { cloudFromEnv, probeGuard, type Env } from '../aws/env.ts';
import {
  checkGroupServices,
  DEFAULT_SERVICE_PORTS,
  DEFAULT_TIMEOUT_MS,
  defaultProbe,
  describeOutcome,
  unprovableReason,
  type GroupCheck,
  type Probe,
  type ServiceResult,
} from '../checks/services.ts';
import { junitXml } from '../checks/junit.ts';
import type { CloudPort } from '../core/ports.ts';
import { parseGroupsFile, type GroupSettings } from '../domain/groups.ts';
import { CliError, parseOptions, type Command } from './command.ts';

const MAX_TIMEOUT_MS = 60_000;

function parsePorts(text: string): number[] {
  const ports = text.split(',').map((p) => p.trim());
  const bad = ports.find((p) => !/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535);
  if (bad !== undefined) throw new CliError(`--ports takes ports 1-65535 separated by commas, not "${text}"`);
  return ports.map(Number);
}

function parseTimeout(text: string): number {
  const ms = Number(text);
  if (!/^\d+$/.test(text) || ms < 1 || ms > MAX_TIMEOUT_MS) throw new CliError(`--timeout-ms takes a number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, not "${text}"`);
  return ms;
}

/** The URL asked, and the member's address when the URL names the host instead. */
const where = (r: ServiceResult) => (r.host !== undefined ? `${r.url} (${r.ip})` : r.url);

function formatText(check: GroupCheck, reason: string | null): string {
  const { group, identity, report } = check;
  const { ok, total, failed, unverified } = report.summary;
  const lines = [
    `Service checks of ${group.groupName} (${group.groupId}) as ${identity.arn}`,
    `ports: ${check.ports.join(', ') || 'none'}; public members: ${check.members}`,
    ...report.results.map((r) => `${r.ok ? 'ok  ' : 'FAIL'} ${r.instanceId} ${where(r)} ${describeOutcome(r)} ${Math.round(r.latencyMs)} ms`),
    reason ?? `${ok}/${total} answered, ${failed} failed${unverified > 0 ? `; ${unverified} of them HTTPS by handshake only, certificate not checked by name` : ''}`,
  ];
  return `${lines.join('\n')}\n`;
}

function junitFor(check: GroupCheck, reason: string | null): string {
  const classname = `service-checks.${check.group.groupName}`;
  // GitLab shows no output of a passing case, so what a pass rests on is in its name.
  const cases = check.report.results.map((r) => ({
    name: `${r.instanceId} ${r.ip}:${r.port}${r.ok && r.certificate ? ` (${r.certificate === 'verified' ? `certificate verified for ${r.host}` : 'TLS handshake only, certificate not checked by name'})` : ''}`,
    classname,
    timeSeconds: r.latencyMs / 1000,
    failure: r.ok ? null : { message: `${where(r)}: ${describeOutcome(r)}` },
  }));
  // An empty suite would read as green in GitLab; say in a failed case why nothing ran.
  if (reason) cases.push({ name: 'public members and service ports', classname, timeSeconds: 0, failure: { message: reason } });
  return junitXml(classname, cases);
}

async function writeReport(file: string, text: string): Promise<void> {
  await writeFile(file, text).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`${file}: cannot write (${err.code ?? err.message})`);
  });
}

/** The group's settings from a groups.json, refused (exit 2) when the file or the group is wrong. */
async function groupSettings(file: string, group: string): Promise<GroupSettings> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`${file}: cannot read (${err.code ?? err.message})`);
  });
  const groups = parseGroupsFile(text, file);
  const settings = groups.get(group);
  if (!settings) throw new CliError(`--group ${group}: not a group of ${file} (it has ${[...groups.keys()].join(', ') || 'none'}); with --groups, name the group by its key`);
  return settings;
}

/**
 * The command, reading AWS settings from `env`; `cloudFor` lets tests hand in another
 * cloud, and `probe` another trust store.
 */
export function createCheckServicesCommand(env: Env, cloudFor: (env: Env) => CloudPort = cloudFromEnv, probe: Probe = defaultProbe): Command {
  return {
    summary: 'check that the public members of a security group answer HTTP(S) on its service ports',
    help: `Usage:
  portcullis check-services --group NAME_OR_ID [--groups FILE] [--ports 80,443] [--timeout-ms N] [--junit FILE] [--json FILE]

  --group        security group name (e.g. sg-front) or id (sg-0123...)
  --groups FILE  read the group's service_ports and service (host, path, expect) from
                 this groups.json (e.g. terraform/groups.json); --group is then its key
  --ports        service ports to check where the group's live rules open them to the
                 internet (default: the file's service_ports, else ${DEFAULT_SERVICE_PORTS.join(',')})
  --timeout-ms   time limit per target (default: ${DEFAULT_TIMEOUT_MS})
  --junit FILE   also write the results as JUnit XML (GitLab test report)
  --json FILE    also write the results as JSON

Ports 443 and 8443 are HTTPS. With a service host, each member's address is asked for
it (TLS SNI and Host) and the certificate must be valid for it and trusted: Node's CAs
plus NODE_EXTRA_CA_CERTS (a PEM file; the way to trust a private CA). Without one, an
HTTPS port passes on a completed TLS handshake, reported as "certificate not checked by
name". Other ports get an HTTP GET.

AWS access comes from the environment as for the AWS CLI: AWS_REGION, credentials
(AWS_ACCESS_KEY_ID... or the default chain), AWS_ENDPOINT_URL_EC2 / _STS overrides. With
an endpoint override (a fake AWS) only loopback addresses are ever probed.

Exit codes: 0 every target answered (2xx/3xx, or the service's expect); 1 a target failed, or nothing could be
proven (no running member with a public address, or no service port open to the
internet); 2 bad input: unknown group, bad option or groups.json, AWS not configured or
not reachable.
`,
    async run(args, io) {
      const { values } = parseOptions(args, {
        group: { type: 'string' },
        groups: { type: 'string' },
        ports: { type: 'string' },
        'timeout-ms': { type: 'string' },
        junit: { type: 'string' },
        json: { type: 'string' },
      });
      if (!values.group) throw new CliError('--group NAME_OR_ID is required');
      const settings = values.groups === undefined ? null : await groupSettings(values.groups, values.group);
      const servicePorts = values.ports !== undefined ? parsePorts(values.ports) : (settings?.servicePorts ?? DEFAULT_SERVICE_PORTS);
      const timeoutMs = values['timeout-ms'] === undefined ? DEFAULT_TIMEOUT_MS : parseTimeout(values['timeout-ms']);
      const allowTarget = probeGuard(env);
      const service = settings?.service ?? {};

      const check = await checkGroupServices(cloudFor(env), { group: values.group, servicePorts, service, allowTarget, timeoutMs, ...(settings?.existing ? { existing: settings.existing } : {}) }, probe);
      const reason = unprovableReason(check);
      io.stdout(formatText(check, reason));
      if (values.junit !== undefined) await writeReport(values.junit, junitFor(check, reason));
      if (values.json !== undefined) await writeReport(values.json, `${JSON.stringify({ ...check, unprovable: reason }, null, 2)}\n`);
      return reason === null && check.report.summary.failed === 0 ? 0 : 1;
    },
  };
}

export const checkServicesCommand: Command = createCheckServicesCommand(process.env);
