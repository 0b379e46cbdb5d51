import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../src/config.ts';

const base = {
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-botsecretvalue',
  SLACK_APP_TOKEN: 'xapp-1-A111-333-appsecretvalue',
  GITLAB_TOKEN: 'glpat-gitlabsecretvalue0',
  GITLAB_WEBHOOK_SECRET: 'hook-secret-0123456789',
  SLACK_CHANNEL_ID: 'C0CHANNEL',
  GITLAB_URL: 'http://127.0.0.1:8929/',
  GITLAB_PROJECT: 'platform/firewall',
  APPROVAL_TTL: '8h',
};

const FILE = 'portcullis.environments.yaml';
const TWO = `
environments:
  staging:
    aws: { account_id: "111111111111", region: eu-west-1, role_arn: "arn:aws:iam::111111111111:role/portcullis-read" }
    approvals: { approver_ids: [U0STAGE] }
  production:
    aws: { account_id: "222222222222", region: us-east-1 }
    terraform_state: prod-firewall
    channel: C0PRODOPS
    approvals: { approver_ids: [U0PRODA, U0PRODB], approver_group: S0PRODSEC, required: 2, ttl: 2h }
`;

const load = (text: string, env: Record<string, string> = {}) => loadConfig({ ...base, ENVIRONMENTS_FILE: FILE, ...env }, (path) => {
  assert.equal(path, FILE);
  return text;
});

function problemsOf(text: string, env: Record<string, string> = {}): readonly string[] {
  try {
    load(text, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

test('two environments: each its own account, state, folder, jobs, channel and approvals; defaults from the variables', () => {
  const { environments } = load(TWO);
  assert.deepEqual(environments.names, ['staging', 'production']);
  assert.equal(environments.implicit, null, 'with two, a request must name its environment');
  const staging = environments.get('staging')!;
  assert.deepEqual(staging, {
    name: 'staging',
    stateName: 'portcullis-staging',
    dir: 'terraform/environments/staging',
    jobs: { plan: 'plan:staging', compliance: 'compliance:staging', deploy: 'deploy:staging' },
    channel: 'C0CHANNEL',
    approvals: { approverIds: new Set(['U0STAGE']), approverGroup: null, required: 1, ttlMs: 8 * 3_600_000 },
    aws: { accountId: '111111111111', region: 'eu-west-1', roleArn: 'arn:aws:iam::111111111111:role/portcullis-read', deployRoleArn: null },
  });
  const production = environments.get('production')!;
  assert.equal(production.stateName, 'prod-firewall');
  assert.equal(production.channel, 'C0PRODOPS');
  assert.deepEqual(production.approvals, { approverIds: new Set(['U0PRODA', 'U0PRODB']), approverGroup: 'S0PRODSEC', required: 2, ttlMs: 2 * 3_600_000 });
  assert.deepEqual(production.aws, { accountId: '222222222222', region: 'us-east-1', roleArn: null, deployRoleArn: null });
});

test('without the file, one environment "default" from the variables, with the files and jobs where they always were', () => {
  let read = false;
  const c = loadConfig({ ...base, APPROVER_IDS: 'U0ALICE' }, () => {
    read = true;
    return '';
  });
  assert.equal(read, false);
  assert.equal(c.environmentsFile, null);
  const env = c.environments.implicit!;
  assert.deepEqual(env, {
    name: 'default',
    stateName: 'portcullis',
    dir: 'terraform',
    jobs: { plan: 'plan', compliance: 'compliance', deploy: 'deploy' },
    channel: 'C0CHANNEL',
    approvals: { approverIds: new Set(['U0ALICE']), approverGroup: null, required: 1, ttlMs: 8 * 3_600_000 },
    aws: null,
  });
});

test('with the file, APPROVER_IDS is not needed: each environment names its own', () => {
  assert.doesNotThrow(() => load(TWO));
});

test('every problem names the file, the environment and the key, and never the value', () => {
  const bad = `
environments:
  staging:
    aws: { account_id: "1234", region: eu-west-1, role_arn: "arn:aws:iam::999999999999:role/x" }
    approvals: { approver_ids: [U0STAGE], ttl: soon }
    chanel: C0TYPO
  production:
    aws: { account_id: "222222222222", region: Mars }
    approvals: { approver_ids: [U0ONLY], required: 2 }
  Prod_2: {}
  qa:
    aws: { account_id: "333333333333", region: eu-west-1, role_arn: "arn:aws:iam::999999999999:role/x", deploy_role_arn: "arn:aws:iam::999999999999:role/d" }
    approvals: {}
`;
  const problems = problemsOf(bad);
  assert.deepEqual(problems, [
    `${FILE}: environment "staging": aws.account_id: invalid; expected a 12-digit AWS account id, quoted`,
    `${FILE}: environment "staging": approvals.ttl: invalid; expected a duration such as 30m, 4h or 2d`,
    `${FILE}: environment "staging": chanel: unknown key`,
    `${FILE}: environment "production": aws.region: invalid; expected an AWS region such as eu-west-1`,
    `${FILE}: environment "Prod_2": invalid name; expected lower-case letters, digits and "-", starting with a letter, at most 30 characters`,
    `${FILE}: environment "qa": approvals.approver_ids / approvals.approver_group: missing; set at least one of them to say who may approve this environment`,
    `${FILE}: environment "qa": aws.role_arn: invalid; the role must be in the environment's account (aws.account_id)`,
    `${FILE}: environment "qa": aws.deploy_role_arn: invalid; the role must be in the environment's account (aws.account_id)`,
  ]);
  for (const line of problems) assert.doesNotMatch(line, /Mars|soon|1234|999999999999/);
});

test('approvals that can never be given, a missing key and a state shared by two environments are refused', () => {
  assert.deepEqual(problemsOf(TWO.replace('required: 2', 'required: 3').replace('approver_group: S0PRODSEC, ', '')), [
    `${FILE}: environment "production": approvals.required: invalid; 3 approvals can never come from the 2 user(s) in approvals.approver_ids`,
  ]);
  assert.deepEqual(problemsOf('environments:\n  staging:\n    approvals: { approver_ids: [U0A] }\n'), [
    `${FILE}: environment "staging": aws: missing; expected a mapping with account_id, region and optionally role_arn and deploy_role_arn`,
  ]);
  assert.deepEqual(problemsOf(TWO.replace('prod-firewall', 'portcullis-staging')), [
    `${FILE}: environment "production": terraform_state: invalid; environment "staging" uses the same state, and each environment needs its own`,
  ]);
});

test('a file that is not YAML, has no environments, or cannot be read is one line naming it', () => {
  assert.deepEqual(problemsOf('environments: [\n  x: "secret-value'), [`${FILE}: not YAML (line 2)`]);
  assert.deepEqual(problemsOf('envs: {}\n'), [`${FILE}: environments: missing; expected a mapping of environment names to their settings`]);
  assert.deepEqual(problemsOf('environments: {}\n'), [`${FILE}: environments: empty; name at least one environment`]);
  assert.throws(
    () => loadConfig({ ...base, ENVIRONMENTS_FILE: '/nonexistent/envs.yaml' }),
    (err: unknown) => err instanceof ConfigError && err.problems.join() === 'ENVIRONMENTS_FILE: cannot read /nonexistent/envs.yaml (ENOENT)',
  );
});
