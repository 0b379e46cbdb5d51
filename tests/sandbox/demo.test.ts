import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSandbox } from '../../src/sandbox/run.ts';

test('the demo plays a request from the sentence to a live rule, and ends with every check green without root', async () => {
  const lines: string[] = [];
  // Its own front address: the browser test's sandbox may run beside this one.
  const code = await runSandbox({ demo: true, keep: false, frontIp: '127.88.1.10', say: (l) => void lines.push(l) });
  const out = lines.join('\n');
  assert.equal(code, 0, out);
  assert.match(out, /Approval needed/);
  assert.match(out, /\(only Alice sees\) .*someone else must approve/);
  assert.match(out, /Approved\* by @U0BOB/);
  assert.match(out, /Consistency check\*: In sync/);
  // The front answers on 80 (this rule) and 443 (REQ-1): both probed, both green.
  assert.match(out, /:white_check_mark: `services` 2 of 2 answered/);
  assert.match(out, /\*Checks\*: 2 passed, 0 failed/);
  assert.doesNotMatch(out, /:x:/);
  assert.match(out, /In AWS now: sgr-[0-9a-f]+ tcp\/80 from 198\.51\.100\.0\/24 on sg-front/);
});
