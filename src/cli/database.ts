/**
 * The bot's SQLite database as the operator's commands (`inbox`, `audit`) open it: the
 * path from --database, else DATABASE_PATH, else the bot's default; a missing file, a
 * file that is not a database or one from a newer Portcullis is bad input (exit 2), a
 * database kept locked by another process past the wait is a service failing (exit 3).
 */
import Database from 'better-sqlite3';
import { DEFAULT_DATABASE_PATH } from '../config.ts';
import { InputError } from '../domain/errors.ts';
import { openStore, type SqliteStore } from '../store/index.ts';
import { CliError, UnavailableError } from './command.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export function databasePath(option: string | undefined, env: Env): string {
  const path = option ?? (env.DATABASE_PATH?.trim() || DEFAULT_DATABASE_PATH);
  if (path === '' || path === ':memory:') throw new CliError('--database takes the path of the bot\'s SQLite file');
  return path;
}

/** SQLite's complaint about a file as the error class the CLI turns into an exit code. */
function asCliError(path: string, err: unknown): unknown {
  if (err instanceof InputError) return err;
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return new UnavailableError(`${path}: the database stayed locked (${message})`, { cause: err });
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return new CliError(`${path}: not a usable Portcullis database (${message})`, { cause: err });
  return err;
}

/** The store, opened (and migrated) as the bot opens it; the file must exist. */
export function openOperatorStore(path: string): SqliteStore {
  try {
    return openStore(path, { mustExist: true });
  } catch (err) {
    throw asCliError(path, err);
  }
}

/** The file read-only, untouched: no migration, no write, for reading evidence. */
export function openReadOnly(path: string): Database.Database {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_CANTOPEN') throw new CliError(`database ${path} does not exist or cannot be opened (set DATABASE_PATH or --database)`, { cause: err });
    throw asCliError(path, err);
  }
}

/** Runs a read on a database, turning SQLite's errors into the CLI's. */
export function reading<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw asCliError(path, err);
  }
}
