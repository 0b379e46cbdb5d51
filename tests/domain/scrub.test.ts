import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createExactScrubber, createSecretScrubber, MASK, MIN_SECRET_LENGTH, scrubSecrets } from '../../src/domain/scrub.ts';

// Fakes in the real shapes: AWS's documentation example key pair, made-up tokens.
const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const STS_KEY_ID = 'ASIAY34FZKBOKMUTVV7A';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEHAaCXVzLWVhc3QtMSJHMEUCIQDexampleSessionTokenValue0123456789+/=';
const SHA = '4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39';
const BASE64_BLOB = 'VGhpcyBpcyBhbiBvcmRpbmFyeSBiYXNlNjQgYmxvYiBpbiBwcm9zZQ';

const cases: Array<[string, string, string[]]> = [
  ['an AWS access key id', `export AWS_ACCESS_KEY_ID=${KEY_ID}`, [KEY_ID]],
  ['a temporary (STS) access key id', `"AccessKeyId": "${STS_KEY_ID}",`, [STS_KEY_ID]],
  ['a labelled secret access key (env)', `AWS_SECRET_ACCESS_KEY=${SECRET_KEY}`, [SECRET_KEY]],
  ['a labelled secret access key (credentials file)', `aws_secret_access_key = ${SECRET_KEY}`, [SECRET_KEY]],
  ['a labelled secret access key (STS JSON)', `        "SecretAccessKey": "${SECRET_KEY}",`, [SECRET_KEY]],
  ['a session token', `AWS_SESSION_TOKEN="${SESSION_TOKEN}"`, [SESSION_TOKEN]],
  ['a bare secret key beside its key id', `${KEY_ID} ${SECRET_KEY}`, [KEY_ID, SECRET_KEY]],
  ['a bare secret key in a CSV row', `default,${KEY_ID},${SECRET_KEY}`, [KEY_ID, SECRET_KEY]],
  ['a bare secret key on the line after its key id', `key id: ${KEY_ID}\nkey: ${SECRET_KEY}`, [KEY_ID, SECRET_KEY]],
  ['a GitLab personal access token', 'curl --header "PRIVATE-TOKEN: glpat-Zy9XwVuT8sRqPo7NmLk6" http://127.0.0.1:8929/api/v4/projects', ['glpat-Zy9XwVuT8sRqPo7NmLk6', 'Zy9XwVuT8sRqPo7NmLk6']],
  ['a routable GitLab token', 'token glpat-bOfr3wUgrF7hT0xyL5jKmQWp.01.0r03b0ve8 used', ['bOfr3wUgrF7hT0xyL5jKmQWp', '0r03b0ve8']],
  ['a GitLab deploy token', 'docker login -u gitlab+deploy-token-1 -p gldt-HxQ6rFyK2mNpW3aB8cDe 127.0.0.1:5050', ['HxQ6rFyK2mNpW3aB8cDe']],
  ['a GitLab runner authentication token', 'gitlab-runner register --token glrt-t1_Bx7qW2eR5tY8uI0oP3aS', ['t1_Bx7qW2eR5tY8uI0oP3aS']],
  ['a GitLab CI job token', 'CI_JOB_TOKEN=glcbt-64_yPzR8sT3uV6wX9yZ1aB4c', ['64_yPzR8sT3uV6wX9yZ1aB4c']],
  ['a GitLab trigger token', 'curl -F token=glptt-0a1b2c3d4e5f60718293a4b5c6d7e8f901234567 http://127.0.0.1:8929', ['0a1b2c3d4e5f60718293a4b5c6d7e8f901234567']],
  ['a GitLab feed token, behind an instance prefix', 'feed: acme-glft-Kq3Wx9Zr2Tb7Ny5Lp1Md', ['Kq3Wx9Zr2Tb7Ny5Lp1Md']],
  ['a legacy runner registration token', 'REGISTRATION_TOKEN=GR1348941gpsJo71bnku75uVXiCkN', ['gpsJo71bnku75uVXiCkN']],
  ['a Slack bot token', 'SLACK_BOT_TOKEN=xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp', ['1234567890-0987654321-AbCdEfGhIjKlMnOp']],
  ['a Slack user token', 'xoxp-2222-3333-4444-userTokenValue', ['2222-3333-4444-userTokenValue']],
  ['a Slack app-level token', 'xapp-1-A0123ABCD-1234567890-abcdef0123456789', ['1-A0123ABCD-1234567890-abcdef0123456789']],
  ['a Slack rotating token', 'xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAtrotating and xoxe-1-abcdefg', ['1-Mi0yLTEyMzQ1Njc4OTAtrotating', 'xoxe-1-abcdefg']],
  ['a Bearer header', '> Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl', ['eyJhbGciOiJIUzI1NiJ9']],
  ['a Basic header', "curl -H 'authorization: Basic dXNlcjpodW50ZXIy' http://127.0.0.1:8080/", ['dXNlcjpodW50ZXIy']],
  ['a JOB-TOKEN header', 'JOB-TOKEN: 64_opaqueJobTokenValue123', ['64_opaqueJobTokenValue123']],
  ['a bare Bearer token', 'retrying with Bearer abcdef0123456789abcdef', ['abcdef0123456789abcdef']],
  ['credentials in a URL', 'Cloning into https://gitlab-ci-token:s3cr3t-p@ss@127.0.0.1:8929/infra/firewall.git', ['s3cr3t-p@ss', 'p@ss']],
  ['a token as the user of a URL', 'git remote add origin https://ghp_0123456789abcdefABCDEF@127.0.0.1/x.git', ['ghp_0123456789abcdefABCDEF']],
  ['a database URL', 'DATABASE_URL=postgres://portcullis:hunter2hunter2@127.0.0.1:5432/db', ['hunter2hunter2']],
];

describe('every kind of secret is masked', () => {
  for (const [what, text, secrets] of cases) {
    test(what, () => {
      const out = scrubSecrets(text);
      for (const secret of secrets) assert.ok(!out.includes(secret), `${JSON.stringify(secret)} is still in ${JSON.stringify(out)}`);
      assert.ok(out.includes(MASK), out);
    });
  }

  test('labels and prefixes stay, so a reader knows what to rotate', () => {
    assert.equal(scrubSecrets(`AWS_SECRET_ACCESS_KEY=${SECRET_KEY}`), `AWS_SECRET_ACCESS_KEY=${MASK}`);
    assert.equal(scrubSecrets(`"SecretAccessKey": "${SECRET_KEY}",`), `"SecretAccessKey": "${MASK}",`);
    assert.equal(scrubSecrets(`id ${KEY_ID}`), `id AKIA${MASK}`);
    assert.equal(scrubSecrets('x glpat-Zy9XwVuT8sRqPo7NmLk6 y'), `x glpat-${MASK} y`);
    assert.equal(scrubSecrets('acme-glft-Kq3Wx9Zr2Tb7Ny5Lp1Md'), `acme-glft-${MASK}`);
    assert.equal(scrubSecrets('xoxb-1-2-abc'), `xoxb-${MASK}`);
    assert.equal(scrubSecrets('Authorization: Bearer abc.def'), `Authorization: Bearer ${MASK}`);
    assert.equal(scrubSecrets('https://oauth2:tok@127.0.0.1/x.git'), `https://oauth2:${MASK}@127.0.0.1/x.git`);
  });
});

describe('private keys', () => {
  const body = ['MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun', 'VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK', 'LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo'];
  const key = ['-----BEGIN RSA PRIVATE KEY-----', ...body, '-----END RSA PRIVATE KEY-----'];
  const clean = (out: string) => {
    for (const line of body) assert.ok(!out.includes(line.slice(0, 20)), `key material left in ${JSON.stringify(out)}`);
  };

  test('a whole block becomes one masked line; the lines around it stay', () => {
    const out = scrubSecrets(['$ cat deploy_key', ...key, 'ERROR: Job failed'].join('\n'));
    clean(out);
    assert.equal(out, ['$ cat deploy_key', `${MASK} (private key)`, 'ERROR: Job failed'].join('\n'));
  });

  test('a tail that starts inside a block loses the body above the END line', () => {
    const out = scrubSecrets(['Pulling image...', ...key.slice(2), 'ERROR: Job failed'].join('\n'));
    clean(out);
    assert.equal(out, ['Pulling image...', `${MASK} (private key)`, 'ERROR: Job failed'].join('\n'));
  });

  test('a text that ends inside a block loses everything after BEGIN', () => {
    const out = scrubSecrets(['echo "$KEY"', ...key.slice(0, 3)].join('\n'));
    clean(out);
    assert.equal(out, ['echo "$KEY"', `${MASK} (private key)`].join('\n'));
  });

  test('other kinds: OpenSSH, EC, PKCS#8, encrypted, PGP, and a key on one line', () => {
    for (const kind of ['OPENSSH PRIVATE KEY', 'EC PRIVATE KEY', 'PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'PGP PRIVATE KEY BLOCK']) {
      const out = scrubSecrets([`-----BEGIN ${kind}-----`, 'Proc-Type: 4,ENCRYPTED', '', ...body, `-----END ${kind}-----`].join('\n'));
      clean(out);
      assert.equal(out, `${MASK} (private key)`, kind);
    }
    const oneLine = scrubSecrets(`key="-----BEGIN PRIVATE KEY-----${body.join('')}-----END PRIVATE KEY-----" done`);
    clean(oneLine);
    assert.equal(oneLine, `key="${MASK} (private key)" done`);
  });

  test('a public key or a certificate is not a secret', () => {
    const cert = ['-----BEGIN CERTIFICATE-----', ...body, '-----END CERTIFICATE-----'].join('\n');
    assert.equal(scrubSecrets(cert), cert);
  });
});

describe('configured secrets', () => {
  test('are masked as exact strings, also ones no pattern knows, longest first', () => {
    const scrub = createSecretScrubber(['e2e-webhook-secret-0123456789', 'hunter2.*(x)', 'e2e-webhook-secret']);
    assert.equal(
      scrub('hook e2e-webhook-secret-0123456789; pw hunter2.*(x); short e2e-webhook-secret'),
      `hook ${MASK}; pw ${MASK}; short ${MASK}`,
    );
  });

  test(`shorter than ${MIN_SECRET_LENGTH} characters they are not masked (nor is an empty one)`, () => {
    assert.equal(createSecretScrubber(['abc', '']).call(null, 'abc abc'), 'abc abc');
  });

  test('the exact scrubber never lengthens a text, and is absent without secrets', () => {
    assert.equal(MASK.length <= MIN_SECRET_LENGTH, true);
    const exact = createExactScrubber(['12345678', 'glpat-notAPatternHere0'])!;
    assert.equal(exact('a 12345678 b glpat-notAPatternHere0 c AKIAIOSFODNN7EXAMPLE'), `a ${MASK} b ${MASK} c AKIAIOSFODNN7EXAMPLE`);
    assert.equal(createExactScrubber(['short']), null);
  });
});

describe('what is not a secret stays', () => {
  const untouched = [
    `Checking out ${SHA.slice(0, 8)} as detached HEAD (ref is sg-request/REQ-12)...`,
    `commit ${SHA}`,
    `Created pipeline #4711 for ${SHA}`,
    `Job 5552 uploaded artifacts id=5552 responseStatus=201 Created token=glcbt-64`,
    `The payload was ${BASE64_BLOB}== and ${'QUJD'.repeat(10)} in prose`,
    'aws_vpc_security_group_ingress_rule.rule["REQ-12"]: Creation complete after 1s [id=sgr-0123456789abcdef0]',
    'ingress all traffic from prefix list pl-0123456789abcdef0 → sg-0123456789abcdef0',
    'GET http://127.0.0.1:8929/api/v4/projects/1/jobs/55/trace 200',
    'ssh://git@127.0.0.1:2222/infra/firewall.git',
    'The bearer of bad news; Authorization failed for user U0ALICE',
    'Use a token starting glpat- or xoxb- here',
    'arn:aws:iam::123456789012:role/portcullis-deploy',
    'AKIA is the prefix of an access key id',
  ];
  for (const line of untouched) {
    test(line.slice(0, 60), () => assert.equal(scrubSecrets(line), line));
  }

  test('a 40-character blob far from any access key id stays; a sha beside one stays', () => {
    const far = [`id ${KEY_ID}`, 'a', 'b', `blob ${SECRET_KEY}`].join('\n');
    assert.equal(scrubSecrets(far), [`id AKIA${MASK}`, 'a', 'b', `blob ${SECRET_KEY}`].join('\n'));
    assert.equal(scrubSecrets(`${KEY_ID} at ${SHA}`), `AKIA${MASK} at ${SHA}`);
  });
});

describe('as a function', () => {
  test('scrubbing twice changes nothing more', () => {
    const all = cases.map(([, text]) => text).join('\n');
    const once = scrubSecrets(all);
    assert.equal(scrubSecrets(once), once);
  });

  // A pattern that backtracks quadratically would take minutes on a megabyte; a few
  // seconds leaves room for a machine shared with other test runs.
  test('is linear: a megabyte of adversarial text takes seconds, not minutes', () => {
    const inputs = [
      'a'.repeat(1_000_000),
      'a.'.repeat(500_000),
      `https://${'a'.repeat(1_000_000)}`,
      'https://a:'.repeat(100_000),
      `${KEY_ID} ${'A'.repeat(1_000_000)}`,
      'Authorization: '.repeat(60_000),
      `${'-----END PRIVATE KEY-----\n'.repeat(20_000)}${'QUJD\n'.repeat(100_000)}`,
      'glpat-aaaaaaaa.'.repeat(60_000),
    ];
    for (const input of inputs) {
      const started = performance.now();
      scrubSecrets(input);
      const ms = performance.now() - started;
      assert.ok(ms < 5000, `${ms.toFixed(0)} ms for ${JSON.stringify(input.slice(0, 30))}…`);
    }
  });
});
