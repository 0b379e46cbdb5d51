/**
 * `portcullis import` on a group made elsewhere that holds rules of every kind: rule
 * files and import blocks are written, the inexpressible rule is listed (exit 1), the
 * first plan adopts every rule with 0 to add and 0 to destroy (only tags change, in
 * place), and once applied the next plan changes nothing and the rules are in sync.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkConsistency } from '../../src/checks/consistency-gather.ts';
import { importCommand } from '../../src/cli/import.ts';
import { parseGroupsFile } from '../../src/domain/groups.ts';
import { cloudFromEnv } from '../../src/aws/env.ts';
import { REPO_ROOT, startFakes, type Fakes } from '../../src/fakes/all.ts';
import { fakeAwsEnv } from '../../src/fakes/aws/index.ts';
import { FakeTerraform } from '../../src/fakes/gitlab/terraform/fake-terraform.ts';
import { TerraformStateStore } from '../../src/fakes/gitlab/terraform/state-store.ts';
import { analysePlan } from '../../src/plan/summary.ts';

let fakes: Fakes;
let dir: string;
let dbId: string;
let frontId: string;
const skippedRule: { id?: string } = {};

before(async () => {
  fakes = await startFakes();
  fakes.gitlab.driver.deployBranch();
  const ec2 = fakes.aws.driver;
  frontId = ec2.findGroupByName('sg-front')!.groupId;
  dbId = ec2.addSecurityGroup({ groupName: 'legacy-db', description: 'database tier', vpcId: 'vpc-0fa4e0000000000aa', tags: { team: 'data' } });
  const vpn = ec2.addPrefixList({ name: 'vpn', entries: ['10.8.0.0/16'] });
  ec2.authorizeIngress(dbId, { protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '10.0.0.0/16', description: 'office' });
  ec2.authorizeIngress(dbId, { protocol: 'tcp', fromPort: 5432, toPort: 5432, referencedGroupId: frontId, description: 'app', tags: { owner: 'data-team' } });
  ec2.authorizeIngress(dbId, { protocol: 'tcp', fromPort: 22, toPort: 22, prefixListId: vpn, description: 'vpn ssh' });
  ec2.authorizeIngress(dbId, { protocol: 'icmp', fromPort: -1, toPort: -1, cidr: '10.1.0.0/16' });
  ec2.authorizeEgress(dbId, { protocol: '-1', fromPort: null, toPort: null, cidr: '::/0', description: 'all out v6' });
  ec2.authorizeEgress(dbId, { protocol: 'tcp', fromPort: 443, toPort: 443, referencedGroupId: frontId, description: 'to front' });
  // AWS takes characters in a description that a rule file does not.
  skippedRule.id = ec2.authorizeIngress(dbId, { protocol: 'tcp', fromPort: 6432, toPort: 6432, cidr: '10.2.0.0/16', description: 'café' });

  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-import-'));
  await mkdir(path.join(dir, 'terraform', 'rules'), { recursive: true });
  await copyFile(path.join(REPO_ROOT, 'terraform/rules/REQ-1.json'), path.join(dir, 'terraform/rules/REQ-1.json'));
  const groups = JSON.parse(await readFile(path.join(REPO_ROOT, 'terraform/groups.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(path.join(dir, 'terraform/groups.json'), JSON.stringify({ ...groups, 'sg-db': { id: dbId } }, null, 2));
});

after(async () => {
  await fakes.close();
  await rm(dir, { recursive: true });
});

/** AWS as the CLI reads it from its environment, pointed at the fake. */
function fakeCloud() {
  return cloudFromEnv(fakeAwsEnv(fakes.aws));
}

/** The checkout as the fake Terraform reads a commit. */
async function checkout() {
  const files = new Map<string, Buffer>();
  for (const name of await readdir(path.join(dir, 'terraform'))) {
    if (name !== 'rules') files.set(`terraform/${name}`, await readFile(path.join(dir, 'terraform', name)));
  }
  for (const name of await readdir(path.join(dir, 'terraform/rules'))) files.set(`terraform/rules/${name}`, await readFile(path.join(dir, 'terraform/rules', name)));
  return { readFile: (p: string) => files.get(p), listFiles: (prefix: string) => [...files.keys()].filter((p) => p.startsWith(prefix)), files };
}

test('import writes a rule file per expressible rule and the import blocks; the first plan adopts them, the next changes nothing', async () => {
  const out: string[] = [];
  const command = importCommand({ env: {}, cloud: fakeCloud, now: () => new Date('2026-05-01T00:00:00Z') });
  const t = (p: string) => path.join(dir, p);
  const code = await command.run(['--group', 'sg-db', '--groups', t('terraform/groups.json'), '--rules', t('terraform/rules'), '--terraform', t('terraform')], { stdout: (s) => out.push(s), stderr: (s) => out.push(s) });
  const text = out.join('');
  assert.equal(code, 1, `one rule cannot be expressed:\n${text}`);
  assert.match(text, /6 rule\(s\) written, 1 not expressible/);
  assert.match(text, new RegExp(`! ${skippedRule.id}: description`));

  const { files, ...commit } = await checkout();
  const imports = files.get('terraform/imports-sg-db.tf')!.toString();
  assert.equal((imports.match(/^import \{/gm) ?? []).length, 6);
  const written = [...files.keys()].filter((p) => /rules\/IMP-/.test(p)).map((p) => JSON.parse(files.get(p)!.toString()) as Record<string, unknown>);
  assert.deepEqual(
    written.map((r) => `${r.direction} ${r.protocol} ${r.cidr ?? r.peer_group ?? r.prefix_list}`).sort(),
    ['egress -1 ::/0', 'egress tcp sg-front', 'ingress icmp 10.1.0.0/16', 'ingress tcp 10.0.0.0/16', `ingress tcp ${fakes.aws.driver.prefixLists()[0]!.prefixListId}`, 'ingress tcp sg-front'],
    'a peer group is named by its groups.json key',
  );

  const store = new TerraformStateStore();
  store.write('portcullis', Buffer.from(JSON.stringify(fakes.gitlab.driver.terraformState())));
  const terraform = new FakeTerraform(store, { region: 'us-east-1', accountId: '123456789012', vpcId: 'vpc-0fa4e0000000000aa', defaultTags: { 'portcullis:managed-by': 'terraform' }, terraformVersion: '1.9.8' });
  const first = terraform.plan(commit, 'portcullis', fakes.aws.driver);
  assert.ok(first.ok, first.ok ? '' : first.error);
  const { counts } = analysePlan(JSON.parse(JSON.stringify(first.plan)));
  assert.deepEqual([counts.add, counts.destroy, counts.replace], [0, 0, 0], 'nothing added or destroyed');
  const importing = first.plan.resource_changes.filter((c) => c.change.importing);
  assert.equal(importing.length, 6);
  for (const c of importing) {
    const changed = Object.keys(c.change.after!).filter((k) => JSON.stringify(c.change.after![k]) !== JSON.stringify(c.change.before![k]));
    assert.deepEqual(changed.filter((k) => k !== 'tags' && k !== 'tags_all'), [], `${c.address} changes only its tags`);
  }
  assert.ok(!first.plan.resource_changes.some((c) => c.address.includes('sg-db')), 'the existing group is never a resource');

  const live = () => JSON.stringify(fakes.aws.driver.rules().map(({ tags: _t, ...r }) => r).sort((a, b) => a.ruleId.localeCompare(b.ruleId)));
  const before = live();
  assert.ok(terraform.apply(first.saved, 'portcullis', fakes.aws.driver, () => {}).ok);
  assert.equal(live(), before, 'no live rule was added, removed or changed (tags aside)');

  const second = terraform.plan(commit, 'portcullis', fakes.aws.driver);
  assert.ok(second.ok);
  assert.deepEqual(second.plan.resource_changes.filter((c) => !c.change.actions.includes('no-op')), [], 'the plan after the import changes nothing');
  assert.match(second.text, /^No changes\./);

  const ruleFiles = [...files].filter(([p]) => p.startsWith('terraform/rules/')).map(([p, b]) => ({ path: p, text: b.toString() }));
  const result = await checkConsistency({ ruleFiles, groups: parseGroupsFile(files.get('terraform/groups.json')!.toString()), stateText: store.raw('portcullis')!.toString() }, fakeCloud());
  assert.deepEqual(result.findings.map((f) => [f.kind, f.awsRuleId]), [['unmanaged_in_aws', skippedRule.id]], 'only the inexpressible rule is left unmanaged');
  assert.equal(result.counts.in_sync, 7);
});
