/**
 * Change requests, one row each. `transition` is a single compare-and-set UPDATE, the
 * one place where two concurrent clicks are told apart: only the call that finds the
 * request still in `from` moves it.
 */
import type { Store } from '../core/ports.ts';
import { FINAL_STATES, type ChangeRequest, type RequestKind, type RequestState } from '../domain/request.ts';
import { parseRuleFile } from '../domain/rule.ts';
import type { Db } from './db.ts';

type SqlValue = string | number | null;

/** Column of every field but `id` and `state`, which transition treats apart. */
const COLUMNS = {
  kind: 'kind',
  environment: 'environment',
  rule: 'rule',
  requester: 'requester',
  branch: 'branch',
  mergeRequestIid: 'merge_request_iid',
  pipelineId: 'pipeline_id',
  sha: 'sha',
  deployJobId: 'deploy_job_id',
  planJobId: 'plan_job_id',
  awaitingSince: 'awaiting_since',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
} as const satisfies Record<Exclude<keyof ChangeRequest, 'id' | 'state'>, string>;

type Field = keyof typeof COLUMNS;
const FIELDS = Object.keys(COLUMNS) as Field[];
/** Fields a transition's patch may set; updated_at is always set (to the patch's or now). */
const PATCHABLE = FIELDS.filter((f) => f !== 'updatedAt');

type RequestRow = { id: string; state: string } & Record<(typeof COLUMNS)[Field], SqlValue>;

function toSql(field: Field, value: ChangeRequest[Field]): SqlValue {
  if (field === 'rule') return value === null ? null : JSON.stringify(value);
  return value as SqlValue;
}

function fromRow(row: RequestRow): ChangeRequest {
  return {
    id: row.id,
    kind: row.kind as RequestKind,
    environment: row.environment as string,
    state: row.state as RequestState,
    // Read back through the rule file's own schema, so a hand-edited row fails loudly here.
    rule: row.rule === null ? null : parseRuleFile(row.rule as string, `stored rule of request ${row.id}`),
    requester: row.requester as string | null,
    branch: row.branch as string,
    mergeRequestIid: row.merge_request_iid as number | null,
    pipelineId: row.pipeline_id as number | null,
    sha: row.sha as string | null,
    deployJobId: row.deploy_job_id as number | null,
    planJobId: row.plan_job_id as number | null,
    awaitingSince: row.awaiting_since as string | null,
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  };
}

export function requestsTable(db: Db, clock: () => Date): Store['requests'] {
  const columns = FIELDS.map((f) => COLUMNS[f]);
  const upsert = db.prepare(
    `INSERT INTO requests (id, state, ${columns.join(', ')})
     VALUES (@id, @state, ${columns.map((c) => `@${c}`).join(', ')})
     ON CONFLICT (id) DO UPDATE SET state = excluded.state, ${columns.map((c) => `${c} = excluded.${c}`).join(', ')}`,
  );
  // One statement for any patch: each column keeps its value unless its @set_ flag is 1.
  const compareAndSet = db.prepare(
    `UPDATE requests SET state = @to, updated_at = @updated_at,
       ${PATCHABLE.map((f) => `${COLUMNS[f]} = CASE WHEN @set_${COLUMNS[f]} THEN @${COLUMNS[f]} ELSE ${COLUMNS[f]} END`).join(',\n       ')}
     WHERE id = @id AND state = @from`,
  );
  const selectById = db.prepare<[string], RequestRow>('SELECT * FROM requests WHERE id = ?');
  const selectByPipeline = db.prepare<[number], RequestRow>(
    'SELECT * FROM requests WHERE pipeline_id = ? ORDER BY updated_at DESC LIMIT 1',
  );
  const selectOpen = db.prepare<[string], RequestRow>(
    'SELECT * FROM requests WHERE state NOT IN (SELECT value FROM json_each(?)) ORDER BY created_at, id',
  );
  const finalStates = JSON.stringify([...FINAL_STATES]);

  return {
    get(id) {
      const row = selectById.get(id);
      return row && fromRow(row);
    },
    byPipeline(pipelineId) {
      const row = selectByPipeline.get(pipelineId);
      return row && fromRow(row);
    },
    save(request) {
      const params: Record<string, SqlValue> = { id: request.id, state: request.state };
      for (const f of FIELDS) params[COLUMNS[f]] = toSql(f, request[f]);
      upsert.run(params);
    },
    transition(id, from, to, patch = {}) {
      const params: Record<string, SqlValue> = { id, from, to, updated_at: patch.updatedAt ?? clock().toISOString() };
      for (const f of PATCHABLE) {
        const given = patch[f] !== undefined;
        params[`set_${COLUMNS[f]}`] = given ? 1 : 0;
        params[COLUMNS[f]] = given ? toSql(f, patch[f]!) : null;
      }
      return compareAndSet.run(params).changes === 1;
    },
    open() {
      return selectOpen.all(finalStates).map(fromRow);
    },
  };
}
