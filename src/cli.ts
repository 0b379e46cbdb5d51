/**
 * `portcullis`: the command line the pipeline and operators use. Each command is one
 * entry in COMMANDS; main() parses nothing itself beyond the command name and turns
 * known errors into an exit code by their class, with one line on stderr: bad input 2,
 * a service that failed 3.
 */
import { complianceCommand } from './cli/compliance.ts';
import { planSummaryCommand } from './cli/plan-summary.ts';
import { fakesCommand } from './cli/fakes.ts';
import { checkServicesCommand } from './cli/check-services.ts';
import { consistencyCommand } from './cli/consistency.ts';
import { inboxCommand } from './cli/inbox.ts';
import { auditCommand } from './cli/audit.ts';
import { doctorCommand } from './cli/doctor.ts';
import { setupCommand } from './cli/setup.ts';
import { importCommand } from './cli/import.ts';
import { ciConfigCommand } from './cli/ci-config.ts';
import { exitCodeFor, type Command, type Io } from './cli/command.ts';

import { oneLine } from './domain/text.ts';

export type { Io };

const COMMANDS: Record<string, Command> = {
  compliance: complianceCommand,
  'plan-summary': planSummaryCommand,
  'check-services': checkServicesCommand,
  consistency: consistencyCommand,
  inbox: inboxCommand,
  audit: auditCommand,
  doctor: doctorCommand,
  setup: setupCommand,
  import: importCommand(),
  'ci-config': ciConfigCommand,
  fakes: fakesCommand,
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'Usage: portcullis <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
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
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`portcullis: unknown command "${name}"\n${usage()}`);
    return 2;
  }
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
