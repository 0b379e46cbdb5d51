/**
 * One request per Terraform state: later requests wait as `queued`, with no branch or
 * pipeline, and start oldest first once the state is free — also when the one started
 * before them fails in GitLab.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { startNextQueued } from '../../src/core/queue.ts';
import { submitRequest } from '../../src/core/submit.ts';
import type { RequestInput } from '../../src/domain/request.ts';
import { changeRequest } from '../helpers/deps.ts';
import { twoEnvironments } from '../helpers/environments.ts';
import { CHANNEL, startHarness, type Harness } from '../slack/sg-request-harness.ts';

// Each test on fakes and a store of its own: none depends on what another left behind.
let h: Harness;
beforeEach(async () => void (h = await startHarness()));
afterEach(() => h.close());

const input = (cidr: string, environment = 'default'): RequestInput => ({ environment, group: 'sg-front', direction: 'ingress', protocol: 'tcp', fromPort: 443, toPort: 443, peer: { kind: 'cidr', value: cidr }, justification: 'partner API', ticket: null, expiresAt: null });
const submit = (cidr: string) => submitRequest(h.deps, { input: input(cidr), requester: 'U0ALICE' });
const pipelinesOn = (branch: string) => h.gitlab.driver.pipelines().filter((p) => p.ref === branch);
const finish = (id: string) => h.deps.store.requests.save({ ...h.deps.store.requests.get(id)!, state: 'deployed' });

test('a request made while another is open is queued, visibly, and starts when the state is free', async () => {
  const first = await submit('203.0.113.1/32');
  assert.equal(first.id, 'REQ-2', 'REQ-1 is already a rule file on the default branch');
  assert.equal(first.state, 'planning');

  const second = await submit('203.0.113.2/32');
  assert.equal(second.state, 'queued');
  assert.equal(second.pipelineId, null);
  assert.equal(h.gitlab.driver.readFile('sg-request/REQ-3', 'terraform/rules/REQ-3.json'), undefined);
  assert.deepEqual(pipelinesOn('sg-request/REQ-3'), []);
  const parent = h.slack.driver.channel(CHANNEL).find((m) => m.text.startsWith('REQ-3'))!;
  assert.match(parent.text, /Queued behind an earlier change/);

  assert.equal(await startNextQueued(h.deps), null, 'REQ-2 still holds the state');
  assert.equal(h.deps.store.requests.get('REQ-3')?.state, 'queued');

  finish('REQ-2');
  const started = await startNextQueued(h.deps);
  assert.equal(started?.id, 'REQ-3');
  assert.equal(started?.state, 'planning');
  assert.deepEqual(pipelinesOn('sg-request/REQ-3').map((p) => p.id), [started?.pipelineId]);
  assert.match(h.slack.driver.channel(CHANNEL).find((m) => m.text.startsWith('REQ-3'))!.text, /Planning/);
  assert.equal(await startNextQueued(h.deps), null, 'nothing else waits');
});

test('when a request started from the queue fails in GitLab, the next queued one starts', async () => {
  const holder = await submit('198.51.100.1/32');
  const [b, c] = [await submit('198.51.100.2/32'), await submit('198.51.100.3/32')];
  assert.deepEqual([holder.state, b.state, c.state], ['planning', 'queued', 'queued']);

  finish(holder.id);
  h.gitlab.driver.failNext(1, { status: 500, path: /^POST .*repository\/branches/ });
  await startNextQueued(h.deps);
  assert.equal(h.deps.store.requests.get(b.id)?.state, 'failed');
  assert.equal(h.deps.store.requests.get(c.id)?.state, 'planning');
  assert.equal(pipelinesOn(`sg-request/${c.id}`).length, 1);
  assert.equal(pipelinesOn(`sg-request/${b.id}`).length, 0);
});

test('a pipeline the bot did not start (a push, the default branch after a merge) does not hold the queue', async () => {
  const at = new Date().toISOString();
  h.deps.store.requests.save(
    changeRequest({ id: 'PL-9000', kind: 'external', rule: null, requester: null, branch: 'main', mergeRequestIid: null, pipelineId: 9000, sha: 'f'.repeat(40), deployJobId: 1, awaitingSince: at, createdAt: at, updatedAt: at }),
  );
  const request = await submit('203.0.113.9/32');
  assert.equal(request.state, 'planning', 'started at once, not queued behind the external pipeline');
});

test('one queue per environment: a staging request never waits behind a production one, a second production one does', async () => {
  const deps = { ...h.deps, environments: twoEnvironments() };
  const submitIn = (environment: string, cidr: string) => submitRequest(deps, { input: input(cidr, environment), requester: 'U0ALICE' });
  const production = await submitIn('production', '203.0.113.1/32');
  assert.equal(production.state, 'planning');
  assert.equal(production.environment, 'production');
  // Its rule file is in production's folder, and only there.
  assert.ok(h.gitlab.driver.readFile(production.branch, `terraform/environments/production/rules/${production.id}.json`));
  assert.equal(h.gitlab.driver.readFile(production.branch, `terraform/environments/staging/rules/${production.id}.json`), undefined);

  const staging = await submitIn('staging', '203.0.113.2/32');
  assert.equal(staging.state, 'planning', 'staging has a Terraform state of its own');
  const second = await submitIn('production', '203.0.113.3/32');
  assert.equal(second.state, 'queued');

  finish(staging.id);
  assert.equal(await startNextQueued(deps), null, 'staging freed its state; production is still held');
  finish(production.id);
  assert.equal((await startNextQueued(deps))?.id, second.id);
  assert.ok(production.id !== staging.id && staging.id !== second.id, 'ids are unique across environments');
});
