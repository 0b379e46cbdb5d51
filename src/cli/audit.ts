/**
 * `portcullis audit`: the bot's audit log, read from its database without writing to it.
 * `verify` recomputes the hash chain and names the first entry that breaks it; `list`
 * prints the entries, all or one request's.
 */
import type Database from 'better-sqlite3';
import { oneLine } from '../domain/text.ts';
import { AUDIT_CHAIN_VERSION, MIGRATIONS, readAuditEntries, schemaVersion, verifyAuditChain, type ChainCheck, type ChainedEntry } from '../store/index.ts';
import { CliError, formatOption, parseOptions, type Command } from './command.ts';
import { databasePath, openReadOnly, reading, type Env } from './database.ts';

const HELP = `Usage:
  portcullis audit verify [--database PATH] [--head HASH] [--format text|json]
  portcullis audit list [--request ID] [--database PATH] [--format text|json]

  verify           recompute the audit log's hash chain: every entry must match its
                   hash and follow the entry before it. Prints the head (the newest
                   entry's id and hash); note it somewhere else, and a later
                   \`verify --head HASH\` also catches the newest entries deleted or the
                   whole log rewritten.
  list             the entries, oldest first
  --request ID     only that request's entries
  --head HASH      a head printed by an earlier verify: fail unless it is still in the chain
  --database PATH  the bot's SQLite file (default: DATABASE_PATH, else ./data/portcullis.sqlite);
                   opened read-only
  --format         text (default) or json

Exit codes: 0 intact (or listed), 1 the chain is broken (the first broken entry is
named), 2 bad input (no such database, one from before the chain or from a newer
Portcullis, a bad option).
`;

/** The database, read-only, at a schema version that has the chain. */
function openAuditDatabase(path: string): Database.Database {
  const db = openReadOnly(path);
  try {
    const version = reading(path, () => schemaVersion(db));
    if (version > MIGRATIONS.length) throw new CliError(`database ${path} has schema version ${version}, newer than this Portcullis knows (${MIGRATIONS.length})`);
    if (version < AUDIT_CHAIN_VERSION) {
      throw new CliError(`database ${path} has schema version ${version}, from before the audit chain (${AUDIT_CHAIN_VERSION}): start the bot of this release on it once to chain its entries`);
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function verifyText(check: ChainCheck): string {
  if (check.intact) {
    return check.head === null
      ? 'Audit log intact: no entries yet.\n'
      : `Audit log intact: ${check.entries} entries; head #${check.head.id} ${check.head.hash}\n`;
  }
  return `Audit log BROKEN at entry #${check.brokenAt}: ${oneLine(check.message)}\n${check.entries} entries before it verified.\n`;
}

function listText(entries: readonly ChainedEntry[]): string {
  if (entries.length === 0) return 'No audit entries.\n';
  return `${entries.map((e) => [`#${e.id}`, e.at, e.requestId, e.actor, e.action, e.outcome, e.detail].map(oneLine).join('  ')).join('\n')}\n`;
}

export function createAuditCommand(env: Env): Command {
  return {
    summary: 'verify the audit log\'s hash chain, or list its entries',
    help: HELP,
    async run(args, io) {
      const { values, positionals } = parseOptions(
        args,
        { database: { type: 'string' }, format: { type: 'string' }, head: { type: 'string' }, request: { type: 'string' } },
        true,
      );
      const format = formatOption(values.format);
      const [sub, ...rest] = positionals;
      if (sub !== 'verify' && sub !== 'list') throw new CliError(sub === undefined ? 'give a subcommand: verify or list' : `unknown subcommand "${sub}"; use verify or list`);
      if (rest.length > 0) throw new CliError(`unexpected argument "${rest[0]}"`);
      if (sub === 'verify' && values.request !== undefined) throw new CliError('--request is for list; verify checks the whole chain');
      if (sub === 'list' && values.head !== undefined) throw new CliError('--head is for verify');
      if (values.head !== undefined && !/^[0-9a-f]{64}$/.test(values.head)) throw new CliError('--head takes the 64 hex digits of a hash that verify printed');
      const path = databasePath(values.database, env);
      const db = openAuditDatabase(path);
      try {
        if (sub === 'list') {
          const entries = reading(path, () => readAuditEntries(db, values.request));
          io.stdout(format === 'json' ? `${JSON.stringify(entries, null, 2)}\n` : listText(entries));
          return 0;
        }
        const check = reading(path, () => verifyAuditChain(db, values.head));
        io.stdout(format === 'json' ? `${JSON.stringify(check, null, 2)}\n` : verifyText(check));
        return check.intact ? 0 : 1;
      } finally {
        db.close();
      }
    },
  };
}

export const auditCommand: Command = createAuditCommand(process.env);
