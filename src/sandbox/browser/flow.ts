/**
 * The web sandbox used as a person would, in headless Chromium (Debian's `chromium`,
 * driven by playwright-core; no browser download): the browser test runs it to prove the
 * page works, `npm run screenshots` runs it to take the README's pictures. Every step
 * waits for what the person should then see, so a step that does not come true fails.
 * Dev tooling: playwright-core is a dev dependency, and nothing of the bot imports this.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser cannot run here, or null when it can. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
}

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI runs as root in a container, where Chromium's own sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/** The names of the states the walkthrough passes through (and the screenshots' file names). */
export type Step = 'approval' | 'outsider-refused' | 'deployed' | 'modal-error' | 'home' | 'rejected';

export interface FlowOptions {
  /** Called at each main state, e.g. to take a screenshot. */
  at?: (step: Step, page: Page) => Promise<void>;
  timeoutMs?: number;
}

export const INLINE_REQUEST = '/sg-request sg-front tcp 80 198.51.100.0/24 "partner web callbacks" ticket=NET-7';

/** The message (a parent, a reply or an ephemeral) whose text matches all of `texts`. */
export function messageWith(page: Page, ...texts: Array<string | RegExp>): Locator {
  return texts.reduce<Locator>((found, text) => found.filter({ hasText: text }), page.locator('article.msg'));
}

export async function actAs(page: Page, name: string): Promise<void> {
  await page.getByRole('radiogroup', { name: 'Acting as' }).getByRole('radio', { name: new RegExp(`^${name}\\b`) }).check();
}

async function type(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
}

/** The id of the request whose parent message shows `justification`, once it is posted. */
async function requestId(page: Page, justification: string): Promise<string> {
  const parent = messageWith(page, justification, 'Requested by').first();
  await parent.waitFor();
  const id = /REQ-\d+/.exec(await parent.innerText())?.[0];
  if (id === undefined) throw new Error(`no request id in the message of "${justification}"`);
  return id;
}

/** Clicks a decision button of `id`'s approval message, through Slack's confirm dialog when there is one. */
async function decide(page: Page, id: string, button: 'Approve' | 'Reject'): Promise<void> {
  await messageWith(page, 'Approval needed', id).getByRole('button', { name: button, exact: true }).click();
}

/**
 * The whole of the "Done when": an inline request, its compliance and plan in the
 * thread, an outsider refused privately, an approver's deploy proven green with the rule
 * live behind Slack; then a request through the modal, one field error corrected, rejected
 * with a reason. Returns the two request ids.
 */
export async function walkthrough(page: Page, url: string, options: FlowOptions = {}): Promise<{ inline: string; modal: string }> {
  const at = options.at ?? (async () => {});
  page.setDefaultTimeout(options.timeoutMs ?? 20_000);
  await page.goto(url);
  await page.locator('body[data-ready="yes"]').waitFor();

  // 1. The requester asks in a sentence; compliance and plan arrive in the thread.
  await actAs(page, 'Alice');
  await type(page, INLINE_REQUEST);
  const inline = await requestId(page, 'partner web callbacks');
  const thread = page.locator('.thread').filter({ has: messageWith(page, 'Approval needed', inline) });
  await thread.waitFor({ timeout: 45_000 });
  await thread.getByText('Compliant').waitFor();
  await thread.getByText(`+ ingress tcp/80 from 198.51.100.0/24 → sg-front "partner web callbacks" (${inline})`).waitFor();
  await at('approval', page);

  // 2. An outsider's Approve: Slack's confirm dialog, then a refusal only they see.
  await actAs(page, 'Dave');
  await decide(page, inline, 'Approve');
  await page.getByRole('dialog', { name: 'Approve this change?' }).getByRole('button', { name: 'Approve and deploy' }).click();
  await messageWith(page, 'Only visible to you', 'Not done').waitFor();
  await at('outsider-refused', page);

  // 3. An approver approves: deployed, every check green, the rule live in AWS.
  await actAs(page, 'Bob');
  await decide(page, inline, 'Approve');
  await page.getByRole('dialog', { name: 'Approve this change?' }).getByRole('button', { name: 'Approve and deploy' }).click();
  await messageWith(page, 'Deployed', inline, '2 passed, 0 failed').waitFor({ timeout: 45_000 });
  await page.getByRole('complementary', { name: 'Behind Slack' }).getByRole('list', { name: 'Live rules of sg-front' }).getByText('tcp/80 from 198.51.100.0/24').waitFor();
  await at('deployed', page);

  // 4. A second request through the modal: a bad source is refused under its field, then corrected.
  await actAs(page, 'Alice');
  await type(page, '/sg-request');
  const modal = page.getByRole('dialog', { name: 'Security group rule' });
  await modal.waitFor();
  await modal.getByLabel('Security group').selectOption('sg-front');
  await modal.getByLabel('Protocol').selectOption('tcp');
  await modal.getByLabel('Ports').fill('443');
  await modal.getByLabel('Source CIDR').fill('203.0.113.0/33');
  await modal.getByLabel('Justification').fill('partner API for invoices');
  await modal.getByRole('button', { name: 'Request' }).click();
  await modal.getByRole('alert').filter({ hasText: 'is not an IPv4 or IPv6 CIDR' }).waitFor();
  await at('modal-error', page);
  await modal.getByLabel('Source CIDR').fill('203.0.113.0/24');
  await modal.getByRole('button', { name: 'Request' }).click();
  await modal.waitFor({ state: 'detached' });
  const modalId = await requestId(page, 'partner API for invoices');
  await messageWith(page, 'Approval needed', modalId).waitFor({ timeout: 45_000 });

  // 5. The other approver finds it waiting in her Home tab, and rejects it in the channel, with a reason.
  await actAs(page, 'Carol');
  await page.getByRole('button', { name: 'Portcullis' }).click();
  await page.getByRole('region', { name: 'Home' }).getByText(modalId).first().waitFor();
  await at('home', page);
  await page.getByRole('button', { name: '# sec-ops' }).click();
  await decide(page, modalId, 'Reject');
  const reject = page.getByRole('dialog', { name: 'Reject request' });
  await reject.getByLabel('Reason').fill('Invoices move to the new API gateway next week.');
  await reject.getByRole('button', { name: 'Reject' }).click();
  await messageWith(page, 'Rejected', 'Invoices move to the new API gateway next week.').waitFor();
  await at('rejected', page);
  return { inline, modal: modalId };
}
