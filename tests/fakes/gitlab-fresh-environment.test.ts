/**
 * The first pipeline of a fresh environment: no state, no groups. Terraform plans the
 * groups with their inline ingress/egress computed (unknown until apply) and the rules as
 * separate resources; compliance must pass it and the deploy must create everything.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { Gitlab } from '@gitbeaker/rest';
import { startAwsFake, type AwsFake } from '../../src/fakes/aws/index.ts';
import { startGitLabFake, type GitLabFake } from '../../src/fakes/gitlab/index.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
let aws: AwsFake;
let gitlab: GitLabFake;

before(async () => {
  aws = await startAwsFake();
  gitlab = await startGitLabFake({ seed: { dir: REPO_ROOT }, ec2: aws.driver, jobDurationMs: 5 });
});
after(async () => {
  await gitlab.close();
  await aws.close();
});

test('the first pipeline on main passes compliance and its deploy creates the groups and rules', async () => {
  const api = new Gitlab({ host: gitlab.url, token: gitlab.token });
  const pipeline = await api.Pipelines.create(gitlab.projectId, 'main');
  await gitlab.driver.waitForPipeline(pipeline.id, ['manual', 'failed']);
  const jobs = new Map((await api.Jobs.all(gitlab.projectId, { pipelineId: pipeline.id })).map((j) => [j.name, j]));
  const compliance = (await api.JobArtifacts.downloadArchive(gitlab.projectId, { jobId: jobs.get('compliance')!.id, artifactPath: 'compliance.json' })) as unknown as { compliant: boolean; checked: number };
  assert.equal(jobs.get('compliance')?.status, 'success', JSON.stringify(compliance));
  assert.equal(compliance.compliant, true);
  assert.ok(compliance.checked >= 1, 'the rules on main were judged');

  await api.Jobs.play(gitlab.projectId, jobs.get('deploy')!.id);
  await gitlab.driver.waitForPipeline(pipeline.id, 'success');
  assert.deepEqual(aws.driver.groups().map((g) => g.groupName).sort(), ['sg-backend', 'sg-front']);
  assert.ok(aws.driver.rules().some((r) => r.tags['portcullis:request'] === 'REQ-1'));
});
