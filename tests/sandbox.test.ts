import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSandbox } from '../src/sandbox/run.ts';

test('the sandbox plays a request from the sentence to a live, proven rule, and shows each step', async () => {
  const lines: string[] = [];
  const code = await runSandbox({ keep: false, say: (l) => void lines.push(l) });
  const out = lines.join('\n');
  assert.equal(code, 0);
  assert.match(out, /Approval needed/);
  assert.match(out, /\(only Alice sees\) .*someone else must approve/);
  assert.match(out, /Approved\* by @U0BOB/);
  assert.match(out, /Consistency check\*: In sync/);
  assert.match(out, /In AWS now: sgr-[0-9a-f]+ tcp\/80 from 198\.51\.100\.0\/24 on sg-front/);
});
