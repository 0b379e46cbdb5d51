/**
 * `portcullis`: the command line the pipeline and operators use. Each command is one
 * entry in COMMANDS; main() parses nothing itself beyond the command name and turns
 * known errors into exit code 2 with one line on stderr.
 */
import { complianceCommand } from './cli/compliance.ts';
import { planSummaryCommand } from './cli/plan-summary.ts';
import { fakesCommand } from './cli/fakes.ts';
import { checkServicesCommand } from './cli/check-services.ts';
import { consistencyCommand } from './cli/consistency.ts';
import type { Command } from './cli/command.ts';
import { InputError } from './domain/errors.ts';
import { oneLine } from './domain/text.ts';

const COMMANDS: Record<string, Command> = {
  compliance: complianceCommand,
  'plan-summary': planSummaryCommand,
  'check-services': checkServicesCommand,
  consistency: consistencyCommand,
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
    'Exit codes: 0 all is well, 1 a check failed, 2 bad input.',
    '',
  ].join('\n');
}

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
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
    if (err instanceof InputError) {
      // One line, whatever the message quotes (a file name, a parser's excerpt of the input).
      io.stderr(`portcullis ${name}: ${oneLine((err as Error).message)}\n`);
      return 2;
    }
    throw err;
  }
}
