/**
 * `npm run sandbox -- --demo`: a request played through as people would — Alice asks in
 * a sentence, tries to approve her own request and is refused, Bob approves — printing
 * what the channel shows at each step, down to the deploy's checks and the rule live in
 * (fake) EC2. It acts only through the Slack fake's driver, as the web page does.
 */
import type { World } from './world.ts';

export type Say = (line: string) => void;

/** A message as a person reads it: mrkdwn links and mentions shown by their labels. */
function readable(text: string): string {
  return text
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2')
    .replace(/<@(U[A-Z0-9]+)>/g, '@$1')
    .replace(/<!date\^\d+\^[^|]+\|([^>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function blockTexts(blocks: unknown): string[] {
  return (Array.isArray(blocks) ? blocks : []).flatMap((b: Record<string, any>) => [
    ...(b.text?.text ? [b.text.text as string] : []),
    ...(Array.isArray(b.fields) ? b.fields.map((f: { text: string }) => f.text) : []),
    ...(b.type === 'context' ? [(b.elements ?? []).map((e: { text?: string }) => e.text ?? '').join(' · ')] : []),
    ...(b.type === 'actions' ? [`[ ${(b.elements ?? []).map((e: { text?: { text?: string } }) => e.text?.text).join(' ] [ ')} ]`] : []),
  ]);
}

function showThread(world: World, say: Say, id: string): void {
  const slack = world.fakes.slack.driver;
  const parent = slack.channel(world.channel).find((m) => m.text.includes(id));
  if (!parent) return say(`  (no message for ${id} yet)`);
  say(`  #sec-ops ▸ ${readable(blockTexts(parent.blocks).join(' | ')).replace(/\*\n/g, '* ').replace(/\n/g, ' ')}`);
  for (const reply of slack.thread(world.channel, parent.ts)) {
    for (const [i, text] of blockTexts(reply.blocks).entries()) say(`    ${i === 0 ? '↳' : ' '} ${readable(text).replace(/\n/g, '\n      ')}`);
  }
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`sandbox: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Plays the walkthrough; resolves with true when the deploy's every check came back green. */
export async function playDemo(world: World, say: Say): Promise<boolean> {
  const slack = world.fakes.slack.driver;
  const { channel } = world;
  const threadMessage = (id: string, pattern: RegExp) => {
    const parent = slack.channel(channel).find((m) => m.text.startsWith(id));
    return parent && slack.thread(channel, parent.ts).find((m) => pattern.test(m.text));
  };
  say('Portcullis sandbox: Slack, GitLab and AWS are local fakes on 127.0.0.1; the bot is the real one.\n');
  const text = 'sg-front tcp 80 198.51.100.0/24 "partner web callbacks" ticket=NET-7';
  say(`1. Alice types: /sg-request ${text}`);
  await slack.runSlashCommand({ user: 'U0ALICE', command: '/sg-request', text, channel });
  const approval = await until('the approval request', () => threadMessage('REQ-2', /waiting for approval/));
  showThread(world, say, 'REQ-2');

  say('\n2. Alice tries to approve her own request:');
  await slack.clickButton({ user: 'U0ALICE', channel, ts: approval.ts, actionId: 'approve' });
  const refusal = await until('the refusal', () => slack.ephemerals('U0ALICE').find((m) => /someone else must approve/.test(m.text)));
  say(`  (only Alice sees) ${readable(refusal.text)}`);

  say('\n3. Bob approves:');
  await slack.clickButton({ user: 'U0BOB', channel, ts: approval.ts, actionId: 'approve' });
  const deployed = await until('the deploy result', () => threadMessage('REQ-2', /^Deployed/));
  showThread(world, say, 'REQ-2');
  const live = world.fakes.aws.driver.rules().filter((r) => r.tags['portcullis:request'] === 'REQ-2');
  say(`\n4. In AWS now: ${live.map((r) => `${r.ruleId} ${r.protocol}/${r.fromPort} from ${r.cidr} on sg-front`).join(', ')}`);
  const checks = blockTexts(deployed.blocks).join('\n');
  const green = /:white_check_mark: `consistency`/.test(checks) && /:white_check_mark: `services`/.test(checks) && !/:x:/.test(checks);
  say(green ? '   Every check is green: git, Terraform state and AWS agree, and the front answers on every port its rules open.' : '   Some check is not green: see the thread above.');
  return green;
}
