/**
 * Approvals (one per user and request) and the audit log of every decision and refusal,
 * each entry chained to the one before it by its hash (audit-chain.ts).
 */
import type { AuditEntry, Store } from '../core/ports.ts';
import { auditEntryOf, auditHash, GENESIS, type ChainedFields } from './audit-chain.ts';
import type { Db } from './db.ts';

export function approvalsTable(db: Db): Store['approvals'] {
  const insert = db.prepare<[string, string, string]>(
    'INSERT INTO approvals (request_id, user, at) VALUES (?, ?, ?) ON CONFLICT (request_id, user) DO NOTHING',
  );
  const select = db.prepare<[string], string>('SELECT user FROM approvals WHERE request_id = ? ORDER BY at, rowid').pluck();
  const remove = db.prepare<[string]>('DELETE FROM approvals WHERE request_id = ?');
  return {
    add: (requestId, user, at) => insert.run(requestId, user, at).changes === 1,
    list: (requestId) => select.all(requestId),
    clear: (requestId) => void remove.run(requestId),
  };
}

type AuditRow = Omit<ChainedFields, 'id'>;

export function auditTable(db: Db): Store['audit'] {
  const head = db.prepare<[], { id: number; hash: string | null }>('SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1');
  const insert = db.prepare(
    `INSERT INTO audit (id, at, request_id, actor, action, outcome, detail, prev_hash, hash)
     VALUES (@id, @at, @request_id, @actor, @action, @outcome, @detail, @prev_hash, @hash)`,
  );
  // IMMEDIATE: the newest entry is read under the write lock, so two connections never chain onto the same one.
  const append = db.transaction((entry: AuditEntry) => {
    const last = head.get();
    const fields = {
      id: (last?.id ?? 0) + 1,
      at: entry.at,
      request_id: entry.requestId,
      actor: entry.actor,
      action: entry.action,
      outcome: entry.outcome,
      detail: entry.detail,
    };
    const prev = last?.hash ?? GENESIS;
    insert.run({ ...fields, prev_hash: prev, hash: auditHash(prev, fields) });
  });
  const columns = 'at, request_id, actor, action, outcome, detail';
  const selectAll = db.prepare<[], AuditRow>(`SELECT ${columns} FROM audit ORDER BY id`);
  const selectOne = db.prepare<[string], AuditRow>(`SELECT ${columns} FROM audit WHERE request_id = ? ORDER BY id`);
  return {
    record(entry) {
      append.immediate(entry);
    },
    list: (requestId) => (requestId === undefined ? selectAll.all() : selectOne.all(requestId)).map(auditEntryOf),
  };
}
