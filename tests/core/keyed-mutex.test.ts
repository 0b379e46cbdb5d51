import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedMutex } from '../../src/core/keyed-mutex.ts';

const tick = () => new Promise((r) => setImmediate(r));

test('tasks for one key run one at a time, in order, even when one fails', async () => {
  const mutex = new KeyedMutex();
  const log: string[] = [];
  const task = (name: string, fail = false) => async () => {
    log.push(`${name}:start`);
    await tick();
    log.push(`${name}:end`);
    if (fail) throw new Error(name);
    return name;
  };
  const results = await Promise.allSettled([mutex.run('REQ-1', task('a', true)), mutex.run('REQ-1', task('b')), mutex.run('REQ-1', task('c'))]);
  assert.deepEqual(log, ['a:start', 'a:end', 'b:start', 'b:end', 'c:start', 'c:end']);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'fulfilled', 'fulfilled']);
});

test('different keys run side by side', async () => {
  const mutex = new KeyedMutex();
  const log: string[] = [];
  const task = (name: string) => async () => {
    log.push(`${name}:start`);
    await tick();
    log.push(`${name}:end`);
  };
  await Promise.all([mutex.run('REQ-1', task('a')), mutex.run('REQ-2', task('b'))]);
  assert.deepEqual(log.slice(0, 2).sort(), ['a:start', 'b:start']);
});
