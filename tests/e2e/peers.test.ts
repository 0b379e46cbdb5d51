/**
 * Every kind of peer, both directions, with the bot as a process: asked inline, written
 * as a rule file, planned, approved, live in the fake EC2 and found in sync; a group made
 * elsewhere (named by id in groups.json) takes rules but is never created or destroyed;
 * an ingress from a prefix list the policy does not name as private is judged public.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { APPROVER, Harness, REQUESTER } from './harness.ts';

let h: Harness;
let dbId: string;
let frontId: string;
let vendorList: string;

before(async () => {
  h = await Harness.start();
  const ec2 = h.fakes.aws.driver;
  // A group the platform team made long ago, and a prefix list of a vendor.
  dbId = ec2.addSecurityGroup({ groupName: 'legacy-db', description: 'database tier', vpcId: 'vpc-0fa4e0000000000aa' });
  vendorList = ec2.addPrefixList({ name: 'vendor-api', entries: ['198.51.100.0/24'] });
  frontId = ec2.findGroupByName('sg-front')!.groupId;
  const groups = JSON.parse(h.fakes.gitlab.driver.readFile('main', 'terraform/groups.json')!) as Record<string, unknown>;
  h.fakes.gitlab.driver.push('main', { 'terraform/groups.json': JSON.stringify({ ...groups, 'sg-db': { id: dbId } }, null, 2) }, 'Declare the existing database group');
  h.fakes.gitlab.driver.deployBranch();
});
after(() => h.close());

const cases: Array<{ text: string; group: () => string; egress: boolean; peer: () => Record<string, string> }> = [
  { text: 'sg-db tcp 5432 from sg-front "app to db"', group: () => dbId, egress: false, peer: () => ({ referencedGroupId: frontId }) },
  { text: 'sg-front tcp 5432 to sg-db "app to db"', group: () => frontId, egress: true, peer: () => ({ referencedGroupId: dbId }) },
  { text: `sg-db tcp 5432 from ${'sg-'}ID "by id"`, group: () => dbId, egress: false, peer: () => ({ referencedGroupId: frontId }) },
  { text: 'sg-front egress tcp 443 to PL "vendor API"', group: () => frontId, egress: true, peer: () => ({ prefixListId: vendorList }) },
  { text: 'sg-front tcp 8443 to 2001:db8::/32 "partner v6"', group: () => frontId, egress: true, peer: () => ({ cidr: '2001:db8::/32' }) },
  { text: 'sg-db tcp 5432 from 10.20.0.0/16 "office"', group: () => dbId, egress: false, peer: () => ({ cidr: '10.20.0.0/16' }) },
];

test('each peer kind, ingress and egress, goes from the sentence to a live rule in sync', async () => {
  for (const [i, c] of cases.entries()) {
    const id = `REQ-${i + 2}`;
    // The third case names the peer by its id; the sg- id of sg-front is known only now.
    const text = c.text.replace('sg-ID', frontId).replace(' PL ', ` ${vendorList} `).replace('by id"', `by id ${i}"`);
    await h.fakes.slack.driver.runSlashCommand({ user: REQUESTER, command: '/sg-request', text: i === 2 ? text.replace('5432', '5433') : text });
    const approval = await h.waitForApprovalRequest(id);
    const file = JSON.parse(h.fakes.gitlab.driver.readFile(`sg-request/${id}`, `terraform/rules/${id}.json`)!) as Record<string, unknown>;
    assert.equal(file.direction, c.egress ? 'egress' : 'ingress', `${id}: ${text}`);
    await h.click(APPROVER, approval, 'approve');
    const deployed = await h.waitFor(`${id} deployed`, () => h.threadMessage(id, /^Deployed/));
    const live = h.fakes.aws.driver.rules().find((r) => r.tags['portcullis:request'] === id);
    assert.ok(live, `${id} is live`);
    assert.equal(live.groupId, c.group());
    assert.equal(live.isEgress, c.egress);
    for (const [k, v] of Object.entries(c.peer())) assert.equal((live as unknown as Record<string, unknown>)[k], v, `${id} ${k}`);
    const consistency = await h.waitFor(`${id} consistency`, () => h.threadMessage(id, /sync/));
    assert.match(consistency.text + JSON.stringify(consistency.blocks ?? ''), /In sync/, `${id}: ${deployed.text}`);
  }
  // The existing group was read, never created, changed or destroyed.
  assert.deepEqual(h.fakes.aws.driver.groups().filter((g) => g.groupName === 'sg-db'), [], 'no group named after the key was created');
  assert.ok(h.fakes.aws.driver.groups().some((g) => g.groupId === dbId && g.groupName === 'legacy-db'));
  const state = h.fakes.gitlab.driver.terraformState() as { resources: Array<{ mode: string; type: string; name: string; instances: Array<{ index_key: string }> }> };
  const managedGroups = state.resources.filter((r) => r.mode === 'managed' && r.type === 'aws_security_group').flatMap((r) => r.instances.map((i) => i.index_key));
  assert.ok(!managedGroups.includes('sg-db'), 'sg-db is a data source, never a managed resource');
});

test('ingress from a prefix list the policy does not name as private is judged as public: refused, nothing created', async () => {
  const writes = () => h.fakes.gitlab.driver.requests().filter((r) => r.method !== 'GET').length;
  const before = writes();
  await h.fakes.slack.driver.runSlashCommand({ user: REQUESTER, command: '/sg-request', text: `sg-db tcp 5432 from ${vendorList} "vendor to db"` });
  await h.waitFor('the refusal', () => h.fakes.slack.driver.ephemerals(REQUESTER).find((e) => /public-ingress-web-only/.test(e.text)));
  assert.equal(writes(), before);
});

test('a peer that AWS does not have is refused before anything is created', async () => {
  const writes = () => h.fakes.gitlab.driver.requests().filter((r) => r.method !== 'GET').length;
  const before = writes();
  await h.fakes.slack.driver.runSlashCommand({ user: REQUESTER, command: '/sg-request', text: 'sg-front tcp 443 to pl-0123456789abcdef0 "nobody"' });
  await h.waitFor('the refusal', () => h.fakes.slack.driver.ephemerals(REQUESTER).find((e) => /prefix list pl-0123456789abcdef0 does not exist/.test(e.text)));
  const other = h.fakes.aws.driver.addSecurityGroup({ groupName: 'elsewhere', vpcId: 'vpc-0fa4e00000000000bb' });
  await h.fakes.slack.driver.runSlashCommand({ user: REQUESTER, command: '/sg-request', text: `sg-front tcp 443 to ${other} "another vpc"` });
  await h.waitFor('the refusal', () => h.fakes.slack.driver.ephemerals(REQUESTER).find((e) => /is in vpc-0fa4e00000000000bb/.test(e.text)));
  assert.equal(writes(), before);
});
