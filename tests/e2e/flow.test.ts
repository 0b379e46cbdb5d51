/**
 * The bot as a separate process against the fakes: a request's whole life in Slack.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { APPROVER, CHANNEL, Harness, OTHER_APPROVER, REQUESTER, WEBHOOK_SECRET } from './harness.ts';
import { startServiceTargets, type ServiceTargets } from '../../src/fakes/services/index.ts';
import { parseExposition } from '../helpers/prometheus.ts';

const FRONT_IP = '127.77.0.10';
let h: Harness;
let targets: ServiceTargets;
before(async () => {
  h = await Harness.start();
  // The front instance: a public (loopback) address in sg-front, serving HTTP on 80.
  const front = h.fakes.aws.driver.findGroupByName('sg-front')!;
  h.fakes.aws.driver.addInstance({ groupIds: [front.groupId], publicIp: FRONT_IP, state: 'running', tags: { Name: 'front' } });
  targets = await startServiceTargets([{ ip: FRONT_IP, port: 80, behaviour: 'ok' }]);
});
after(async () => {
  await h.close();
  await targets.close();
});

describe('a request from pipeline to deployed', () => {
  test('one parent, a thread with compliance, plan and the approval request; Approve deploys, merges and proves', async () => {
    const { pipelineId } = await h.request('REQ-10', { from_port: 80, to_port: 80, description: 'partner web' });
    const approval = await h.waitForApprovalRequest('REQ-10');
    const thread = h.thread('REQ-10');
    assert.ok(thread.some((m) => /Pipeline #\d+ started/.test(m.text)), 'pipeline started');
    assert.ok(thread.some((m) => /^:white_check_mark: \*Compliant\*/.test(m.text)), 'compliance report');
    assert.ok(thread.some((m) => m.text.includes('1 to add')), `plan summary in ${JSON.stringify(thread.map((m) => m.text))}`);
    assert.equal(h.parents().filter((m) => m.text.includes('REQ-10')).length, 1, 'exactly one parent');

    await h.click(APPROVER, approval, 'approve');
    await h.waitFor('the deploy result', () => h.threadMessage('REQ-10', /^Deployed/));
    await h.fakes.gitlab.driver.waitForPipeline(pipelineId, 'success');
    await h.waitFor('the parent to say deployed', () => /Deployed/.test(JSON.stringify(h.parentOf('REQ-10')?.blocks)));
    const decided = h.thread('REQ-10').find((m) => m.ts === approval.ts)!;
    assert.match(JSON.stringify(decided.blocks), /Approved\* by <@U0BOB>/);
    assert.doesNotMatch(JSON.stringify(decided.blocks), /"type":"button"/, 'the buttons are gone');
    assert.ok(h.fakes.aws.driver.rules().some((r) => r.tags['portcullis:request'] === 'REQ-10'), 'the rule is live in EC2');
    assert.equal(h.plays(), 1);

    // Afterwards: merged, git = state = AWS, and the front answers on the port now open.
    assert.equal(h.fakes.gitlab.driver.mergeRequests().find((mr) => mr.sourceBranch === 'sg-request/REQ-10')?.state, 'merged');
    assert.ok(h.threadMessage('REQ-10', /^In sync: \d+ rules in sync/), 'the consistency check is posted');
    const services = h.threadMessage('REQ-10', /sg-front/ )!;
    assert.match(JSON.stringify(h.thread('REQ-10').map((m) => m.blocks)), new RegExp(`http://${FRONT_IP.replaceAll('.', '\\.')}:80/?\\S*\\s+HTTP 200`));
    assert.ok(services);
    const result = h.threadMessage('REQ-10', /^Deployed/)!;
    assert.match(JSON.stringify(result.blocks), /Merge request merged/);
    assert.match(JSON.stringify(result.blocks), /Checks\*: \d+ passed/);

    // What the process says about it on GET /metrics, as Prometheus would scrape it.
    const res = await fetch(`http://127.0.0.1:${h.bot!.port}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const metrics = parseExposition(await res.text());
    assert.ok((metrics.value('portcullis_webhook_deliveries_total', { result: 'stored' }) ?? 0) > 0, 'the deliveries were counted');
    assert.equal(metrics.value('portcullis_approvals_total'), 1);
    assert.equal(metrics.value('portcullis_jobs_played_total', { outcome: 'ok' }), 1);
    assert.ok(metrics.samples.some((m) => m.name === 'portcullis_upstream_request_duration_seconds_count' && m.labels.service === 'gitlab' && m.value > 0), 'GitLab calls timed');
  });
});

describe('refused clicks', () => {
  test('a non-approver, the requester, and a click on a decided request are refused privately', async () => {
    await h.request('REQ-11');
    const approval = await h.waitForApprovalRequest('REQ-11');
    const before = h.plays();
    await h.click('U0MALLORY', approval, 'approve').catch(() => undefined);
    await h.click(REQUESTER, approval, 'approve');
    await h.waitFor('the requester to be told', () => h.fakes.slack.driver.ephemerals(REQUESTER).find((e) => /someone else must approve/.test(e.text)));
    assert.equal(h.plays(), before, 'nothing was played');
  });
});

describe('failures', () => {
  test('a failing plan job is posted with its name and the tail of its log', async () => {
    h.fakes.gitlab.driver.scriptJob('plan', { fail: 'Error: Invalid provider configuration', log: 'Initializing...\nError: Invalid provider configuration' });
    try {
      await h.request('REQ-12');
      const failed = await h.waitFor('the failed job message', () => h.threadMessage('REQ-12', /Job plan failed/));
      assert.match(JSON.stringify(failed.blocks), /Invalid provider configuration/);
      await h.waitFor('the parent to say failed', () => /Failed/.test(JSON.stringify(h.parentOf('REQ-12')?.blocks)));
    } finally {
      h.fakes.gitlab.driver.clearJobScripts();
    }
  });

  test('a failing job that prints credentials: none of them reaches the channel', async () => {
    const secrets = {
      // The bot's own: masked as exact strings, whatever their shape.
      webhook: WEBHOOK_SECRET,
      botGitlabToken: h.env.GITLAB_TOKEN!,
      botAwsSecret: h.env.AWS_SECRET_ACCESS_KEY!,
      // The job's: masked by their shape.
      keyId: 'AKIAIOSFODNN7EXAMPLE',
      secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      gitlab: 'glpat-Zy9XwVuT8sRqPo7NmLk6',
      slack: 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp',
      keyBody: 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
      urlPassword: 'hunter2hunter2',
    };
    const log = [
      `echo webhook ${secrets.webhook} token ${secrets.botGitlabToken} aws ${secrets.botAwsSecret}`,
      `AWS_ACCESS_KEY_ID=${secrets.keyId}`,
      `AWS_SECRET_ACCESS_KEY=${secrets.secretKey}`,
      `curl --header "PRIVATE-TOKEN: ${secrets.gitlab}" -d token=${secrets.slack}`,
      '-----BEGIN RSA PRIVATE KEY-----',
      secrets.keyBody,
      '-----END RSA PRIVATE KEY-----',
      `fatal: unable to access 'https://ci:${secrets.urlPassword}@127.0.0.1:8929/infra/firewall.git/'`,
    ].join('\n');
    h.fakes.gitlab.driver.scriptJob('plan', { fail: 'Error: leaked on purpose', log });
    try {
      await h.request('REQ-13');
      const failed = await h.waitFor('the failed job message', () => h.threadMessage('REQ-13', /Job plan failed/));
      const shown = JSON.stringify(failed);
      assert.match(shown, /leaked on purpose/, 'the log tail is shown');
      for (const [kind, secret] of Object.entries(secrets)) assert.ok(!shown.includes(secret), `${kind} reached Slack: ${shown}`);
      assert.match(shown, /AWS_SECRET_ACCESS_KEY=\[MASKED\]/);
      const everything = JSON.stringify(h.parents().map((p) => [p, h.fakes.slack.driver.thread(CHANNEL, p.ts)]));
      for (const [kind, secret] of Object.entries(secrets)) assert.ok(!everything.includes(secret), `${kind} is somewhere in the channel`);
    } finally {
      h.fakes.gitlab.driver.clearJobScripts();
    }
  });
});

export { CHANNEL, OTHER_APPROVER };
