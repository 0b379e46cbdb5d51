/** The SQLite implementation of the core's Store port. */
import type { Store } from '../core/ports.ts';
import { openDatabase, type OpenOptions } from './db.ts';
import { approvalsTable, auditTable } from './decisions.ts';
import { inboxTable } from './inbox.ts';
import { messagesTable } from './messages.ts';
import { requestsTable } from './requests.ts';

export { StoreVersionError, MIGRATIONS } from './db.ts';

export interface StoreOptions extends OpenOptions {
  /** Source of "now" for the timestamps the store stamps itself (processed_at, updated_at). */
  clock?: () => Date;
}

export function openStore(path: string, options: StoreOptions = {}): Store {
  const db = openDatabase(path, options);
  const clock = options.clock ?? (() => new Date());
  return {
    inbox: inboxTable(db, clock),
    requests: requestsTable(db, clock),
    messages: messagesTable(db),
    approvals: approvalsTable(db),
    audit: auditTable(db),
    close: () => void db.close(),
  };
}
