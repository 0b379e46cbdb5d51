// /check-services with the real Bolt app on the Slack fake, the real AWS adapter on the AWS
// fake, and loopback targets (127.43.0.0/24) that answer, fail, hang and refuse, and HTTPS
// targets with certificates for a host name; plus the results message with 1,000 targets
// inside Slack's limits.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createAwsCloud } from '../../src/aws/cloud.ts';
import { createProbe, loopbackOnly, summarise, type GroupCheck, type ServiceResult } from '../../src/checks/services.ts';
import { GroupsFileError } from '../../src/domain/groups.ts';
import { startAwsFake, type AwsFake } from '../../src/fakes/aws/index.ts';
import { allocateLoopbackIps, startServiceTargets, type ServiceTargets } from '../../src/fakes/services/index.ts';
import { startSlackFake, type SlackFake } from '../../src/fakes/slack/index.ts';
import { createLogger } from '../../src/log.ts';
import { createSlackApp, type SlackApp } from '../../src/slack/app.ts';
import { serviceCheckResults } from '../../src/slack/blocks/services.ts';
import { createCommandResponder, createSlackChat } from '../../src/slack/chat.ts';
import { chooseGroup, registerCheckServices, type GroupEntry } from '../../src/slack/check-services.ts';
import { CheckServicesLimiter } from '../../src/slack/check-services-limit.ts';
import { openStore } from '../../src/store/index.ts';
import { testDeps } from '../helpers/deps.ts';
import { assertWithinSlackLimits, blockTexts } from './slack-limits.ts';
import { createTestCa } from '../helpers/certs.ts';

const CHANNEL = 'C0SECOPS';
/** A channel that is not the bot's (SLACK_CHANNEL_ID). */
const OTHER = 'C0RANDOM';
const INTERVAL_MS = 60_000;
const PORT = 18443;
const HTTPS_PORT = 8443;
const HOST = 'shop.example.test';
const [okIp, failIp, hangIp, refuseIp] = allocateLoopbackIps(4, { block: '127.43.0.0/24' }) as [string, string, string, string];
const [shopIp, strangerIp] = allocateLoopbackIps(2, { block: '127.43.1.0/24' }) as [string, string];
const GROUPS = new Map<string, GroupEntry>([
  ['sg-backend', { servicePorts: [] }],
  ['sg-front', { servicePorts: [PORT] }],
  ['sg-gone', { servicePorts: [80] }],
  ['sg-shop', { servicePorts: [HTTPS_PORT], service: { host: HOST, path: '/healthz' } }],
  ['sg-bare', { servicePorts: [HTTPS_PORT] }],
]);

describe('/check-services against the fakes', () => {
  let slack: SlackFake;
  let aws: AwsFake;
  let targets: ServiceTargets;
  let bot: SlackApp;
  let groups: () => Promise<Map<string, GroupEntry>> = async () => GROUPS;
  const store = openStore(':memory:');
  // The rate limit's clock: each test starts an interval later than the last, so earlier runs never limit it.
  let clock = Date.parse('2030-01-01T12:00:00Z');
  beforeEach(() => {
    clock += 10 * INTERVAL_MS;
  });

  before(async () => {
    const ca = await createTestCa();
    [slack, aws, targets] = await Promise.all([
      startSlackFake({ channels: [{ id: CHANNEL, name: 'sec-ops' }, { id: OTHER, name: 'random' }] }),
      startAwsFake(),
      startServiceTargets([
        { ip: okIp, port: PORT, behaviour: 'ok' },
        { ip: failIp, port: PORT, behaviour: 'fail' },
        { ip: hangIp, port: PORT, behaviour: 'hang' },
        { ip: refuseIp, port: PORT, behaviour: 'refuse' },
        { ip: shopIp, port: HTTPS_PORT, behaviour: 'ok', tls: await ca.issue({ names: [HOST] }), host: HOST },
        { ip: strangerIp, port: HTTPS_PORT, behaviour: 'ok', tls: await ca.issue({ names: ['other.example.test'] }) },
      ]),
    ]);
    const front = aws.driver.addSecurityGroup({ groupName: 'sg-front' });
    aws.driver.authorizeIngress(front, { protocol: 'tcp', fromPort: PORT, toPort: PORT, cidr: '0.0.0.0/0' });
    for (const [id, ip] of [['i-0ok', okIp], ['i-0fail', failIp], ['i-0hang', hangIp], ['i-0refuse', refuseIp]] as const) {
      aws.driver.addInstance({ groupIds: [front], publicIp: ip, state: 'running', instanceId: id });
    }
    const [shop, bare] = ['sg-shop', 'sg-bare'].map((groupName) => {
      const group = aws.driver.addSecurityGroup({ groupName });
      aws.driver.authorizeIngress(group, { protocol: 'tcp', fromPort: HTTPS_PORT, toPort: HTTPS_PORT, cidr: '0.0.0.0/0' });
      return group;
    }) as [string, string];
    aws.driver.addInstance({ groupIds: [shop], publicIp: shopIp, state: 'running', instanceId: 'i-0shop' });
    aws.driver.addInstance({ groupIds: [shop, bare], publicIp: strangerIp, state: 'running', instanceId: 'i-0stranger' });
    const log = createLogger({ level: 'silent' });
    bot = createSlackApp({ botToken: slack.botToken, appToken: slack.appToken, apiUrl: slack.url, log });
    const cloud = createAwsCloud({ region: 'us-east-1', endpointEc2: aws.url, endpointSts: aws.url, credentials: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey } });
    registerCheckServices(bot.app, {
      ...testDeps({ store, chat: createSlackChat(bot.app.client), cloud, log, settings: { channel: CHANNEL, approverIds: new Set() } }),
      // sg-backend first, without service ports: the default must skip it.
      groups: () => groups(),
      allowTarget: loopbackOnly,
      probeTimeoutMs: 800,
      probe: createProbe({ extraCa: [ca.cert] }),
      limiter: new CheckServicesLimiter({ intervalMs: INTERVAL_MS, now: () => clock }),
      respond: createCommandResponder(),
    });
    await bot.app.start();
  });

  after(async () => {
    await bot.app.stop();
    store.close();
    await Promise.all([slack.close(), aws.close(), targets.close()]);
  });

  it('posts "checking…", then replaces it with the results, failures first', async () => {
    const { driver } = slack;
    const before = driver.channel(CHANNEL).length;
    const run = await driver.runSlashCommand({ user: 'U0ALICE', command: '/check-services', text: '', channel: CHANNEL });
    assert.ok(!run.ack || !('text' in run.ack), 'acknowledged without an ephemeral text');
    const posted = await driver.waitFor(() => driver.channel(CHANNEL)[before]);
    const final = await driver.waitFor(() => {
      const m = driver.channel(CHANNEL)[before];
      return m && !m.text.includes('Checking') && m;
    }, 5000);
    assert.equal(final.ts, posted.ts, 'the same message was updated, not a new one posted');
    assert.equal(driver.channel(CHANNEL).length, before + 1);
    assert.match(final.text, /:x: `sg-front`: \*3 of 4 targets failed\*/);
    const texts = blockTexts(final.blocks).join('\n');
    const lines = texts.split('\n').filter((l) => l.startsWith(':x: `i-') || l.startsWith(':white_check_mark: `i-'));
    assert.deepEqual(lines.map((l) => /`(i-\w+)`/.exec(l)?.[1]), ['i-0fail', 'i-0hang', 'i-0refuse', 'i-0ok']);
    assert.match(texts, /`i-0fail` `http:\/\/127\.43\.0\.2:18443\/` HTTP 500/);
    assert.match(texts, /`i-0hang` .* timeout/);
    assert.match(texts, /`i-0refuse` .* refused/);
    assert.match(texts, /AWS `arn:aws:iam::123456789012:user\/portcullis-bot`/);
    assert.match(texts, /asked by <@U0ALICE>/);
    assert.equal(targets.requests(okIp, PORT), 1);
    assert.equal(final.edited, true);
    assert.deepEqual(driver.ephemerals('U0ALICE'), []);
  });

  it('answers a group it does not manage ephemerally, without touching AWS', async () => {
    const { driver } = slack;
    const calls = aws.driver.calls('DescribeSecurityGroups');
    await driver.runSlashCommand({ user: 'U0BOB', command: '/check-services', text: 'sg-<!channel>', channel: CHANNEL });
    const answer = await driver.waitFor(() => driver.ephemerals('U0BOB').at(-1));
    assert.match(answer.text, /^`sg-&lt;!channel&gt;` is not a group Portcullis manages\. Known groups: `sg-backend`, `sg-front`, `sg-gone`, `sg-shop`, `sg-bare`\.$/);
    assert.equal(aws.driver.calls('DescribeSecurityGroups'), calls);
  });

  /** Runs /check-services and returns the text of the message that replaced "checking…". */
  async function checkInSlack(text: string): Promise<{ head: string; texts: string }> {
    const { driver } = slack;
    const before = driver.channel(CHANNEL).length;
    await driver.runSlashCommand({ user: 'U0ALICE', command: '/check-services', text, channel: CHANNEL });
    const final = await driver.waitFor(() => {
      const m = driver.channel(CHANNEL)[before];
      return m && !m.text.includes('Checking') && m;
    }, 8000);
    return { head: final.text, texts: blockTexts(final.blocks).join('\n') };
  }

  it('checks HTTPS members by the host name from groups.json: verified, or failed with the reason', async () => {
    const { head, texts } = await checkInSlack('sg-shop');
    assert.match(head, /^:x: `sg-shop`: \*1 of 2 targets failed\*$/);
    assert.match(texts, /^:x: `i-0stranger` `https:\/\/shop\.example\.test:8443\/healthz` at `127\.43\.1\.2` certificate name mismatch: the certificate is not valid for shop\.example\.test \(it names DNS:other\.example\.test\) · \d+ ms$/m);
    assert.match(texts, /^:white_check_mark: `i-0shop` `https:\/\/shop\.example\.test:8443\/healthz` at `127\.43\.1\.1` HTTP 200, certificate verified for shop\.example\.test · \d+ ms$/m);
    assert.deepEqual(targets.seen(shopIp, HTTPS_PORT).at(-1), { servername: HOST, host: `${HOST}:${HTTPS_PORT}`, path: '/healthz' });
  });

  it('says in the verdict and the line when HTTPS passed on a handshake, its certificate not checked by name', async () => {
    const { head, texts } = await checkInSlack('sg-bare');
    assert.match(head, /^:white_check_mark: `sg-bare`: all 1 target answered \(slowest \d+ ms\); 1 HTTPS by TLS handshake only, certificate not checked by name \(no service host in groups\.json\)$/);
    assert.match(texts, /^:large_yellow_circle: `i-0stranger` `https:\/\/127\.43\.1\.2:8443` TLS handshake completed; certificate not checked by name \(no service host in groups\.json\) · \d+ ms$/m);
  });

  it('answers ephemerally, escaped, when groups.json cannot be trusted', async () => {
    const { driver } = slack;
    groups = async () => {
      throw new GroupsFileError('terraform/groups.json on main: group "sg-shop": service.host: "<!here>" is not a DNS host name');
    };
    try {
      await driver.runSlashCommand({ user: 'U0CAROL', command: '/check-services', text: 'sg-shop', channel: CHANNEL });
      const answer = await driver.waitFor(() => driver.ephemerals('U0CAROL').at(-1));
      assert.equal(answer.text, 'Cannot check services: terraform/groups.json on main: group "sg-shop": service.host: "&lt;!here&gt;" is not a DNS host name');
    } finally {
      groups = async () => GROUPS;
    }
  });

  it('says in place why the check could not run when AWS has no such group', async () => {
    const { driver } = slack;
    const before = driver.channel(CHANNEL).length;
    await driver.runSlashCommand({ user: 'U0ALICE', command: '/check-services', text: 'sg-gone', channel: CHANNEL });
    const final = await driver.waitFor(() => {
      const m = driver.channel(CHANNEL)[before];
      return m && m.text.startsWith(':warning:') && m;
    }, 5000);
    assert.match(final.text, /Could not check the services of `sg-gone`: security group "sg-gone" does not exist in AWS account 123456789012/);
  });

  /** The newest ephemeral of `user` once there are more than `seen`. */
  function nextEphemeral(user: string, seen: number, timeoutMs = 5000) {
    return slack.driver.waitFor(() => slack.driver.ephemerals(user)[seen], timeoutMs);
  }

  it('refuses privately a second run of a group while one runs, and does not hold up another group', async () => {
    const { driver } = slack;
    const before = driver.channel(CHANNEL).length;
    await driver.runSlashCommand({ user: 'U0ALICE', command: '/check-services', text: 'sg-front', channel: CHANNEL });
    // sg-front has a member that hangs until the probe's time limit: the run lasts at least 800 ms.
    const checking = await driver.waitFor(() => driver.channel(CHANNEL)[before]);
    assert.match(checking.text, /Checking/);

    const bobSeen = driver.ephemerals('U0BOB').length;
    const bob = await driver.runSlashCommand({ user: 'U0BOB', command: '/check-services', text: 'sg-front', channel: CHANNEL });
    const refusal = await nextEphemeral('U0BOB', bobSeen);
    assert.equal(refusal.text, 'A service check of `sg-front` is already running (asked by <@U0ALICE>), so this one was not started. Try again once it has finished.');
    assert.equal(refusal.channel, CHANNEL);
    assert.deepEqual(bob.responses.map((r) => r.response_type), ['ephemeral']);

    // Another group runs meanwhile, in full.
    const shop = await checkInSlack('sg-bare');
    assert.match(shop.head, /`sg-bare`: all 1 target answered/);

    const final = await driver.waitFor(() => {
      const m = driver.channel(CHANNEL)[before];
      return m && !m.text.includes('Checking') && m;
    }, 5000);
    assert.match(final.text, /`sg-front`: \*3 of 4 targets failed\*/);
    // One "checking…" message per run that started: Alice's and sg-bare's, none for Bob.
    assert.equal(driver.channel(CHANNEL).length, before + 2);
    assert.equal(targets.requests(okIp, PORT), 2, 'sg-front was probed by the first test and by Alice, not by Bob');
  });

  it('refuses privately a run within the interval, saying when it can run again', async () => {
    const { driver } = slack;
    const start = clock;
    await checkInSlack('sg-shop');
    const before = driver.channel(CHANNEL).length;
    const calls = aws.driver.calls('DescribeSecurityGroups');

    const seen = driver.ephemerals('U0CAROL').length;
    clock = start + 45_000;
    await driver.runSlashCommand({ user: 'U0CAROL', command: '/check-services', text: 'sg-shop', channel: CHANNEL });
    const refusal = await nextEphemeral('U0CAROL', seen);
    const at = Math.ceil((start + INTERVAL_MS) / 1000);
    assert.equal(refusal.text, `\`sg-shop\` was checked less than 60 s ago, so this check was not started. It can run again in 15 s, at <!date^${at}^{time_secs}|${new Date(at * 1000).toISOString().slice(11, 19)} UTC>.`);
    assert.equal(driver.channel(CHANNEL).length, before, 'nothing visible was posted');
    assert.equal(aws.driver.calls('DescribeSecurityGroups'), calls, 'AWS was not called');

    // Once the interval has passed, the group can be checked again.
    clock = start + INTERVAL_MS;
    const again = await checkInSlack('sg-shop');
    assert.match(again.head, /`sg-shop`: \*1 of 2 targets failed\*/);
  });

  it('typed in another channel, posts nothing there and gives the results only to the person who asked', async () => {
    const { driver } = slack;
    const inBotChannel = driver.channel(CHANNEL).length;
    const seen = driver.ephemerals('U0BOB').length;
    const run = await driver.runSlashCommand({ user: 'U0BOB', command: '/check-services', text: 'sg-shop', channel: OTHER });
    const results = await driver.waitFor(() => {
      const list = driver.ephemerals('U0BOB');
      return list.length >= seen + 2 && list;
    }, 8000);
    const [checking, final] = results.slice(seen) as [(typeof results)[number], (typeof results)[number]];
    assert.match(checking.text, /Checking/);
    assert.match(final.text, /^:x: `sg-shop`: \*1 of 2 targets failed\*$/);
    const texts = blockTexts(final.blocks as never).join('\n');
    assert.match(texts, /AWS `arn:aws:iam::123456789012:user\/portcullis-bot`/);
    assert.match(texts, /127\.43\.1\.1/);
    assert.ok([checking, final].every((e) => e.channel === OTHER && e.user === 'U0BOB'));
    assert.deepEqual(driver.channel(OTHER), [], 'nothing visible in the other channel');
    assert.equal(driver.channel(CHANNEL).length, inBotChannel, 'nor in the bot’s channel');
    assert.deepEqual(run.responses.map((r) => r.response_type), ['ephemeral', 'ephemeral']);
    assert.ok(run.responses.every((r) => r.replace_original === undefined), 'no reliance on replacing an ephemeral');
    for (const other of ['U0ALICE', 'U0CAROL']) assert.ok(driver.ephemerals(other).every((e) => e.channel !== OTHER));
  });

  it('in a DM, answers privately too, refusals included', async () => {
    const { driver } = slack;
    const seen = driver.ephemerals('U0CAROL').length;
    const first = await driver.runSlashCommand({ user: 'U0CAROL', command: '/check-services', text: 'sg-bare', channel: 'U0CAROL' });
    await driver.waitFor(() => driver.ephemerals('U0CAROL').length >= seen + 2, 8000);
    const again = await driver.runSlashCommand({ user: 'U0CAROL', command: '/check-services', text: 'sg-bare', channel: 'U0CAROL' });
    const refusal = await nextEphemeral('U0CAROL', seen + 2);
    assert.match(refusal.text, /^`sg-bare` was checked less than 60 s ago, so this check was not started\. It can run again in 60 s/);
    const dm = driver.ephemerals('U0CAROL').slice(seen);
    assert.deepEqual(dm.map((e) => e.channel), ['DU0CAROL', 'DU0CAROL', 'DU0CAROL']);
    assert.match(dm[1]!.text, /`sg-bare`: all 1 target answered/);
    assert.deepEqual(driver.channel('DU0CAROL'), []);
    assert.deepEqual([...first.responses, ...again.responses].map((r) => r.response_type), ['ephemeral', 'ephemeral', 'ephemeral']);
  });
});

describe('chooseGroup', () => {
  const groups = new Map([['sg-backend', { servicePorts: [] }], ['sg-front', { servicePorts: [80, 443] }]]);
  it('defaults to the first group with service ports and refuses one without', () => {
    assert.deepEqual(chooseGroup('  ', groups), { group: 'sg-front', servicePorts: [80, 443] });
    assert.match((chooseGroup('sg-backend', groups) as { refusal: string }).refusal, /has no service ports/);
    assert.match((chooseGroup('', new Map()) as { refusal: string }).refusal, /No group in groups.json has service ports/);
  });
});

describe('serviceCheckResults', () => {
  it('keeps 1,000 results inside Slack’s limits, failures first, and counts what it left out', () => {
    const results: ServiceResult[] = Array.from({ length: 1000 }, (_, i) => ({
      instanceId: `i-${String(i).padStart(17, '0')}`,
      ip: `127.44.${i >> 8}.${(i & 255) + 1}`,
      port: 443,
      url: `https://127.44.${i >> 8}.${(i & 255) + 1}:443/`,
      ok: i % 10 !== 0,
      ...(i % 10 !== 0 ? { status: 200 } : { error: 'timeout' }),
      latencyMs: 12.3,
    })).sort((a, b) => Number(a.ok) - Number(b.ok));
    const check: GroupCheck = {
      group: { groupId: 'sg-0123456789abcdef0', groupName: 'sg-front', vpcId: 'vpc-0123456789abcdef0', ownerId: '123456789012' },
      identity: { account: '123456789012', arn: 'arn:aws:iam::123456789012:user/portcullis-bot' },
      ports: [443],
      members: 1000,
      report: { results, summary: summarise(results) },
      provable: true,
    };
    const msg = serviceCheckResults(check, 'U0ALICE');
    assertWithinSlackLimits(msg);
    const texts = blockTexts(msg.blocks).join('\n');
    assert.match(msg.text, /100 of 1000 targets failed/);
    const shown = texts.split('\n').filter((l) => l.startsWith(':x: `i-') || l.startsWith(':white_check_mark: `i-')).length;
    assert.ok(shown >= 100, 'every failure is shown before any success');
    assert.match(texts, new RegExp(`…and ${1000 - shown} more targets not shown`));
  });
});
