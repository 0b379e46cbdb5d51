/**
 * `portcullis`: the command line the pipeline and operators use. Each command is one
 * entry in COMMANDS; main() parses nothing itself beyond the command name and turns
 * known errors into an exit code by their class, with one line on stderr: bad input 2,
 * a service that failed 3.
 *
 * A command is loaded when it runs: an entry is a loader, so `compliance` in a pipeline
 * job never loads the AWS SDK, Bolt, gitbeaker or SQLite (tests/build.test.ts checks).
 * `node dist/cli.js` (bin/portcullis.js) runs it compiled, `node --import tsx src/cli.ts`
 * from the sources.
 */
import { pathToFileURL } from 'node:url';
import { exitCodeFor, type Command, type Io } from './cli/command.ts';

import { oneLine } from './domain/text.ts';

export type { Io };

/** A command, or the loader of its module (and of the packages only it needs). */
type Entry = Command | (() => Promise<Command>);

const COMMANDS: Record<string, Entry> = {
  compliance: async () => (await import('./cli/compliance.ts')).complianceCommand,
  'plan-summary': async () => (await import('./cli/plan-summary.ts')).planSummaryCommand,
  'check-services': async () => (await import('./cli/check-services.ts')).checkServicesCommand,
  consistency: async () => (await import('./cli/consistency.ts')).consistencyCommand,
  inbox: async () => (await import('./cli/inbox.ts')).inboxCommand,
  audit: async () => (await import('./cli/audit.ts')).auditCommand,
  doctor: async () => (await import('./cli/doctor.ts')).doctorCommand,
  setup: async () => (await import('./cli/setup.ts')).setupCommand,
  import: async () => (await import('./cli/import.ts')).importCommand(),
  'ci-config': async () => (await import('./cli/ci-config.ts')).ciConfigCommand,
  fakes: async () => (await import('./cli/fakes.ts')).fakesCommand,
  bot: async () => (await import('./cli/bot.ts')).botCommand,
};

const load = async (entry: Entry): Promise<Command> => (typeof entry === 'function' ? entry() : entry);

/** Loads every command for its summary: only `--help` and a mistyped name pay for that. */
async function usage(): Promise<string> {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const commands = await Promise.all(Object.entries(COMMANDS).map(async ([name, entry]) => [name, await load(entry)] as const));
  return [
    'Usage: portcullis <command> [options]',
    '',
    'Commands:',
    ...commands.map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `portcullis <command> --help` for a command\'s options.',
    'Exit codes: 0 all is well, 1 a check failed, 2 bad input, 3 a service (AWS, GitLab) failed or did not answer.',
    '',
  ].join('\n');
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Runs one command line; resolves to the process exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(await usage());
    return name === undefined ? 2 : 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    io.stderr(`portcullis: unknown command "${name}"\n${await usage()}`);
    return 2;
  }
  const command = await load(entry);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.help);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    const exitCode = exitCodeFor(err);
    if (exitCode === null) throw err;
    // One line, whatever the message quotes (a file name, a parser's excerpt of the input).
    io.stderr(`portcullis ${name}: ${oneLine((err as Error).message)}\n`);
    return exitCode;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main(process.argv.slice(2));
