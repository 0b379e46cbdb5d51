/**
 * `portcullis inbox`: the webhook deliveries the bot has not processed — pending (waiting
 * for their next attempt) and failed (parked after their last one) — read from the bot's
 * database; `inbox retry KEY` puts a failed one back, due at once. A running bot picks it
 * up within a second; a stopped one at its next start.
 */
import type { InboxEntry } from '../store/index.ts';
import { CliError, formatOption, parseOptions, type Command } from './command.ts';
import { databasePath, openOperatorStore, reading, type Env } from './database.ts';
import { oneLine } from '../domain/text.ts';

const HELP = `Usage:
  portcullis inbox [--database PATH] [--format text|json]
  portcullis inbox retry KEY [--database PATH]

  (no subcommand)  list the deliveries not processed: key, event, status (pending or
                   failed), attempts, received at, last error
  retry KEY        put the failed delivery KEY back in the inbox, due at once, its
                   attempts counted from zero (a pending one is made due at once)
  --database PATH  the bot's SQLite file (default: DATABASE_PATH, else ./data/portcullis.sqlite)
  --format         text (default) or json: [{key, event, status, attempts, lastError,
                   receivedAt, nextAttemptAt, failedAt}]

Exit codes: 0 nothing failed (or put back), 1 at least one delivery failed,
2 bad input (no such database or key, a key already processed).
`;

function formatText(entries: readonly InboxEntry[]): string {
  if (entries.length === 0) return 'The inbox is empty: nothing pending, nothing failed.\n';
  const rows = entries.map((e) => [oneLine(e.key), oneLine(e.event), e.status, String(e.attempts), e.receivedAt, e.lastError === null ? '' : oneLine(e.lastError.replace(/\s+/g, ' '))]);
  const header = ['KEY', 'EVENT', 'STATUS', 'ATTEMPTS', 'RECEIVED AT', 'LAST ERROR'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const failed = entries.filter((e) => e.status === 'failed').length;
  return `${[line(header), ...rows.map(line)].join('\n')}\n${entries.length} not processed: ${entries.length - failed} pending, ${failed} failed.\n`;
}

export function createInboxCommand(env: Env): Command {
  return {
    summary: 'list the webhook deliveries pending or failed; retry a failed one',
    help: HELP,
    async run(args, io) {
      const { values, positionals } = parseOptions(args, { database: { type: 'string' }, format: { type: 'string' } }, true);
      const path = databasePath(values.database, env);
      const [sub, ...rest] = positionals;
      if (sub === undefined) {
        const format = formatOption(values.format);
        const store = openOperatorStore(path);
        try {
          const entries = reading(path, () => store.inbox.list());
          io.stdout(format === 'json' ? `${JSON.stringify(entries, null, 2)}\n` : formatText(entries));
          return entries.some((e) => e.status === 'failed') ? 1 : 0;
        } finally {
          store.close();
        }
      }
      if (sub !== 'retry') throw new CliError(`unknown subcommand "${sub}"; use \`portcullis inbox\` or \`portcullis inbox retry KEY\``);
      if (rest.length !== 1) throw new CliError('give exactly one delivery key: portcullis inbox retry KEY');
      if (values.format !== undefined) throw new CliError('--format is for the listing, not for retry');
      const key = rest[0]!;
      const store = openOperatorStore(path);
      try {
        const result = reading(path, () => store.inbox.retry(key));
        if (result === 'unknown') throw new CliError(`no delivery "${key}" in ${path} (\`portcullis inbox\` lists them)`);
        if (result === 'processed') throw new CliError(`delivery "${key}" was processed already; nothing to retry`);
        io.stdout(`Delivery ${key} is back in the inbox, due now: the bot tries it within a second, or when it next starts.\n`);
        return 0;
      } finally {
        store.close();
      }
    },
  };
}

export const inboxCommand: Command = createInboxCommand(process.env);
