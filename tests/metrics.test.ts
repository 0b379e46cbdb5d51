/**
 * GET /metrics: the registry main.ts builds, fed the way main.ts feeds it (webhook
 * outcomes, the store's audit log, instrumented ports, reconciliation passes), served by
 * the bot's HTTP server on loopback, scraped and parsed strictly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHttpServer, listen } from '../src/http.ts';
import { BotMetrics } from '../src/metrics.ts';
import { openStore } from '../src/store/index.ts';
import { changeRequest } from './helpers/deps.ts';
import { parseExposition } from './helpers/prometheus.ts';

test('/metrics counts deliveries, decisions, plays, checks and upstream calls, and reads the inbox and requests', async () => {
  let clock = Date.parse('2026-03-01T12:00:00Z');
  const metrics = new BotMetrics(() => clock);
  const store = metrics.countingAudit(openStore(path.join(mkdtempSync(path.join(tmpdir(), 'metrics-')), 'bot.sqlite')));
  metrics.watchStore(store);

  for (const result of ['stored', 'stored', 'duplicate', 'unauthorized', 'malformed'] as const) metrics.webhook({ result });
  store.inbox.add({ key: 'k1', event: 'Pipeline Hook', body: '{}', receivedAt: '2026-03-01T11:59:30.000Z' });
  store.inbox.add({ key: 'k2', event: 'Job Hook', body: '{}', receivedAt: '2026-03-01T11:59:50.000Z' });
  store.requests.save(changeRequest({ id: 'REQ-1', state: 'awaiting_approval' }));
  store.requests.save(changeRequest({ id: 'REQ-2', state: 'awaiting_approval', pipelineId: 2 }));
  store.requests.save(changeRequest({ id: 'REQ-3', state: 'queued', pipelineId: 3 }));
  const audit = (action: string, outcome: 'ok' | 'refused' | 'error', detail = '') => store.audit.record({ at: new Date(clock).toISOString(), requestId: 'REQ-1', actor: 'U0BOB', action, outcome, detail });
  audit('approve', 'ok');
  audit('refuse', 'refused', 'self_approval: you made this change');
  audit('refuse', 'refused', 'self_approval: you made this change');
  audit('refuse', 'refused', 'stale_commit: an older pipeline');
  audit('play', 'ok');
  audit('check:consistency:42', 'ok');
  audit('check:services:42', 'error');

  const port = metrics.instrument('gitlab', {
    getPipeline: async (id: number) => ({ id }),
    playJob: async () => {
      throw new Error('409 Conflict');
    },
    name: 'not a function',
  });
  assert.deepEqual(await port.getPipeline(7), { id: 7 });
  await assert.rejects(port.playJob(), /409/);
  assert.equal(port.name, 'not a function');
  clock += 90_000;

  const server = createHttpServer({ webhook: () => undefined, ready: () => ({ ready: true, checks: {} }), onError: () => undefined, metrics: () => metrics.scrape() });
  const address = await listen(server, 0, '127.0.0.1');
  try {
    const res = await fetch(`http://127.0.0.1:${address}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const m = parseExposition(await res.text());

    assert.equal(m.value('portcullis_webhook_deliveries_total', { result: 'stored' }), 2);
    assert.equal(m.value('portcullis_webhook_deliveries_total', { result: 'duplicate' }), 1);
    assert.equal(m.value('portcullis_webhook_deliveries_total', { result: 'unauthorized' }), 1);
    assert.equal(m.value('portcullis_inbox_deliveries', { status: 'pending' }), 2);
    assert.equal(m.value('portcullis_inbox_deliveries', { status: 'failed' }), 0);
    assert.equal(m.value('portcullis_inbox_oldest_pending_age_seconds'), 120);
    assert.equal(m.value('portcullis_open_requests', { state: 'awaiting_approval' }), 2);
    assert.equal(m.value('portcullis_open_requests', { state: 'queued' }), 1);
    assert.equal(m.value('portcullis_approvals_total'), 1);
    assert.equal(m.value('portcullis_refusals_total', { reason: 'self_approval' }), 2);
    assert.equal(m.value('portcullis_refusals_total', { reason: 'stale_commit' }), 1);
    assert.equal(m.value('portcullis_jobs_played_total', { outcome: 'ok' }), 1);
    assert.equal(m.value('portcullis_check_results_total', { check: 'consistency', outcome: 'ok' }), 1);
    assert.equal(m.value('portcullis_check_results_total', { check: 'services', outcome: 'error' }), 1);
    assert.equal(m.types.get('portcullis_upstream_request_duration_seconds'), 'histogram');
    assert.equal(m.value('portcullis_upstream_request_duration_seconds_count', { service: 'gitlab', operation: 'getPipeline' }), 1);
    assert.equal(m.value('portcullis_upstream_request_duration_seconds_count', { service: 'gitlab', operation: 'playJob' }), 1);
    assert.equal(m.value('portcullis_upstream_errors_total', { service: 'gitlab', operation: 'playJob' }), 1);
    assert.equal(m.value('portcullis_upstream_errors_total', { service: 'gitlab', operation: 'getPipeline' }), undefined);
    assert.equal(m.value('portcullis_reconcile_lag_seconds'), 90);
    metrics.reconciled();
    clock += 5_000;
    const again = parseExposition(await (await fetch(`http://127.0.0.1:${address}/metrics`)).text());
    assert.equal(again.value('portcullis_reconcile_lag_seconds'), 5);
    assert.ok(again.value('portcullis_process_resident_memory_bytes')! > 0, 'process metrics too');
    // No request id, user or detail text becomes a label.
    assert.ok(!again.samples.some((s) => Object.values(s.labels).some((v) => /REQ-|U0BOB|older pipeline/.test(v))));
  } finally {
    server.close();
    store.close();
  }
});

test('the parser is strict: a sample before its TYPE, a bad label or a bad value is refused', () => {
  assert.throws(() => parseExposition('x_total 1\n'), /before its TYPE/);
  assert.throws(() => parseExposition('# TYPE x counter\nx{a=b} 1\n'), /bad labels/);
  assert.throws(() => parseExposition('# TYPE x counter\nx one\n'), /bad value/);
  assert.throws(() => parseExposition('# TYPE x counter\nx 1'), /newline/);
  assert.equal(parseExposition('# TYPE x counter\nx{a="q\\"uote"} 2\n').value('x', { a: 'q"uote' }), 2);
  assert.ok(Number.isNaN(parseExposition('# TYPE x gauge\nx Nan\n').value('x')));
  assert.equal(parseExposition('# TYPE x gauge\nx +Inf\n').value('x'), Infinity);
});
