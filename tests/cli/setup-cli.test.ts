/**
 * `portcullis setup gitlab-webhook` against the GitLab fake through gitbeaker: one hook,
 * however often it runs; a changed URL or secret updates it; Pipeline and Job events only.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGitLabFake, type GitLabFake } from '../../src/fakes/gitlab/index.ts';
import { createSetupCommand, webhookUrl } from '../../src/cli/setup.ts';

let gitlab: GitLabFake;
const SECRET = 'setup-webhook-secret-0123456789';

before(async () => {
  gitlab = await startGitLabFake();
});
after(() => gitlab.close());

async function setup(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  const full = { GITLAB_URL: gitlab.url, GITLAB_TOKEN: gitlab.token, GITLAB_PROJECT: gitlab.projectPath, GITLAB_WEBHOOK_SECRET: SECRET, ...env };
  const code = await createSetupCommand(() => full).run(args, { stdout: (t) => void (stdout += t), stderr: () => undefined });
  return { code, stdout };
}

test('creates the hook once, then updates it: one hook, the new URL and secret, Pipeline and Job events only', async () => {
  const first = await setup(['gitlab-webhook', '--url', 'http://127.0.0.1:9/webhooks/gitlab']);
  assert.equal(first.code, 0);
  assert.match(first.stdout, /^Created webhook \d+ of portcullis\/firewall: http:\/\/127\.0\.0\.1:9\/webhooks\/gitlab;/);
  const again = await setup(['gitlab-webhook', '--url', 'http://127.0.0.1:9/webhooks/gitlab']);
  assert.match(again.stdout, /^Updated webhook/);
  assert.equal(gitlab.driver.hooks().length, 1);

  const moved = await setup(['gitlab-webhook', '--url', 'http://127.0.0.2:9/webhooks/gitlab'], { GITLAB_WEBHOOK_SECRET: 'a-new-secret-0123456789abcdef' });
  assert.match(moved.stdout, /\(was http:\/\/127\.0\.0\.1:9\/webhooks\/gitlab\)/);
  const hooks = gitlab.driver.hooks();
  assert.equal(hooks.length, 1);
  assert.equal(hooks[0]!.url, 'http://127.0.0.2:9/webhooks/gitlab');
  assert.equal(hooks[0]!.token, 'a-new-secret-0123456789abcdef');
  assert.deepEqual([hooks[0]!.pipelineEvents, hooks[0]!.jobEvents, hooks[0]!.pushEvents, hooks[0]!.mergeRequestsEvents], [true, true, false, false]);
  assert.ok(!moved.stdout.includes('a-new-secret'), 'the secret is never printed');
  // GitLab never shows the secret: the API's view of the hook has no token.
  assert.ok(gitlab.driver.requests().some((r) => r.method === 'PUT' && /\/hooks\/\d+$/.test(r.path) && r.status === 200));
});

test('refuses a URL GitLab should not deliver a secret to, and several candidate hooks', async () => {
  assert.throws(() => webhookUrl('http://bot.example.com/webhooks/gitlab'), /must be https/);
  assert.throws(() => webhookUrl('https://bot.example.com/'), /must end in \/webhooks\/gitlab/);
  assert.throws(() => webhookUrl('https://user:pw@bot.example.com/webhooks/gitlab'), /user name or password/);
  assert.throws(() => webhookUrl('not a url'), /absolute URL/);
  assert.equal(webhookUrl('https://bot.example.com/portcullis/webhooks/gitlab'), 'https://bot.example.com/portcullis/webhooks/gitlab');

  gitlab.driver.addHook({ url: 'http://127.0.0.3:9/webhooks/gitlab', pipelineEvents: true });
  await assert.rejects(setup(['gitlab-webhook', '--url', 'http://127.0.0.4:9/webhooks/gitlab']), /2 webhooks end in \/webhooks\/gitlab/);
  await assert.rejects(setup(['gitlab-webhook']), /--url is required/);
  await assert.rejects(setup(['gitlab-webhook', '--url', 'http://127.0.0.1:9/webhooks/gitlab'], { GITLAB_WEBHOOK_SECRET: 'short' }), /GITLAB_WEBHOOK_SECRET: invalid/);
});
