/**
 * A failed job's log tail reaches the channel with its credentials masked: every kind a
 * job may print, coloured and overwritten as GitLab's raw trace has them, and also where
 * the tail is cut to fit Slack. What is not a credential stays readable.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Block } from '../../src/core/ports.ts';
import { jobFailed } from '../../src/slack/blocks/pipeline.ts';
import { SLACK_LIMITS } from '../../src/slack/blocks/limits.ts';
import { JOB_URL } from './fixtures.ts';

const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SECRETS = {
  keyId: 'AKIAIOSFODNN7EXAMPLE',
  secretKey: SECRET_KEY,
  gitlab: 'glpat-Zy9XwVuT8sRqPo7NmLk6',
  deployToken: 'gldt-HxQ6rFyK2mNpW3aB8cDe',
  runnerToken: 'GR1348941gpsJo71bnku75uVXiCkN',
  slack: 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp',
  keyBody: 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
  bearer: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl',
  urlPassword: 'hunter2hunter2',
};
const SHA = '4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39';
const BLOB = 'VGhpcyBpcyBhbiBvcmRpbmFyeSBiYXNlNjQgYmxvYiBpbiBwcm9zZQ==';

const LOG = [
  '\u001b[0KRunning with gitlab-runner 17.5.3 (12030cf4)',
  'section_start:1714554000:step_script\r\u001b[0K\u001b[0K\u001b[36;1mExecuting "step_script" stage of the job script\u001b[0;m',
  `\u001b[32;1m$ env | sort\u001b[0;m`,
  // A colour code in the middle of a value: only the readable text shows the whole key.
  `AWS_ACCESS_KEY_ID=\u001b[33m${SECRETS.keyId}\u001b[0m`,
  `AWS_SECRET_ACCESS_KEY=${SECRETS.secretKey}`,
  `GITLAB_TOKEN=${SECRETS.gitlab}`,
  `DEPLOY_TOKEN=${SECRETS.deployToken}`,
  `RUNNER_REGISTRATION_TOKEN=${SECRETS.runnerToken}`,
  `SLACK_TOKEN=${SECRETS.slack}`,
  '$ cat "$SSH_KEY"',
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  SECRETS.keyBody,
  '-----END OPENSSH PRIVATE KEY-----',
  `> Authorization: Bearer ${SECRETS.bearer}`,
  `fatal: could not read from https://ci:${SECRETS.urlPassword}@127.0.0.1:8929/infra/firewall.git`,
  `Checking ${SHA} in pipeline #4711, job 5552; payload ${BLOB}`,
  'section_end:1714554010:step_script\r\u001b[0K',
  '\u001b[31;1mERROR: Job failed: exit code 1\u001b[0;m',
  '',
].join('\n');

const shown = (logTail: string) => JSON.stringify(jobFailed({ jobName: 'plan', logTail, jobUrl: JOB_URL }));

test('no secret a failing job prints reaches the Slack message; the sha, the ids, a base64 blob in prose and the error stay', () => {
  const message = shown(LOG);
  for (const [kind, secret] of Object.entries(SECRETS)) {
    assert.ok(!message.includes(secret), `${kind} reached Slack`);
  }
  assert.ok(!message.includes(SECRETS.secretKey.replaceAll('/', '\\/')), 'nor JSON-escaped');
  assert.ok(!message.includes('Zy9XwVuT8sRq'), 'nor part of the token');
  for (const masked of ['AWS_ACCESS_KEY_ID=AKIA[MASKED]', 'AWS_SECRET_ACCESS_KEY=[MASKED]', 'GITLAB_TOKEN=glpat-[MASKED]', 'SLACK_TOKEN=xoxb-[MASKED]', '[MASKED] (private key)', 'Authorization: Bearer [MASKED]', 'https://ci:[MASKED]@127.0.0.1']) {
    assert.ok(message.includes(masked), `${masked} in ${message}`);
  }
  assert.ok(message.includes(`Checking ${SHA} in pipeline #4711, job 5552; payload ${BLOB}`), message);
  assert.ok(message.includes('ERROR: Job failed: exit code 1'));
  assert.ok(message.includes('$ env | sort'));
});

test('a cut through a long line never leaves the unrecognisable rest of a secret', () => {
  // The newest line alone is too long: only its end is kept, and the cut falls inside the key.
  const room = SLACK_LIMITS.sectionText - '```\n\n```'.length - 2;
  const line = `AWS_SECRET_ACCESS_KEY=${SECRET_KEY} ${'y'.repeat(room - 20)}`;
  const text = String(((jobFailed({ jobName: 'plan', logTail: line, jobUrl: null }).blocks![1] as Block).text as Block).text);
  for (let i = 0; i + 12 <= SECRET_KEY.length; i++) {
    assert.ok(!text.includes(SECRET_KEY.slice(i, i + 12)), `a piece of the key is shown: ${SECRET_KEY.slice(i, i + 12)}`);
  }
  assert.ok(text.length <= SLACK_LIMITS.sectionText);
});
