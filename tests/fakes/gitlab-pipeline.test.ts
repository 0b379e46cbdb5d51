/**
 * The real @gitbeaker/rest against the GitLab fake, through the whole request flow:
 * branch, commit, merge request, pipeline with variables, artifacts, play the manual
 * deploy, the fake EC2 and the Terraform state afterwards, merge.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { Gitlab } from '@gitbeaker/rest';
import { startAwsFake, type AwsFake } from '../../src/fakes/aws/index.ts';
import { startGitLabFake, type GitLabFake } from '../../src/fakes/gitlab/index.ts';
import { parseRuleFile, serializeRuleFile } from '../../src/domain/rule.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

let aws: AwsFake;
let gitlab: GitLabFake;
let api: InstanceType<typeof Gitlab>;

before(async () => {
  aws = await startAwsFake();
  gitlab = await startGitLabFake({ seed: { dir: REPO_ROOT }, ec2: aws.driver, jobDurationMs: 5 });
  api = new Gitlab({ host: gitlab.url, token: gitlab.token });
  // The rules already on main are live, as after an earlier deploy.
  gitlab.driver.deployBranch();
});

after(async () => {
  await gitlab.close();
  await aws.close();
});

function ruleText(id: string, cidr: string, overrides: Record<string, unknown> = {}): string {
  const rule = { id, group: 'sg-front', protocol: 'tcp', from_port: 443, to_port: 443, cidr, description: 'partner API', requester: 'U0123', ...overrides };
  return serializeRuleFile(parseRuleFile(JSON.stringify(rule)));
}

async function waitForStatus(pipelineId: number, wanted: string[]): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const p = await api.Pipelines.show(gitlab.projectId, pipelineId);
    if (wanted.includes(p.status)) return p.status;
    if (Date.now() > deadline) throw new Error(`pipeline ${pipelineId} still ${p.status}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function jobsByName(pipelineId: number) {
  const jobs = await api.Jobs.all(gitlab.projectId, { pipelineId });
  return new Map(jobs.map((j) => [j.name, j]));
}

test('a rule goes from a branch and merge request through plan, compliance and the played deploy into EC2 and the state', async () => {
  const pid = gitlab.projectId;
  const branch = await api.Branches.create(pid, 'request/REQ-900', 'main');
  assert.equal(branch.name, 'request/REQ-900');
  const commit = await api.Commits.create(pid, 'request/REQ-900', 'REQ-900: partner API', [
    { action: 'create', filePath: 'terraform/rules/REQ-900.json', content: ruleText('REQ-900', '203.0.113.5/32') },
  ]);
  assert.match(commit.id, /^[0-9a-f]{40}$/);
  const mr = await api.MergeRequests.create(pid, 'request/REQ-900', 'main', 'REQ-900: partner API');
  assert.equal(mr.state, 'opened');
  assert.equal(mr.sha, commit.id);

  const pipeline = await api.Pipelines.create(pid, 'request/REQ-900', { variables: [{ key: 'PORTCULLIS_REQUEST', value: 'REQ-900' }] });
  assert.equal(pipeline.sha, commit.id);
  assert.equal(await waitForStatus(pipeline.id, ['manual', 'failed', 'success']), 'manual');
  const variables = await api.Pipelines.allVariables(pid, pipeline.id);
  assert.deepEqual(variables.map((v) => [v.key, v.value]), [['PORTCULLIS_REQUEST', 'REQ-900']]);

  let jobs = await jobsByName(pipeline.id);
  assert.equal(jobs.get('plan')?.status, 'success');
  assert.equal(jobs.get('compliance')?.status, 'success');
  assert.equal(jobs.get('deploy')?.status, 'manual');
  assert.equal(jobs.get('consistency')?.status, 'created');
  assert.equal(jobs.has('service-checks'), false, 'trigger jobs are listed as bridges, not jobs');
  const bridges = await api.Jobs.allPipelineBridges(pid, pipeline.id);
  assert.deepEqual(bridges.map((b) => [b.name, b.status]), [['service-checks', 'created']]);
  const manual = await api.Jobs.all(pid, { pipelineId: pipeline.id, scope: 'manual' });
  assert.deepEqual(manual.map((j) => j.name), ['deploy']);

  const planJobId = jobs.get('plan')!.id;
  const plan = (await api.JobArtifacts.downloadArchive(pid, { jobId: planJobId, artifactPath: 'plan.json' })) as unknown as {
    format_version: string;
    resource_changes: Array<{ address: string; type: string; change: { actions: string[]; after: Record<string, unknown>; after_unknown: Record<string, unknown> } }>;
  };
  assert.equal(plan.format_version, '1.2');
  const created = plan.resource_changes.find((c) => c.address === 'aws_vpc_security_group_ingress_rule.rule["REQ-900"]');
  assert.ok(created, 'the new rule is in the plan');
  assert.deepEqual(created.change.actions, ['create']);
  assert.equal(created.change.after.cidr_ipv4, '203.0.113.5/32');
  assert.equal(created.change.after.ip_protocol, 'tcp');
  assert.equal(created.change.after.security_group_id, aws.driver.findGroupByName('sg-front')!.groupId);
  assert.equal((created.change.after.tags as Record<string, string>)['portcullis:request'], 'REQ-900');
  assert.equal(created.change.after_unknown.security_group_rule_id, true);
  const existing = plan.resource_changes.find((c) => c.address === 'aws_vpc_security_group_ingress_rule.rule["REQ-1"]');
  assert.deepEqual(existing?.change.actions, ['no-op'], 'the rule already on main is unchanged');

  const planText = await api.JobArtifacts.downloadArchive(pid, { jobId: planJobId, artifactPath: 'plan.txt' });
  assert.equal(typeof planText, 'string');
  assert.match(String(planText), /# aws_vpc_security_group_ingress_rule\.rule\["REQ-900"\] will be created/);
  assert.match(String(planText), /Plan: 1 to add, 0 to change, 0 to destroy\./);
  const report = (await api.JobArtifacts.downloadArchive(pid, { jobId: jobs.get('compliance')!.id, artifactPath: 'compliance.json' })) as unknown as { compliant: boolean; checked: number };
  assert.equal(report.compliant, true);
  assert.equal(report.checked, 1);
  const trace = await api.Jobs.showLog(pid, planJobId);
  assert.match(trace, /\$ terraform -chdir="\$TF_ROOT" plan/);
  assert.match(trace, /Job succeeded\n$/);

  // Playing a job that is not waiting is refused as GitLab refuses it.
  await assert.rejects(api.Jobs.play(pid, jobs.get('compliance')!.id), (err: Error & { cause?: { response?: Response } }) => {
    assert.equal(err.message, '400 Bad request - Unplayable Job');
    assert.equal(err.cause?.response?.status, 400);
    return true;
  });

  const played = await api.Jobs.play(pid, jobs.get('deploy')!.id, { jobVariablesAttributes: [{ key: 'APPROVED_BY', value: 'U0456' }] });
  assert.equal(played.name, 'deploy');
  assert.equal(played.status, 'pending');
  assert.equal(await waitForStatus(pipeline.id, ['success', 'failed']), 'success');
  jobs = await jobsByName(pipeline.id);
  assert.equal(jobs.get('consistency')?.status, 'success');
  // service-checks ran as a child pipeline: its own pipeline, on the same ref and commit.
  const [bridge] = await api.Jobs.allPipelineBridges(pid, pipeline.id);
  assert.equal(bridge?.status, 'success');
  const childId = (bridge?.downstream_pipeline as { id: number } | null)?.id;
  assert.ok(childId !== undefined && childId > pipeline.id, `downstream_pipeline ${JSON.stringify(bridge?.downstream_pipeline)}`);
  const child = await api.Pipelines.show(pid, childId);
  assert.deepEqual([child.source, child.ref, child.sha, child.status], ['parent_pipeline', 'request/REQ-900', commit.id, 'success']);
  const childJobs = await jobsByName(childId);
  assert.deepEqual([...childJobs.keys()], ['service-checks']);
  assert.match(await api.Jobs.showLog(pid, childJobs.get('service-checks')!.id), /Using Docker executor with image 127\.0\.0\.1:5050\/portcullis\/firewall:0\.1\.0 /);
  // Only the trigger job's variables and the one top-level variable it inherits reach the child.
  const passed = await api.Pipelines.allVariables(pid, childId);
  assert.deepEqual(passed.map((v) => [v.key, v.value]).sort(), [['PORTCULLIS_IMAGE', '127.0.0.1:5050/portcullis/firewall:0.1.0'], ['SERVICE_CHECK_GROUP', 'sg-front'], ['SERVICE_CHECK_GROUPS_FILE', 'terraform/groups.json']]);
  // As in GitLab, the list leaves child pipelines out unless asked for them.
  assert.deepEqual((await api.Pipelines.all(pid, { ref: 'request/REQ-900' })).map((p) => p.id), [pipeline.id]);
  assert.deepEqual((await api.Pipelines.all(pid, { ref: 'request/REQ-900', source: 'parent_pipeline' })).map((p) => p.id), [childId]);
  const head = (await api.MergeRequests.show(pid, mr.iid)).head_pipeline as { id: number } | null;
  assert.equal(head?.id, pipeline.id, 'a child is never the head pipeline');
  assert.match(await api.Jobs.showLog(pid, jobs.get('deploy')!.id), /Apply complete! Resources: 1 added, 0 changed, 0 destroyed\./);

  const live = aws.driver.rules().find((r) => r.tags['portcullis:request'] === 'REQ-900');
  assert.ok(live, 'the rule is in the fake EC2');
  assert.equal(live.cidr, '203.0.113.5/32');
  assert.equal(live.fromPort, 443);
  assert.equal(live.tags['portcullis:requester'], 'U0123');

  // GitLab serves the state file as binary: gitbeaker hands over a Blob.
  const stateBlob = (await api.ProjectTerraformState.show(pid, 'portcullis')) as unknown as Blob;
  const state = JSON.parse(await stateBlob.text()) as {
    version: number;
    resources: Array<{ type: string; instances: Array<{ index_key: string; attributes: Record<string, unknown> }> }>;
    outputs: { rule_ids: { value: Record<string, string> } };
  };
  assert.equal(state.version, 4);
  const ruleInstances = state.resources.find((r) => r.type === 'aws_vpc_security_group_ingress_rule')!.instances;
  const inState = ruleInstances.find((i) => i.index_key === 'REQ-900');
  assert.equal(inState?.attributes.security_group_rule_id, live.ruleId);
  assert.equal(state.outputs.rule_ids.value['REQ-900'], live.ruleId);

  const merged = await api.MergeRequests.merge(pid, mr.iid, { sha: commit.id });
  assert.equal(merged.state, 'merged');
  assert.match(String(merged.merge_commit_sha), /^[0-9a-f]{40}$/);
  const onMain = await api.RepositoryFiles.show(pid, 'terraform/rules/REQ-900.json', 'main');
  assert.equal(Buffer.from(onMain.content, 'base64').toString('utf8'), ruleText('REQ-900', '203.0.113.5/32'));

  // main now matches what is deployed: its pipeline plans no change.
  const mainPipeline = await api.Pipelines.create(pid, 'main');
  assert.equal(await waitForStatus(mainPipeline.id, ['manual', 'failed']), 'manual');
  const mainPlan = await api.JobArtifacts.downloadArchive(pid, { jobId: (await jobsByName(mainPipeline.id)).get('plan')!.id, artifactPath: 'plan.txt' });
  assert.match(String(mainPlan), /^No changes\. Your infrastructure matches the configuration\./);
});

test('a removed rule file plans a delete and the deploy revokes the rule', async () => {
  const pid = gitlab.projectId;
  const before = aws.driver.rules().find((r) => r.tags['portcullis:request'] === 'REQ-1');
  assert.ok(before, 'REQ-1 from main is live');
  await api.Commits.create(pid, 'remove/REQ-1', 'Remove REQ-1', [{ action: 'delete', filePath: 'terraform/rules/REQ-1.json' }], { startBranch: 'main' });
  const pipeline = await api.Pipelines.create(pid, 'remove/REQ-1');
  assert.equal(await waitForStatus(pipeline.id, ['manual', 'failed']), 'manual');
  const jobs = await jobsByName(pipeline.id);
  const plan = (await api.JobArtifacts.downloadArchive(pid, { jobId: jobs.get('plan')!.id, artifactPath: 'plan.json' })) as unknown as {
    resource_changes: Array<{ address: string; change: { actions: string[] }; action_reason?: string }>;
  };
  const removed = plan.resource_changes.find((c) => c.address === 'aws_vpc_security_group_ingress_rule.rule["REQ-1"]');
  assert.deepEqual(removed?.change.actions, ['delete']);
  assert.equal(removed?.action_reason, 'delete_because_each_key');
  await api.Jobs.play(pid, jobs.get('deploy')!.id);
  assert.equal(await waitForStatus(pipeline.id, ['success', 'failed']), 'success');
  assert.equal(aws.driver.rules().some((r) => r.ruleId === before.ruleId), false);
});

test('a rule file that does not parse fails the plan job, naming the file, and skips what follows', async () => {
  const pid = gitlab.projectId;
  await api.Commits.create(pid, 'broken', 'Broken rule', [{ action: 'create', filePath: 'terraform/rules/BAD-1.json', content: '{"id": "BAD-1", "group": "sg-front"}' }], {
    startBranch: 'main',
  });
  const pipeline = await api.Pipelines.create(pid, 'broken');
  assert.equal(await waitForStatus(pipeline.id, ['failed', 'manual']), 'failed');
  const jobs = await jobsByName(pipeline.id);
  assert.equal(jobs.get('plan')?.status, 'failed');
  assert.equal(jobs.get('plan')?.failure_reason, 'script_failure');
  assert.equal(jobs.get('compliance')?.status, 'skipped');
  assert.equal(jobs.get('deploy')?.status, 'skipped');
  const trace = await api.Jobs.showLog(pid, jobs.get('plan')!.id);
  assert.match(trace, /terraform\/rules\/BAD-1\.json/);
  assert.match(trace, /ERROR: Job failed: exit code 1\n$/);
  await assert.rejects(api.JobArtifacts.downloadArchive(pid, { jobId: jobs.get('plan')!.id, artifactPath: 'plan.json' }), /404/);
});

test('a deny from the policy fails compliance but keeps its report (artifacts when: always)', async () => {
  const pid = gitlab.projectId;
  await api.Commits.create(pid, 'ssh-world', 'SSH from anywhere', [
    { action: 'create', filePath: 'terraform/rules/REQ-901.json', content: ruleText('REQ-901', '0.0.0.0/0', { from_port: 22, to_port: 22, description: 'ssh' }) },
  ], { startBranch: 'main' });
  const pipeline = await api.Pipelines.create(pid, 'ssh-world');
  assert.equal(await waitForStatus(pipeline.id, ['failed', 'manual']), 'failed');
  const jobs = await jobsByName(pipeline.id);
  assert.equal(jobs.get('compliance')?.status, 'failed');
  assert.equal(jobs.get('deploy')?.status, 'skipped');
  assert.equal(jobs.get('consistency')?.status, 'skipped', 'needs: [deploy] on a skipped deploy skips too');
  const report = (await api.JobArtifacts.downloadArchive(pid, { jobId: jobs.get('compliance')!.id, artifactPath: 'compliance.json' })) as unknown as {
    compliant: boolean;
    violations: Array<{ policy: string }>;
  };
  assert.equal(report.compliant, false);
  assert.ok(report.violations.some((v) => v.policy === 'public-ingress-no-admin-ports'));
});

test('scripted outcomes: a failing job fails the pipeline, a retry gets a new id and can pass', async () => {
  const pid = gitlab.projectId;
  gitlab.driver.scriptJob('validate', { fail: 'Error: Unsupported argument' });
  try {
    const pipeline = await api.Pipelines.create(pid, 'main');
    assert.equal(await waitForStatus(pipeline.id, ['failed', 'manual']), 'failed');
    let jobs = await jobsByName(pipeline.id);
    assert.equal(jobs.get('validate')?.status, 'failed');
    assert.equal(jobs.get('plan')?.status, 'skipped');
    assert.match(await api.Jobs.showLog(pid, jobs.get('validate')!.id), /Error: Unsupported argument/);

    gitlab.driver.clearJobScripts();
    const retried = await api.Jobs.retry(pid, jobs.get('validate')!.id);
    assert.notEqual(retried.id, jobs.get('validate')!.id);
    assert.equal(await waitForStatus(pipeline.id, ['manual', 'failed']), 'manual');
    jobs = await jobsByName(pipeline.id);
    assert.equal(jobs.get('validate')?.id, retried.id, 'the list shows the latest job of each name');
    const all = await api.Jobs.all(pid, { pipelineId: pipeline.id, includeRetried: true });
    assert.equal(all.filter((j) => j.name === 'validate').length, 2);

    const canceled = await api.Pipelines.cancel(pid, pipeline.id);
    assert.equal(canceled.status, 'canceled');
    const deploy = (await jobsByName(pipeline.id)).get('deploy')!;
    assert.equal(deploy.status, 'canceled');
    await assert.rejects(api.Jobs.play(pid, deploy.id), /Unplayable Job/);
  } finally {
    gitlab.driver.clearJobScripts();
  }
});

test('a failing child pipeline fails its depend trigger job and the parent; cancelling the parent cancels the child', async () => {
  const pid = gitlab.projectId;
  gitlab.driver.push('children/one', { 'terraform/rules/REQ-902.json': ruleText('REQ-902', '203.0.113.9/32') });
  gitlab.driver.scriptJob('service-checks', { fail: 'GET http://127.77.0.10:80/ refused' });
  try {
    const failing = await api.Pipelines.create(pid, 'children/one');
    assert.equal(await waitForStatus(failing.id, ['manual', 'failed']), 'manual');
    await api.Jobs.play(pid, (await jobsByName(failing.id)).get('deploy')!.id);
    assert.equal(await waitForStatus(failing.id, ['success', 'failed']), 'failed');
    const [bridge] = await api.Jobs.allPipelineBridges(pid, failing.id);
    assert.equal(bridge?.status, 'failed', 'strategy: depend hands the child\'s failure to the trigger job');
    const child = await api.Pipelines.show(pid, (bridge!.downstream_pipeline as { id: number }).id);
    assert.equal(child.status, 'failed');
  } finally {
    gitlab.driver.clearJobScripts();
  }

  // A child that takes its time: the trigger job waits (pending), then the parent is cancelled.
  gitlab.driver.scriptJob('service-checks', { durationMs: 5000 });
  try {
    const slow = await api.Pipelines.create(pid, 'children/one');
    assert.equal(await waitForStatus(slow.id, ['manual', 'failed']), 'manual');
    await api.Jobs.play(pid, (await jobsByName(slow.id)).get('deploy')!.id);
    const deadline = Date.now() + 5000;
    let bridge = (await api.Jobs.allPipelineBridges(pid, slow.id))[0]!;
    while (!bridge.downstream_pipeline) {
      if (Date.now() > deadline) throw new Error('no child pipeline');
      await new Promise((r) => setTimeout(r, 10));
      bridge = (await api.Jobs.allPipelineBridges(pid, slow.id))[0]!;
    }
    assert.equal(bridge.status, 'pending', 'a depend trigger job waits for its child as pending');
    assert.equal((await api.Pipelines.show(pid, slow.id)).status, 'running');
    await api.Pipelines.cancel(pid, slow.id);
    const childId = (bridge.downstream_pipeline as { id: number }).id;
    assert.equal((await api.Pipelines.show(pid, childId)).status, 'canceled');
    assert.equal((await api.Jobs.allPipelineBridges(pid, slow.id))[0]?.status, 'canceled');
    assert.equal((await api.Pipelines.show(pid, slow.id)).status, 'canceled');
  } finally {
    gitlab.driver.clearJobScripts();
  }
});

test('a trigger job whose child cannot be created fails with downstream_pipeline_creation_failed', async () => {
  const pid = gitlab.projectId;
  gitlab.driver.push('children/none', { 'terraform/ci/service-checks.yml': null, 'terraform/rules/REQ-903.json': ruleText('REQ-903', '203.0.113.10/32') });
  const pipeline = await api.Pipelines.create(pid, 'children/none');
  assert.equal(await waitForStatus(pipeline.id, ['manual', 'failed']), 'manual');
  await api.Jobs.play(pid, (await jobsByName(pipeline.id)).get('deploy')!.id);
  assert.equal(await waitForStatus(pipeline.id, ['success', 'failed']), 'failed');
  const [bridge] = await api.Jobs.allPipelineBridges(pid, pipeline.id);
  assert.deepEqual([bridge?.status, bridge?.failure_reason, bridge?.downstream_pipeline], ['failed', 'downstream_pipeline_creation_failed', null]);
});
