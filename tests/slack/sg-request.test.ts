/**
 * /sg-request end to end inside one process: the real Bolt app on the Slack fake, the real
 * GitLab adapter on the GitLab fake. Inline and modal paths, refusals that create nothing,
 * the GitLab calls, a GitLab failure reported in the thread, and the ack that never waits
 * for GitLab.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parseRuleFile } from '../../src/domain/rule.ts';
import { CHANNEL, gitlabWrites, startHarness, type Harness } from './sg-request-harness.ts';

const ALICE = 'U0ALICE';

describe('/sg-request', () => {
  let h: Harness;
  let release: () => void = () => undefined;
  let gate: Promise<void> = Promise.resolve();

  before(async () => {
    // createBranch waits on `gate`, so a test can hold GitLab back while it looks at the ack.
    h = await startHarness((vcs) => ({ ...vcs, createBranch: async (b, r) => (await gate, vcs.createBranch(b, r)) }));
  });
  after(() => h.close());
  beforeEach(() => {
    // Each test starts with the Terraform state free.
    for (const r of h.deps.store.requests.open()) h.deps.store.requests.save({ ...r, state: 'deployed' });
  });

  const ephemeralTexts = () => h.slack.driver.ephemerals(ALICE).map((e) => e.text);
  const waitEphemeral = (pattern: RegExp) => h.slack.driver.waitFor(() => ephemeralTexts().find((t) => pattern.test(t)), 5000);

  it('inline: records the request, opens branch, rule file, merge request and one pipeline, and posts the parent', async () => {
    const before = h.gitlab.driver.pipelines().length;
    await h.slack.driver.runSlashCommand({ user: ALICE, command: '/sg-request', text: 'sg-front tcp 443 203.0.113.9/24 "partner API" ttl=7d ticket=NET-42' });
    await waitEphemeral(/Recorded as \*REQ-2\*/);

    const request = h.deps.store.requests.get('REQ-2')!;
    assert.equal(request.state, 'planning');
    assert.equal(request.branch, 'sg-request/REQ-2');
    assert.deepEqual(
      { ...request.rule, created_at: undefined, expires_at: undefined },
      { id: 'REQ-2', group: 'sg-front', direction: 'ingress', protocol: 'tcp', from_port: 443, to_port: 443, cidr: '203.0.113.0/24', description: 'partner API', requester: ALICE, ticket: 'NET-42', created_at: undefined, expires_at: undefined },
    );
    // ttl counts from when the text was read, a moment before the request was stored.
    const ttl = Date.parse(request.rule!.expires_at!) - Date.parse(request.rule!.created_at!);
    assert.ok(ttl <= 7 * 86_400_000 && ttl > 7 * 86_400_000 - 5000, `ttl ${ttl} ms`);

    const file = parseRuleFile(h.gitlab.driver.readFile('sg-request/REQ-2', 'terraform/rules/REQ-2.json')!);
    assert.equal(file.cidr, '203.0.113.0/24');
    const mr = h.gitlab.driver.mergeRequests().find((m) => m.sourceBranch === 'sg-request/REQ-2')!;
    assert.equal(mr.iid, request.mergeRequestIid);
    assert.match(mr.title, /REQ-2: open tcp\/443 from 203\.0\.113\.0\/24 to sg-front \(for alice\)/);
    assert.match(mr.description ?? '', /U0ALICE[\s\S]*partner API[\s\S]*NET-42/);
    const pipelines = h.gitlab.driver.pipelines().slice(before);
    assert.deepEqual(pipelines.map((p) => [p.id, p.ref]), [[request.pipelineId, 'sg-request/REQ-2']]);

    const parent = h.slack.driver.channel(CHANNEL).find((m) => m.text.startsWith('REQ-2'))!;
    assert.match(JSON.stringify(parent.blocks), /Merge request !\d+/);
    assert.match(parent.text, /Planning/);
  });

  const refusals: Array<[string, string, RegExp]> = [
    ['unknown group, bad CIDR', 'sg-nowhere tcp 443 300.1.1.1/24 "x"', /Security group\*: Unknown security group "sg-nowhere"[\s\S]*Source or destination\*: "300\.1\.1\.1\/24"/],
    ['ports out of range', 'sg-front tcp 0-70000 203.0.113.0/24 "x"', /Ports\*: Ports are 1-65535/],
    ['a missing justification', 'sg-front tcp 443 203.0.113.0/24', /Justification\*: Say why/],
    ['an unknown option', 'sg-front tcp 443 203.0.113.0/24 "x" foo=1', /Unknown option "foo="/],
    ['a policy denial', 'sg-front tcp 22 0.0.0.0/0 "ssh for all"', /Refused by policy[\s\S]*public-ingress-web-only[\s\S]*Fix:/],
  ];
  for (const [what, text, expected] of refusals) {
    it(`inline: ${what} gets an ephemeral answer and creates nothing`, async () => {
      const writes = gitlabWrites(h).length;
      const stored = h.deps.store.requests.open().length;
      await h.slack.driver.runSlashCommand({ user: ALICE, command: '/sg-request', text });
      assert.match(await waitEphemeral(expected), expected);
      assert.deepEqual(gitlabWrites(h).slice(writes), []);
      assert.equal(h.deps.store.requests.open().length, stored);
    });
  }

  it('modal: opens with the known groups, shows errors next to the fields, then records the request', async () => {
    const { driver } = h.slack;
    await driver.runSlashCommand({ user: ALICE, command: '/sg-request', text: '' });
    const modal = await driver.waitFor(() => driver.openViews(ALICE)[0]);
    assert.match(JSON.stringify(modal.view.blocks), /"value":"sg-backend"[\s\S]*"value":"sg-front"/);

    const writes = gitlabWrites(h).length;
    const values = { group: 'sg-front', protocol: 'udp', ports: '53', peer: 'nope', justification: 'dns', ticket: 'bad ticket!', expiry: '7d' };
    const refused = await driver.submitView({ user: ALICE, viewId: modal.view.id, values });
    assert.equal(refused.response_action, 'errors');
    assert.deepEqual(Object.keys(refused.errors ?? {}).sort(), ['sg_peer', 'sg_ticket']);

    const denied = await driver.submitView({ user: ALICE, viewId: modal.view.id, values: { ...values, peer: '0.0.0.0/0', ticket: '' } });
    assert.match(String((denied.errors as Record<string, string> | undefined)?.sg_peer), /Refused by policy/);

    assert.deepEqual(gitlabWrites(h).slice(writes), [], 'refused submissions create nothing');
    const accepted = await driver.submitView({ user: ALICE, viewId: modal.view.id, values: { ...values, peer: '10.20.0.0/16', ticket: 'NET-7' } });
    assert.deepEqual(accepted, {});
    await waitEphemeral(/Recorded as \*REQ-3\*/);
    const request = h.deps.store.requests.get('REQ-3')!;
    assert.equal(request.state, 'planning');
    assert.deepEqual([request.rule?.protocol, request.rule?.from_port, request.rule?.cidr, request.rule?.ticket], ['udp', 53, '10.20.0.0/16', 'NET-7']);
  });

  it('acks at once while GitLab is held back, and does the GitLab work after', async () => {
    gate = new Promise((resolve) => (release = resolve));
    const run = await h.slack.driver.runSlashCommand({ user: ALICE, command: '/sg-request', text: 'sg-front tcp 80 198.51.100.0/24 "web for partner"' });
    assert.deepEqual(run.ack, {});
    const held = await h.slack.driver.waitFor(() => h.deps.store.requests.get('REQ-4'));
    assert.equal(held.state, 'submitted');
    assert.equal(h.gitlab.driver.readFile('sg-request/REQ-4', 'terraform/rules/REQ-4.json'), undefined);
    release();
    gate = Promise.resolve();
    await waitEphemeral(/Recorded as \*REQ-4\*/);
    assert.equal(h.deps.store.requests.get('REQ-4')?.state, 'planning');
  });

  it('a GitLab failure is reported in the request thread and leaves the request failed', async () => {
    h.gitlab.driver.failNext(1, { status: 500, path: /^POST .*repository\/branches/ });
    await h.slack.driver.runSlashCommand({ user: ALICE, command: '/sg-request', text: 'sg-front tcp 443 192.0.2.0/24 "partner B"' });
    await waitEphemeral(/Recorded as \*REQ-5\*/);
    assert.equal(h.deps.store.requests.get('REQ-5')?.state, 'failed');
    const parent = h.slack.driver.channel(CHANNEL).find((m) => m.text.startsWith('REQ-5'))!;
    assert.match(parent.text, /Failed/);
    const [reply] = h.slack.driver.thread(CHANNEL, parent.ts);
    assert.match(reply?.text ?? '', /GitLab did not take this request while creating branch sg-request\/REQ-5/);
    assert.equal(h.gitlab.driver.mergeRequests().some((m) => m.sourceBranch === 'sg-request/REQ-5'), false);
  });
});
