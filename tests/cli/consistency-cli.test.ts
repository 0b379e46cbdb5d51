/**
 * `portcullis consistency` as the pipeline's verify stage runs it: rules and groups from
 * a checkout, the state from a file or from TF_HTTP_ADDRESS with basic auth (a loopback
 * server stands in for GitLab), AWS from the EC2 fake through the real SDK.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAwsCloud } from '../../src/aws/cloud.ts';
import { createConsistencyCommand, type Env } from '../../src/cli/consistency.ts';
import { exitCodeFor } from '../../src/cli/command.ts';
import { cloudFromEnv } from '../../src/aws/env.ts';
import { REPO_ROOT, startFakes, type Fakes } from '../../src/fakes/all.ts';
import { fakeAwsEnv } from '../../src/fakes/aws/index.ts';

let fakes: Fakes;
let dir: string;
const file = (name: string) => path.join(dir, name);

before(async () => {
  fakes = await startFakes();
  fakes.gitlab.driver.deployBranch();
  dir = await mkdtemp(path.join(tmpdir(), 'portcullis-consistency-'));
  await mkdir(file('rules'));
  await copyFile(path.join(REPO_ROOT, 'terraform/rules/REQ-1.json'), file('rules/REQ-1.json'));
  await copyFile(path.join(REPO_ROOT, 'terraform/groups.json'), file('groups.json'));
  await writeFile(file('state.json'), JSON.stringify(fakes.gitlab.driver.terraformState()));
  await writeFile(file('broken-state.json'), '{"version": 4, "resources": [');
});

after(async () => {
  await fakes.close();
  await rm(dir, { recursive: true });
});

/** AWS as the CLI reads it from its environment, pointed at the fake. */
function fakeCloud() {
  return cloudFromEnv(fakeAwsEnv(fakes.aws));
}

/** Runs the command as src/cli.ts's main does: a known error is exit 2 or 3 with one line on stderr. */
async function run(args: string[], env: Env = {}, cloud: ((env: Env) => ReturnType<typeof fakeCloud>) | null = fakeCloud) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t) };
  const command = createConsistencyCommand(cloud ? { env, cloud } : { env });
  try {
    return { code: await command.run(args, io), stdout, stderr };
  } catch (err) {
    const code = exitCodeFor(err);
    if (code === null) throw err;
    return { code, stdout, stderr: `portcullis consistency: ${(err as Error).message}\n` };
  }
}

const local = (...more: string[]) => ['--rules', file('rules'), '--groups', file('groups.json'), ...more];

describe('portcullis consistency with --state-file', () => {
  test('exit 0 in sync, with a passing JUnit case per rule and the JSON result', async () => {
    const r = await run(local('--state-file', file('state.json'), '--junit', file('in-sync.xml'), '--json', file('in-sync.json')));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^In sync: 1 rule in sync/);
    const xml = await readFile(file('in-sync.xml'), 'utf8');
    assert.match(xml, /<testsuite name="consistency" tests="1" failures="0"/);
    assert.match(xml, /<testcase name="REQ-1" classname="consistency.sg-front" time="0.000"\/>/);
    const json = JSON.parse(await readFile(file('in-sync.json'), 'utf8'));
    assert.equal(json.ok, true);
    assert.equal(json.counts.in_sync, 1);
  });

  test('exit 1 for a rule added by hand, failed in JUnit under its AWS rule id', async () => {
    const groupId = fakes.aws.driver.findGroupByName('sg-front')!.groupId;
    const byHand = fakes.aws.driver.authorizeIngress(groupId, { protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '198.51.100.0/24', description: 'debug <!channel>' });
    try {
      const r = await run(local('--state-file', file('state.json'), '--junit', file('drift.xml')));
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^Not in sync: 1 difference \(1 unmanaged in AWS\), 1 rule in sync\n/);
      assert.match(r.stdout, new RegExp(`\\[unmanaged in AWS\\] ${byHand} in sg-front: live in AWS but not in git`));
      const xml = await readFile(file('drift.xml'), 'utf8');
      assert.match(xml, /tests="2" failures="1"/);
      assert.match(xml, new RegExp(`<testcase name="unmanaged ${byHand}" classname="consistency.sg-front" time="0.000">\\n\\s*<failure message="unmanaged in AWS">`));
      assert.match(xml, /<testcase name="REQ-1" classname="consistency.sg-front" time="0.000"\/>/);
    } finally {
      fakes.aws.driver.revokeIngress(groupId, byHand);
    }
  });

  test('--format json prints the result', async () => {
    const r = await run(local('--state-file', file('state.json'), '--format', 'json'));
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout).findings, []);
  });

  const bad: Array<[string, () => string[], Env, RegExp]> = [
    ['a rules folder that does not exist', () => ['--rules', file('nope'), '--groups', file('groups.json'), '--state-file', file('state.json')], {}, /nope: cannot read the rules folder \(ENOENT\)/],
    ['a state file that is not JSON', () => local('--state-file', file('broken-state.json')), {}, /broken-state\.json: not JSON/],
    ['a state file that does not exist', () => local('--state-file', file('missing.json')), {}, /missing\.json: cannot read \(ENOENT\)/],
    ['no state file and no TF_HTTP_ADDRESS', () => local(), {}, /give --state-file FILE, or set TF_HTTP_ADDRESS/],
    ['an unknown option', () => local('--state', 'x'), {}, /Unknown option '--state'/],
  ];
  for (const [name, args, env, message] of bad) {
    test(`exit 2 for ${name}, one line on stderr`, async () => {
      const r = await run(args(), env);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    });
  }

  test('AWS not answering is a backend failure (exit 3), not bad input', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const e = fakes.endpoints;
    const down = () => createAwsCloud({ region: e.awsRegion, endpointEc2: endpoint, endpointSts: endpoint, credentials: { accessKeyId: e.awsAccessKeyId, secretAccessKey: e.awsSecretAccessKey }, maxAttempts: 1 });
    const r = await run(local('--state-file', file('state.json')), {}, down);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /^portcullis consistency: AWS /);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  test('exit 2 without AWS_REGION when AWS comes from the default chain', async () => {
    const r = await run(local('--state-file', file('state.json')), {}, null);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /AWS_REGION is not set/);
  });
});

describe('portcullis consistency with the state from TF_HTTP_ADDRESS', () => {
  const user = 'gitlab-ci-token';
  const password = 'job-token-secret';
  let server: Server;
  let base: string;
  const seen: Array<string | undefined> = [];

  before(async () => {
    const state = await readFile(file('state.json'), 'utf8');
    server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      if (req.headers.authorization !== `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"401 Unauthorized"}');
      } else if (req.method === 'GET' && req.url === '/api/v4/projects/1/terraform/state/portcullis') {
        // As GitLab serves it: the stored file, as binary.
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(state);
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"404 Not Found"}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v4/projects/1/terraform/state`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const env = (over: Env = {}): Env => ({ TF_HTTP_ADDRESS: `${base}/portcullis`, TF_HTTP_USERNAME: user, TF_HTTP_PASSWORD: password, ...over });

  test('reads the state with basic auth, as Terraform does: exit 0 in sync', async () => {
    seen.length = 0;
    const r = await run(local(), env());
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(seen, [`Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`]);
  });

  test('a wrong password is bad input (exit 2), and the password is not printed', async () => {
    const r = await run(local(), env({ TF_HTTP_PASSWORD: 'wrong-secret' }));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /reading the Terraform state from http:\/\/127\.0\.0\.1:\d+\/.*\/portcullis: HTTP 401/);
    assert.doesNotMatch(r.stderr, /wrong-secret/);
  });

  test('no state of that name yet: every rule is merged but not applied (exit 1)', async () => {
    const r = await run(local(), env({ TF_HTTP_ADDRESS: `${base}/other` }));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /\[not applied\] REQ-1 in sg-front/);
  });

  test('credentials in the address are sent as basic auth, never shown', async () => {
    seen.length = 0;
    const inAddress = base.replace('http://', `http://${user}:${password}@`);
    const r = await run(local(), { TF_HTTP_ADDRESS: `${inAddress}/portcullis` });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(seen, [`Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`]);
  });

  test('a state address nobody answers is a backend failure (exit 3), not bad input', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await run(local(), env({ TF_HTTP_ADDRESS: `http://${user}:${password}@127.0.0.1:${port}/state` }));
    assert.equal(r.code, 3);
    assert.match(r.stderr, /reading the Terraform state from http:\/\/127\.0\.0\.1:\d+\/state: ECONNREFUSED/);
    assert.doesNotMatch(r.stderr, new RegExp(password));
  });
});
