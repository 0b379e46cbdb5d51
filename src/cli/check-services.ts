import { writeFile } from 'node:fs/promises';
import { cloudFromEnv, probeGuard, type Env } from '../aws/env.ts';
import {
  checkGroupServices,
  DEFAULT_SERVICE_PORTS,
  DEFAULT_TIMEOUT_MS,
  unprovableReason,
  type GroupCheck,
  type ServiceResult,
} from '../checks/services.ts';
import { junitXml } from '../checks/junit.ts';
import type { CloudPort } from '../core/ports.ts';
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

const outcome = (r: ServiceResult) => (r.ok ? `HTTP ${r.status}` : r.error ?? 'failed');

function formatText(check: GroupCheck, reason: string | null): string {
  const { group, identity, report } = check;
  const lines = [
    `Service checks of ${group.groupName} (${group.groupId}) as ${identity.arn}`,
    `ports: ${check.ports.join(', ') || 'none'}; public members: ${check.members}`,
    ...report.results.map((r) => `${r.ok ? 'ok  ' : 'FAIL'} ${r.instanceId} ${r.url} ${outcome(r)} ${Math.round(r.latencyMs)} ms`),
    reason ?? `${report.summary.ok}/${report.summary.total} answered, ${report.summary.failed} failed`,
  ];
  return `${lines.join('\n')}\n`;
}

function junitFor(check: GroupCheck, reason: string | null): string {
  const classname = `service-checks.${check.group.groupName}`;
  const cases = check.report.results.map((r) => ({
    name: `${r.instanceId} ${r.ip}:${r.port}`,
    classname,
    timeSeconds: r.latencyMs / 1000,
    failure: r.ok ? null : { message: `${r.url}: ${outcome(r)}` },
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

/** The command, reading AWS settings from `env`; `cloudFor` lets tests hand in another cloud. */
export function createCheckServicesCommand(env: Env, cloudFor: (env: Env) => CloudPort = cloudFromEnv): Command {
  return {
    summary: 'check that the public members of a security group answer HTTP on its service ports',
    help: `Usage:
  portcullis check-services --group NAME_OR_ID [--ports 80,443] [--timeout-ms N] [--junit FILE] [--json FILE]

  --group        security group name (e.g. sg-front) or id (sg-0123...)
  --ports        service ports to check where the group's live rules open them to the
                 internet (default: ${DEFAULT_SERVICE_PORTS.join(',')})
  --timeout-ms   time limit per target (default: ${DEFAULT_TIMEOUT_MS})
  --junit FILE   also write the results as JUnit XML (GitLab test report)
  --json FILE    also write the results as JSON

AWS access comes from the environment as for the AWS CLI: AWS_REGION, credentials
(AWS_ACCESS_KEY_ID... or the default chain), AWS_ENDPOINT_URL_EC2 / _STS overrides. With
an endpoint override (a fake AWS) only loopback addresses are ever probed.

Exit codes: 0 every target answered 2xx/3xx; 1 a target failed, or nothing could be
proven (no running member with a public address, or no service port open to the
internet); 2 bad input: unknown group, bad option, AWS not configured or not reachable.
`,
    async run(args, io) {
      const { values } = parseOptions(args, {
        group: { type: 'string' },
        ports: { type: 'string' },
        'timeout-ms': { type: 'string' },
        junit: { type: 'string' },
        json: { type: 'string' },
      });
      if (!values.group) throw new CliError('--group NAME_OR_ID is required');
      const servicePorts = values.ports === undefined ? DEFAULT_SERVICE_PORTS : parsePorts(values.ports);
      const timeoutMs = values['timeout-ms'] === undefined ? DEFAULT_TIMEOUT_MS : parseTimeout(values['timeout-ms']);
      const allowTarget = probeGuard(env);

      const check = await checkGroupServices(cloudFor(env), { group: values.group, servicePorts, allowTarget, timeoutMs });
      const reason = unprovableReason(check);
      io.stdout(formatText(check, reason));
      if (values.junit !== undefined) await writeReport(values.junit, junitFor(check, reason));
      if (values.json !== undefined) await writeReport(values.json, `${JSON.stringify({ ...check, unprovable: reason }, null, 2)}\n`);
      return reason === null && check.report.summary.failed === 0 ? 0 : 1;
    },
  };
}

export const checkServicesCommand: Command = createCheckServicesCommand(process.env);
