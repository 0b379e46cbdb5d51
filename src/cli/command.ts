/** What every CLI command provides, and the helpers they share for reading input. */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError, UpstreamError } from '../domain/errors.ts';
import { decodeText, oneLine } from '../domain/text.ts';

/** Where a command writes; main() gives the process's streams, tests capture them. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface Command {
  summary: string;
  help: string;
  run(args: string[], io: Io): Promise<number>;
}

/** Bad input: exit code 2, message on one line. */
export class CliError extends InputError {
  readonly code = 'CLI_USAGE';
}

/** A service the command reads from did not answer or failed: exit code 3, message on one line. */
export class UnavailableError extends UpstreamError {
  readonly code = 'UPSTREAM_UNAVAILABLE';
}

/** The exit code of a known error, by its class: 2 bad input, 3 a service failed; null for a bug. */
export function exitCodeFor(err: unknown): 2 | 3 | null {
  if (err instanceof InputError) return 2;
  if (err instanceof UpstreamError) return 3;
  return null;
}

export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/**
 * Reads and parses a JSON file, decoded by its byte-order mark (a plan PowerShell wrote
 * is UTF-16); every failure names the file and what is wrong, on one line.
 */
export async function readJsonFile(file: string): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new CliError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return JSON.parse(decodeText(bytes));
  } catch (err) {
    throw new CliError(`${file}: not JSON (${oneLine((err as Error).message)})`);
  }
}

export function formatOption(value: string | undefined): 'text' | 'json' {
  if (value === undefined || value === 'text' || value === 'json') return value ?? 'text';
  throw new CliError(`--format must be text or json, not "${value}"`);
}

/** Writes output to --out FILE when given, else to stdout. */
export async function emit(text: string, out: string | undefined, io: Io): Promise<void> {
  if (out === undefined) {
    io.stdout(text);
    return;
  }
  try {
    await writeFile(out, text);
  } catch (err) {
    throw new CliError(`${out}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
