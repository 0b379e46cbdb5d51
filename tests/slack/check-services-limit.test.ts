// The /check-services rate limit and its private-answer channel, on their own: the limiter's
// rules per group, and the response_url responder's masking and failures on a loopback server.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { CheckServicesLimiter } from '../../src/slack/check-services-limit.ts';
import { ChatError, createCommandResponder } from '../../src/slack/chat.ts';

describe('CheckServicesLimiter', () => {
  it('allows one run per group at a time and one start per interval, counted from the last start', () => {
    let now = 1_000_000;
    const limiter = new CheckServicesLimiter({ intervalMs: 60_000, now: () => now });
    const run = limiter.tryStart('sg-front', 'U0ALICE');
    assert.ok(run.ok);
    assert.deepEqual(limiter.tryStart('sg-front', 'U0BOB'), { ok: false, reason: 'running', startedAt: 1_000_000, user: 'U0ALICE' });
    assert.ok(limiter.tryStart('sg-shop', 'U0BOB').ok, 'another group is not limited');
    now += 90_000; // a run longer than the interval still holds its group
    assert.equal((limiter.tryStart('sg-front', 'U0BOB') as { reason: string }).reason, 'running');
    run.release();
    run.release();
    const second = limiter.tryStart('sg-front', 'U0BOB');
    assert.ok(second.ok, 'free once released and the interval has passed');
    second.release();
    now += 20_000;
    const refused = limiter.tryStart('sg-front', 'U0CAROL');
    assert.ok(!refused.ok && refused.reason === 'too_soon');
    assert.equal(refused.waitMs, 40_000);
    assert.equal(refused.retryAt, 1_090_000 + 60_000);
  });

  it('refuses a negative interval', () => {
    assert.throws(() => new CheckServicesLimiter({ intervalMs: -1 }), RangeError);
  });
});

describe('createCommandResponder', () => {
  it('posts an ephemeral answer with the bot’s secrets masked, and fails with a ChatError on a refusal', async () => {
    const bodies: unknown[] = [];
    let status = 200;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(status).end(status === 200 ? 'ok' : 'used_url');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/commands/T0/1/abc`;
    try {
      const respond = createCommandResponder({ secrets: ['glpat-supersecretvalue0'] });
      await respond(url, { text: 'token glpat-supersecretvalue0', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'glpat-supersecretvalue0' } }] });
      assert.deepEqual(bodies[0], { response_type: 'ephemeral', text: 'token [MASKED]', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '[MASKED]' } }] });
      status = 404;
      await assert.rejects(respond(url, { text: 'again' }), (err: unknown) => err instanceof ChatError && /HTTP 404 used_url/.test(err.message));
    } finally {
      server.close();
    }
  });
});
