/** The SQLite implementation of the core's Store port. */
import type { Store } from '../core/ports.ts';
import { openDatabase, type OpenOptions } from './db.ts';
import { approvalsTable, auditTable } from './decisions.ts';
import { inboxTable, type InboxTable } from './inbox.ts';
import { messagesTable } from './messages.ts';
import { requestsTable } from './requests.ts';

export { StoreVersionError, StoreMissingError, MIGRATIONS, AUDIT_CHAIN_VERSION, schemaVersion } from './db.ts';
export { verifyAuditChain, readAuditEntries, type ChainCheck, type ChainedEntry } from './audit-chain.ts';
export type { InboxEntry, RetryResult } from './inbox.ts';

export interface StoreOptions extends OpenOptions {
  /** Source of "now" for the timestamps the store stamps itself (processed_at, updated_at). */
  clock?: () => Date;
}

/** The core's Store, and what the operator's commands read beside it. */
export interface SqliteStore extends Store {
  inbox: InboxTable;
}

export function openStore(path: string, options: StoreOptions = {}): SqliteStore {
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
