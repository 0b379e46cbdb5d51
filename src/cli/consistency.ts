/**
 * `portcullis consistency`: the pipeline's verify stage proves that the rules in the
 * checkout, the GitLab-managed Terraform state and the live rules in AWS agree. The
 * state is read the way Terraform's http backend reads it (TF_HTTP_ADDRESS with basic
 * auth), AWS through the SDK's default chain.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cloudFromEnv } from '../aws/env.ts';
import { checkConsistency, GROUPS_FILE, readGroups, type RuleFileText } from '../checks/consistency-gather.ts';
import { RULES_DIR } from '../domain/rule.ts';
import { consistencyJUnitCases, formatConsistencyText, JUNIT_SUITE } from '../checks/consistency-report.ts';
import { junitXml } from '../checks/junit.ts';
import type { CloudPort } from '../core/ports.ts';
import { CliError, emit, formatOption, parseOptions, UnavailableError, type Command } from './command.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface ConsistencyCommandDeps {
  /** Where TF_HTTP_* and AWS_REGION come from (process.env in production). */
  env: Env;
  /** The live side; the default is the AWS SDK with its default credentials chain. */
  cloud?: (env: Env) => CloudPort;
}

/** How long the state read may take: the http backend's own default is 30 s per attempt. */
const STATE_TIMEOUT_MS = 30_000;

const HELP = `Usage:
  portcullis consistency [--rules DIR] [--groups FILE] [--state-file FILE]
                         [--junit FILE] [--json FILE] [--format text|json]

  --rules DIR        rule files, one per rule (default: ${RULES_DIR})
  --groups FILE      the declared security groups (default: ${GROUPS_FILE})
  --state-file FILE  the Terraform state (version 4 JSON); without it the state is read
                     from TF_HTTP_ADDRESS with TF_HTTP_USERNAME / TF_HTTP_PASSWORD, as
                     Terraform's http backend does in the pipeline
  --junit FILE       also write the result as JUnit XML (GitLab's test report)
  --json FILE        also write the result as JSON
  --format           text (default) or json, on stdout

The live rules are read from AWS (AWS_REGION and the SDK's default credentials chain).
Exit codes: 0 in sync, 1 a difference found, 2 bad input (rules, groups or state
unreadable, state or AWS unreachable).
`;

/** The live rules come from the AWS the environment names, as for check-services. */
const defaultCloud = (env: Env): CloudPort => cloudFromEnv(env);

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** *.json directly in the folder, as Terraform's fileset("rules", "*.json") reads them. */
async function readRulesDir(dir: string): Promise<RuleFileText[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && e.name.endsWith('.json')).map((e) => e.name);
  } catch (err) {
    throw new CliError(`${dir}: cannot read the rules folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return Promise.all(names.sort().map(async (name) => ({ path: join(dir, name), text: await readText(join(dir, name)) })));
}

/**
 * The state from the http backend's address: 200 is the state, 204 and 404 mean none yet
 * (GitLab answers so for a state without a file / no state). No answer or a 5xx is the
 * backend's failure; anything else is bad input (a wrong address or credentials).
 */
async function fetchState(env: Env): Promise<{ text: string | null; source: string }> {
  const raw = env.TF_HTTP_ADDRESS;
  if (!raw) throw new CliError('give --state-file FILE, or set TF_HTTP_ADDRESS (and TF_HTTP_USERNAME / TF_HTTP_PASSWORD) to read the Terraform state');
  let address: URL;
  try {
    address = new URL(raw);
  } catch {
    throw new CliError('TF_HTTP_ADDRESS is not a URL');
  }
  // Credentials in the address work as they do for Go's HTTP client (Terraform's), as basic
  // auth; TF_HTTP_USERNAME / TF_HTTP_PASSWORD win. fetch refuses a URL that carries them.
  const user = env.TF_HTTP_USERNAME ?? (address.username === '' ? undefined : decodeURIComponent(address.username));
  const password = env.TF_HTTP_PASSWORD ?? (address.password === '' ? undefined : decodeURIComponent(address.password));
  address.username = '';
  address.password = '';
  const where = `reading the Terraform state from ${address.toString()}`;
  const headers: Record<string, string> = {};
  if (user !== undefined || password !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${user ?? ''}:${password ?? ''}`).toString('base64')}`;
  }
  let response: Response;
  try {
    response = await fetch(address, { headers, signal: AbortSignal.timeout(STATE_TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new UnavailableError(`${where}: ${cause}`, { cause: err });
  }
  if (response.status === 204 || response.status === 404) return { text: null, source: address.toString() };
  // A server error is the backend's; any other answer (401, 403, …) says the address or credentials are wrong.
  if (response.status >= 500) throw new UnavailableError(`${where}: HTTP ${response.status} ${response.statusText}`);
  if (response.status !== 200) throw new CliError(`${where}: HTTP ${response.status} ${response.statusText}`);
  return { text: await response.text(), source: address.toString() };
}

export function createConsistencyCommand(deps: ConsistencyCommandDeps): Command {
  return {
    summary: 'compare the rules in git, the Terraform state and the live rules in AWS',
    help: HELP,
    async run(args, io) {
      const { values } = parseOptions(args, {
        rules: { type: 'string' },
        groups: { type: 'string' },
        'state-file': { type: 'string' },
        junit: { type: 'string' },
        json: { type: 'string' },
        format: { type: 'string' },
      });
      const format = formatOption(values.format);
      const groupsFile = values.groups ?? GROUPS_FILE;
      const ruleFiles = await readRulesDir(values.rules ?? RULES_DIR);
      const groups = readGroups(await readText(groupsFile), groupsFile);
      const stateFile = values['state-file'];
      const state = stateFile !== undefined ? { text: await readText(stateFile), source: stateFile } : await fetchState(deps.env);
      const cloud = (deps.cloud ?? defaultCloud)(deps.env);

      const result = await checkConsistency({ ruleFiles, groups, stateText: state.text, stateSource: state.source }, cloud);
      const json = `${JSON.stringify(result, null, 2)}\n`;
      if (values.junit !== undefined) await emit(junitXml(JUNIT_SUITE, consistencyJUnitCases(result)), values.junit, io);
      if (values.json !== undefined) await emit(json, values.json, io);
      io.stdout(format === 'json' ? json : formatConsistencyText(result));
      return result.ok ? 0 : 1;
    },
  };
}

export const consistencyCommand: Command = createConsistencyCommand({ env: process.env });
