import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InFlight } from '../src/in-flight.ts';

const later = () => {
  let settle!: () => void;
  const promise = new Promise<void>((resolve) => (settle = resolve));
  return { promise, settle };
};

test('InFlight counts work by kind until it settles, failed work included', async () => {
  const f = new InFlight();
  const a = later();
  const b = later();
  const one = f.run('Slack event', () => a.promise);
  const two = f.run('Slack event', () => b.promise);
  const three = f.run('inbox worker', () => Promise.reject(new Error('GitLab down')));
  assert.deepEqual(f.running(), ['Slack event ×2', 'inbox worker']);
  await assert.rejects(three, /GitLab down/);
  assert.deepEqual(f.running(), ['Slack event ×2']);
  a.settle();
  await one;
  assert.deepEqual(f.running(), ['Slack event']);
  b.settle();
  await two;
  assert.deepEqual(f.running(), []);
});

test('idle resolves true once the last work settles, false when the bound passes first', async () => {
  const f = new InFlight();
  assert.equal(await f.idle(10), true, 'nothing running');
  const work = later();
  void f.run('sync', () => work.promise);
  const started = Date.now();
  assert.equal(await f.idle(50), false);
  assert.ok(Date.now() - started >= 45);
  const waiting = f.idle(5000);
  work.settle();
  assert.equal(await waiting, true);
});
