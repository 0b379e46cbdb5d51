import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeApproval, type ApprovalAttempt, type ApprovalRules } from '../../src/domain/approval.ts';
import { stateFromPipeline, requestIdOfBranch, type ChangeRequest, type RequestState } from '../../src/domain/request.ts';
import { changeRequest } from '../helpers/deps.ts';

const SHA = 'a'.repeat(40);
const request = (o: Partial<ChangeRequest> = {}): ChangeRequest =>
  changeRequest({ id: 'REQ-1', rule: null, requester: 'U_ALICE', mergeRequestIid: 1, pipelineId: 10, sha: SHA, deployJobId: 99, awaitingSince: '2026-11-25T10:00:00Z', createdAt: '2026-11-25T09:59:00Z', updatedAt: '2026-11-25T10:00:00Z', ...o });
const rules: ApprovalRules = { approvers: new Set(['U_BOB', 'U_CAROL', 'U_ALICE']), required: 1, ttlMs: 3600_000 };
const attempt = (o: Partial<ApprovalAttempt> = {}): ApprovalAttempt => ({
  request: request(),
  clicker: 'U_BOB',
  now: new Date('2026-11-25T10:30:00Z'),
  branchHead: SHA,
  approvedBy: [],
  changers: new Set(),
  unmappedChangers: 0,
  ...o,
});

describe('approving', () => {
  test('whoever made part of the change (started its pipeline, has commits on its branch) may not approve it', () => {
    const verdict = judgeApproval(rules, attempt({ request: request({ requester: null, kind: 'external' }), clicker: 'U_CAROL', changers: new Set(['U_CAROL']) }));
    assert.deepEqual(verdict.ok ? null : [verdict.code, /made part of this change/.test(verdict.reason)], ['self_approval', true]);
    assert.equal(judgeApproval(rules, attempt({ changers: new Set(['U_CAROL']) })).ok, true, 'another approver may');
  });

  test('while someone who made the change has no Slack user, two distinct approvals are needed', () => {
    const first = judgeApproval(rules, attempt({ unmappedChangers: 1 }));
    assert.deepEqual(first, { ok: true, approvedBy: ['U_BOB'], complete: false });
    const second = judgeApproval(rules, attempt({ unmappedChangers: 1, clicker: 'U_CAROL', approvedBy: ['U_BOB'] }));
    assert.deepEqual(second, { ok: true, approvedBy: ['U_BOB', 'U_CAROL'], complete: true });
    assert.equal((judgeApproval({ ...rules, required: 3 }, attempt({ unmappedChangers: 1, clicker: 'U_CAROL', approvedBy: ['U_BOB'] })) as { complete: boolean }).complete, false, 'more when configured');
  });

  test('an approver approves a waiting request for the current commit', () => {
    assert.deepEqual(judgeApproval(rules, attempt()), { ok: true, approvedBy: ['U_BOB'], complete: true });
  });

  const refusals: Array<[string, Partial<ApprovalAttempt>, string]> = [
    ['someone who is not an approver', { clicker: 'U_MALLORY' }, 'not_approver'],
    ['the requester, even an approver', { clicker: 'U_ALICE' }, 'self_approval'],
    ['a decided request', { request: request({ state: 'rejected' }) }, 'not_waiting'],
    ['a request already deploying', { request: request({ state: 'deploying' }) }, 'not_waiting'],
    ['after the approval TTL', { now: new Date('2026-11-25T11:00:01Z') }, 'expired'],
    ['a plan for an older commit', { branchHead: 'b'.repeat(40) }, 'stale_commit'],
    ['when the branch head is unknown', { branchHead: null }, 'stale_commit'],
    ['a second click by the same approver', { approvedBy: ['U_BOB'] }, 'already_approved'],
  ];
  for (const [who, change, code] of refusals) {
    test(`refuses ${who}`, () => {
      const verdict = judgeApproval({ ...rules, required: 2 }, attempt(change));
      assert.equal(verdict.ok, false);
      assert.equal(!verdict.ok && verdict.code, code);
      assert.ok(!verdict.ok && verdict.reason.length > 10);
    });
  }

  test('with two approvals required, the first is recorded and the second completes', () => {
    const two = { ...rules, required: 2 };
    assert.deepEqual(judgeApproval(two, attempt()), { ok: true, approvedBy: ['U_BOB'], complete: false });
    assert.deepEqual(judgeApproval(two, attempt({ clicker: 'U_CAROL', approvedBy: ['U_BOB'] })), { ok: true, approvedBy: ['U_BOB', 'U_CAROL'], complete: true });
  });
});

describe('state from the pipeline', () => {
  const view = (status: string, deploy?: string) => ({ status, jobs: new Map(deploy ? [['deploy', { id: 1, status: deploy }]] : []) });
  const cases: Array<[RequestState, ReturnType<typeof view>, RequestState]> = [
    ['submitted', view('running'), 'planning'],
    ['planning', view('manual', 'manual'), 'awaiting_approval'],
    ['deploying', view('manual', 'manual'), 'deploying'],
    ['awaiting_approval', view('running', 'running'), 'deploying'],
    ['deploying', view('running', 'success'), 'deployed'],
    ['planning', view('failed'), 'failed'],
    ['failed', view('running'), 'planning'],
    ['awaiting_approval', view('canceled', 'canceled'), 'cancelled'],
    ['rejected', view('canceled', 'canceled'), 'rejected'],
    ['expired', view('manual', 'manual'), 'expired'],
    ['deployed', view('running', 'success'), 'deployed'],
    // A pipeline that succeeded without the request's deploy job deployed nothing of it.
    ['planning', view('success'), 'failed'],
    ['awaiting_approval', view('success', 'skipped'), 'failed'],
  ];
  test('another environment\'s deploy job that succeeded does not deploy this request', () => {
    const pipeline = { status: 'success', jobs: new Map([['deploy:staging', { id: 7, status: 'success' }]]) };
    assert.equal(stateFromPipeline('awaiting_approval', pipeline, 'deploy:production'), 'failed');
    assert.equal(stateFromPipeline('awaiting_approval', pipeline, 'deploy:staging'), 'deployed');
  });
  for (const [from, pipeline, to] of cases) {
    test(`${from} + pipeline ${pipeline.status}/${pipeline.jobs.get('deploy')?.status ?? '-'} → ${to}`, () => {
      assert.equal(stateFromPipeline(from, pipeline, 'deploy'), to);
    });
  }

  test('only our branches name a request', () => {
    assert.equal(requestIdOfBranch('sg-request/REQ-12'), 'REQ-12');
    assert.equal(requestIdOfBranch('sg-request/../main'), null);
    assert.equal(requestIdOfBranch('main'), null);
  });
});

test('the requester is told it is their own request even when they are no approver', () => {
  const verdict = judgeApproval({ ...rules, approvers: new Set(['U_BOB']) }, attempt({ clicker: 'U_ALICE' }));
  assert.equal(!verdict.ok && verdict.code, 'self_approval');
});
