/**
 * The web sandbox in headless Chromium, through the whole "Done when" flow
 * (src/sandbox/browser/flow.ts), then what the person saw checked against the fakes: the
 * page showed only what the bot sent, and the clicks reached the bot as Socket Mode envelopes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { WebClient } from '@slack/web-api';
import { chromiumMissing, launchChromium, walkthrough } from '../../src/sandbox/browser/flow.ts';
import { startWebSandbox, type WebSandbox } from '../../src/sandbox/web/server.ts';
import { startWorld, type World } from '../../src/sandbox/world.ts';

const missing = chromiumMissing();

if (missing) {
  test(`browser test skipped: ${missing}`, { skip: missing }, () => {});
} else {
  let world: World;
  let web: WebSandbox;
  let browser: Browser;

  before(async () => {
    // A loaded CI machine runs Chromium, the bot and the fakes on two cores: Slack's 3 s
    // for an ack is stretched so a slow moment is not taken for a broken app.
    world = await startWorld({ frontIp: '127.88.2.10', slackTiming: { ackTimeoutMs: 10_000, triggerTtlMs: 10_000 } });
    web = await startWebSandbox(world, { port: 0, fallback: false });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await web?.close();
    await world?.close();
  });

  test('a person requests, is refused, approves, deploys, then requests through the modal and rejects: all in the page', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    const { inline, modal } = await walkthrough(page, web.url);
    assert.deepEqual(errors, []);

    const slack = world.fakes.slack.driver;
    // Clicks went to the bot as real interactions: Dave's and Bob's Approve, Carol's Reject and her reason.
    const interactive = slack.deliveries().filter((d) => d.type === 'interactive').map((d) => [d.payload.type, (d.payload.user as { id: string }).id]);
    assert.deepEqual(interactive.filter(([type]) => type === 'block_actions'), [['block_actions', 'U0DAVE'], ['block_actions', 'U0BOB'], ['block_actions', 'U0CAROL']]);
    assert.deepEqual(interactive.filter(([type]) => type === 'view_submission').map(([, user]) => user), ['U0ALICE', 'U0ALICE', 'U0CAROL']);
    const commands = slack.deliveries().filter((d) => d.type === 'slash_commands').map((d) => [d.payload.command, d.payload.text]);
    assert.deepEqual(commands, [['/sg-request', 'sg-front tcp 80 198.51.100.0/24 "partner web callbacks" ticket=NET-7'], ['/sg-request', '']]);
    // The refusal was Dave's alone.
    assert.ok(slack.ephemerals('U0DAVE').some((e) => /Not done/.test(e.text)));
    assert.ok(!slack.ephemerals('U0BOB').some((e) => /Not done/.test(e.text)));
    // Behind Slack: the first rule is live, the second never reached AWS and its merge request is closed.
    const rules = world.fakes.aws.driver.rules();
    assert.ok(rules.some((r) => r.tags['portcullis:request'] === inline && r.cidr === '198.51.100.0/24' && r.fromPort === 80));
    assert.ok(!rules.some((r) => r.tags['portcullis:request'] === modal));
    const mrs = world.fakes.gitlab.driver.mergeRequests();
    assert.equal(mrs.find((mr) => mr.sourceBranch === `sg-request/${inline}`)?.state, 'merged');
    assert.equal(mrs.find((mr) => mr.sourceBranch === `sg-request/${modal}`)?.state, 'closed');
    await page.close();
  });

  test('text a person typed is shown as text, never as markup: in a message and in a shared file', async () => {
    const page = await browser.newPage();
    await page.goto(web.url);
    await page.locator('body[data-ready="yes"]').waitFor();
    // A message from the app carrying what a person might have typed, escaped as Slack wants.
    const hostile = '<img src=x onerror="window.pwned=1">';
    await fetch(`${world.fakes.endpoints.slackApiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${world.fakes.endpoints.slackBotToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: world.channel, text: `note: ${hostile.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')} <javascript:alert(1)|click>` }),
    });
    const note = page.locator('article.msg').filter({ hasText: 'note:' });
    await note.waitFor();
    assert.match(await note.innerText(), /<img src=x onerror="window\.pwned=1">/);
    assert.equal(await note.locator('img').count(), 0);
    assert.equal(await note.locator('a').count(), 0, 'a javascript: link is shown as its label only');
    assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);

    // A file shared in a thread, as the bot shares a long plan: opened, its bytes are text too.
    const client = new WebClient(world.fakes.endpoints.slackBotToken, { slackApiUrl: world.fakes.endpoints.slackApiUrl, retryConfig: { retries: 0 } });
    const parent = await client.chat.postMessage({ channel: world.channel, text: 'plan parent' });
    await client.filesUploadV2({ channel_id: world.channel, thread_ts: parent.ts!, filename: 'REQ-9-plan.txt', content: `+ ingress tcp/443 "${hostile}"` });
    const file = page.locator('.thread').filter({ hasText: 'plan parent' }).locator('details.file');
    await file.getByText('REQ-9-plan.txt').click();
    await file.locator('pre').filter({ hasText: '+ ingress tcp/443' }).waitFor();
    assert.equal(await file.locator('pre').innerText(), `+ ingress tcp/443 "${hostile}"`);
    assert.equal(await page.locator('img').count(), 0);
    await page.close();
  });
}
