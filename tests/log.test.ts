import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CENSOR, createLogger, createScrubber, eventLogger } from '../src/log.ts';

const BOT = 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp';
const APP = 'xapp-1-A0123ABCD-1234567890-abcdef0123456789';
const GITLAB = 'glpat-Zy9XwVuT8sRqPo7NmLk6';
const HOOK = 'hook "secret" \\ 0123456789'; // quotes and a backslash: JSON-escaped in the line
const UNLISTED = ['xoxp-2222-3333-userTokenNotConfigured', 'gldt-deployTokenNotConfigured', 'xoxe.xoxp-1-rotatingTokenValue'];
const ALL = [BOT, APP, GITLAB, HOOK, ...UNLISTED];

function capture(level: 'info' | 'trace' = 'trace') {
  const lines: string[] = [];
  const log = createLogger({ level, secrets: [BOT, APP, GITLAB, HOOK], destination: { write: (s: string) => void lines.push(s) } });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, records };
}

function assertClean(lines: readonly string[]) {
  assert.ok(lines.length > 0, 'something was logged');
  for (const line of lines) {
    for (const secret of ALL) {
      assert.ok(!line.includes(secret), `a log line contains ${secret.slice(0, 6)}...: ${line}`);
      assert.ok(!line.includes(JSON.stringify(secret).slice(1, -1)), `a log line contains an escaped ${secret.slice(0, 6)}...`);
    }
    assert.doesNotThrow(() => JSON.parse(line), 'scrubbing keeps the line valid JSON');
  }
}

test('tokens in known fields are censored and the other fields survive', () => {
  const { log, lines, records } = capture();
  log.info(
    {
      token: BOT,
      config: { slack: { botToken: BOT, appToken: APP, channelId: 'C0CHAN' }, gitlab: { token: GITLAB, webhookSecret: HOOK, url: 'http://127.0.0.1:8929' } },
      req: { method: 'POST', headers: { 'x-gitlab-token': HOOK, 'x-gitlab-event': 'Pipeline Hook', 'content-type': 'application/json' } },
      err: { config: { headers: { Authorization: `Bearer ${BOT}` } } },
      pipelineId: 42,
    },
    'webhook received',
  );
  assertClean(lines);
  const [r] = records();
  const config = r!.config as { slack: Record<string, string>; gitlab: Record<string, string> };
  assert.equal(config.slack.botToken, CENSOR);
  assert.equal(config.gitlab.webhookSecret, CENSOR);
  assert.equal(config.slack.channelId, 'C0CHAN');
  assert.equal(config.gitlab.url, 'http://127.0.0.1:8929');
  const headers = (r!.req as { headers: Record<string, string> }).headers;
  assert.deepEqual(headers, { 'x-gitlab-token': CENSOR, 'x-gitlab-event': 'Pipeline Hook', 'content-type': 'application/json' });
  assert.equal(r!.pipelineId, 42);
  assert.equal(r!.msg, 'webhook received');
});

test('tokens in the message, in errors and in unexpected places are scrubbed', () => {
  const { log, lines, records } = capture();
  log.warn(`calling Slack with ${BOT} and ${UNLISTED[0]} failed`);
  const err = new Error(`GitLab refused token ${GITLAB} (secret was ${HOOK})`);
  (err as Error & { response: unknown }).response = { body: { echoed: APP, deep: { deeper: { deepest: UNLISTED[1] } } } };
  log.error({ err }, 'play failed');
  log.info({ list: [UNLISTED[2], 'plain'], url: `https://oauth2:${GITLAB}@127.0.0.1/x.git`, note: `Authorization: Bearer opaque-credential-123` }, 'misc');
  log.info({ cloneUrl: 'https://ci:not-a-token-shape@127.0.0.1/group/project.git' }, 'clone');
  assertClean(lines);
  const [warn, error, misc, clone] = records();
  assert.equal(warn!.msg, `calling Slack with ${CENSOR} and ${CENSOR} failed`);
  const e = error!.err as { message: string; stack: string; type: string };
  assert.equal(e.type, 'Error');
  assert.match(e.message, /^GitLab refused token \[redacted\] \(secret was \[redacted\]\)$/);
  assert.match(e.stack, /log\.test\.ts/, 'the stack is kept, only scrubbed');
  assert.deepEqual(misc!.list, [CENSOR, 'plain']);
  assert.equal(misc!.note, `Authorization: Bearer ${CENSOR}`);
  assert.equal(clone!.cloneUrl, `https://${CENSOR}@127.0.0.1/group/project.git`);
});

test('child loggers scrub too, at every level, and carry the event ids', () => {
  const { log, lines, records } = capture();
  const child = eventLogger(log, { deliveryId: 'uuid-7', pipelineId: 99, requestId: null });
  child.trace({ headers: { authorization: `Bearer ${BOT}` } }, 'trace');
  child.debug(`debug ${APP}`);
  child.fatal({ secret: HOOK }, 'fatal');
  eventLogger(child, { requestId: 'r-1' }).info(`nested ${GITLAB}`);
  assertClean(lines);
  const rs = records();
  assert.equal(rs.length, 4);
  for (const r of rs) {
    assert.equal(r.deliveryId, 'uuid-7');
    assert.equal(r.pipelineId, 99);
  }
  assert.ok(!('requestId' in rs[0]!), 'an unknown id is left out rather than logged as null');
  assert.equal(rs[3]!.requestId, 'r-1');
});

test('the level filters lines', () => {
  const { log, records } = capture('info');
  log.debug('hidden');
  log.info('shown');
  assert.deepEqual(records().map((r) => r.msg), ['shown']);
});

test('the scrubber leaves ordinary text alone', () => {
  const scrub = createScrubber([HOOK]);
  const ordinary = 'pipeline 42 for sg-request/r-1 at http://127.0.0.1:8929/group/project: token expired, Basic checks passed, glossary-term';
  assert.equal(scrub(ordinary), ordinary);
  assert.equal(scrub(`a ${HOOK} b`), `a ${CENSOR} b`);
  assert.equal(createScrubber(['', 'x'.repeat(20)])('keep this'), 'keep this', 'an empty secret does not match everywhere');
});

test('credential fields are censored by name even when their value has no known shape', () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } });
  log.info({
    password: 'opaque-1',
    gitlab: { privateToken: 'opaque-2' },
    req: { headers: { 'private-token': 'opaque-3', Authorization: 'Basic b3BhcXVlLTQ=', 'user-agent': 'GitLab/17.0' } },
    err: { config: { headers: { cookie: 'session=opaque-5' } } },
  });
  assert.equal(lines.length, 1);
  for (const value of ['opaque-1', 'opaque-2', 'opaque-3', 'b3BhcXVlLTQ=', 'opaque-5']) assert.ok(!lines[0]!.includes(value), value);
  assert.ok(lines[0]!.includes('GitLab/17.0'));
});
