/**
 * The bot as a process against a GitLab fake that behaves as GitLab does after a
 * deploy: it serves the Terraform state as binary (application/octet-stream), and the
 * `service-checks` trigger job runs a real child pipeline (source parent_pipeline, the
 * request's branch and commit, a higher id) whose Pipeline and Job Hooks reach the bot.
 * The consistency check reads the state and says "in sync", and the request keeps its
 * own pipeline: the child is never announced or adopted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { APPROVER, Harness } from './harness.ts';
import type { DeliveryRecord } from '../../src/fakes/gitlab/index.ts';

let h: Harness;
before(async () => {
  h = await Harness.start();
});
after(() => h.close());

const pipelineOf = (d: DeliveryRecord) => {
  const body = d.payload as { object_attributes?: { id: number }; pipeline_id?: number };
  return body.object_attributes?.id ?? body.pipeline_id;
};

test('after a deploy, the consistency check is in sync and the service-checks child pipeline never takes over the request', async () => {
  const { pipelineId } = await h.request('REQ-40');
  await h.click(APPROVER, await h.waitForApprovalRequest('REQ-40'), 'approve');
  await h.waitFor('the deploy result', () => h.threadMessage('REQ-40', /^Deployed/));
  // The parent finishes only once its child has: the trigger job uses strategy: depend.
  await h.fakes.gitlab.driver.waitForPipeline(pipelineId, 'success', 15_000);
  const child = h.fakes.gitlab.driver.pipelines().find((p) => p.upstream?.pipelineId === pipelineId);
  assert.ok(child, 'service-checks ran as a child pipeline');
  assert.deepEqual([child.source, child.status, child.sha], ['parent_pipeline', 'success', h.fakes.gitlab.driver.pipelines().find((p) => p.id === pipelineId)!.sha]);
  assert.ok(child.id > pipelineId);

  // Every hook of the child, and the parent's own last one after it, was received and processed.
  const deliveries = h.fakes.gitlab.driver.deliveries();
  assert.ok(deliveries.some((d) => d.event === 'Job Hook' && pipelineOf(d) === child.id), 'the child\'s Job Hooks were sent');
  const parentDone = deliveries.find((d) => d.event === 'Pipeline Hook' && pipelineOf(d) === pipelineId && (d.payload as { object_attributes: { status: string } }).object_attributes.status === 'success');
  assert.ok(parentDone, 'the parent\'s success hook was sent');
  const inbox = deliveries.filter((d) => pipelineOf(d) === child.id || d === parentDone);
  await h.waitFor('the bot to process the child\'s hooks and the parent\'s last', () =>
    inbox.every((d) => h.allLines.some((line) => line.includes(`"deliveryId":"${d.idempotencyKey}"`))),
  );

  // git = state = AWS: the state was read from GitLab's binary answer.
  assert.ok(h.threadMessage('REQ-40', /^In sync: \d+ rules in sync/), `consistency in ${JSON.stringify(h.thread('REQ-40').map((m) => m.text))}`);
  assert.ok(h.fakes.gitlab.driver.requests().some((r) => r.method === 'GET' && /\/terraform\/state\/portcullis$/.test(r.path) && r.status === 200));

  // The request kept its pipeline: one "Pipeline #N started", the parent's; the parent message links it.
  const started = h.thread('REQ-40').filter((m) => /Pipeline #\d+ started/.test(m.text)).map((m) => m.text);
  assert.equal(started.length, 1, JSON.stringify(started));
  assert.match(started[0]!, new RegExp(`Pipeline #${pipelineId} started`));
  assert.doesNotMatch(JSON.stringify(h.thread('REQ-40')), new RegExp(`Pipeline #${child.id}\\b`));
  const parent = JSON.stringify(h.parentOf('REQ-40')?.blocks);
  assert.match(parent, /Deployed/);
  assert.match(parent, new RegExp(`Pipeline #${pipelineId}\\b`));
  assert.doesNotMatch(parent, new RegExp(`Pipeline #${child.id}\\b`));
});
