import { test } from 'node:test';
import assert from 'node:assert/strict';
import { junitXml } from '../../src/checks/junit.ts';

test('JUnit XML counts failures and escapes every name and message', () => {
  const xml = junitXml('service-checks', [
    { name: 'i-1 127.0.0.5:80', classname: 'service-checks.sg-front', timeSeconds: 0.012, failure: null },
    { name: 'i-2 <&"\'>', classname: 'service-checks.sg-front', timeSeconds: 2, failure: { message: 'timeout after 2000 ms', detail: 'no answer\u0007' } },
  ]);
  assert.match(xml, /<testsuite name="service-checks" tests="2" failures="1" errors="0" skipped="0" time="2.012">/);
  assert.match(xml, /<testcase name="i-1 127.0.0.5:80" classname="service-checks.sg-front" time="0.012"\/>/);
  assert.match(xml, /name="i-2 &lt;&amp;&quot;&apos;&gt;"/);
  assert.match(xml, /<failure message="timeout after 2000 ms">no answer\ufffd<\/failure>/);
});
