import { WebClient } from '@slack/web-api';
import { APPROVE_ACTION } from '../src/slack/blocks/approval.ts';
import { APPROVER, BYSTANDER, CHANNEL, Harness, OTHER_APPROVER, REQUESTER } from '../tests/e2e/harness.ts';
import { startBareApp } from './bare-app.ts';
import type { BenchResult } from './run.ts';
import { percentile } from './stats.ts';

const CLICKS = 200;
/** Approvers, the requester and a bystander: one click plays the job, the rest are refused. */
const CLICKERS = [APPROVER, OTHER_APPROVER, REQUESTER, BYSTANDER];
const GOAL_P99_MS = 300;
/** Refused clicks first, so that neither app is measured cold. */
const WARMUP_CLICKS = 20;

/** A bystander's warm-up clicks, then all clicks sent at once: each one's time from its send to its ack, in ms. */
async function clickAll(h: Harness, ts: string): Promise<number[]> {
  const { driver } = h.fakes.slack;
  const click = async (user: string) => {
    const t0 = performance.now();
    await driver.clickButton({ user, channel: CHANNEL, ts, actionId: APPROVE_ACTION });
    return performance.now() - t0;
  };
  for (let i = 0; i < WARMUP_CLICKS; i++) await click(BYSTANDER);
  return Promise.all(Array.from({ length: CLICKS }, (_, i) => click(CLICKERS[i % CLICKERS.length]!)));
}

/**
 * 200 concurrent Approve clicks through Socket Mode on a real approval request: the bot as
 * its own process (what `npm start` runs) against the fakes, beside a bare Bolt app that
 * only acks, clicking a copy of the same message.
 */
export async function ackLatency(): Promise<BenchResult> {
  const h = await Harness.start({ LOG_LEVEL: 'info' });
  try {
    await h.request('BENCH-1');
    const approval = await h.waitForApprovalRequest('BENCH-1');
    const bot = await clickAll(h, approval.ts);
    // The clicks were acked; now let the one that counts finish its deploy before the bot stops.
    await h.waitFor('the approval to be decided', () => !/"type":"button"/.test(JSON.stringify(h.thread('BENCH-1').find((m) => m.ts === approval.ts)?.blocks)));
    const plays = h.plays();
    await h.stopBot();

    const copy = await new WebClient(h.fakes.endpoints.slackBotToken, { slackApiUrl: h.fakes.endpoints.slackApiUrl }).chat.postMessage({
      channel: CHANNEL,
      text: approval.text,
      blocks: approval.blocks as never,
    });
    const bareApp = await startBareApp(h.fakes.endpoints);
    const bare = await clickAll(h, copy.ts!).finally(() => bareApp.stop());

    const [botP50, botP99, bareP50, bareP99] = [percentile(bot, 50), percentile(bot, 99), percentile(bare, 50), percentile(bare, 99)];
    return {
      name: `ack latency: ${CLICKS} concurrent Approve clicks through Socket Mode`,
      figures: {
        portcullis_p50_ms: botP50,
        portcullis_p99_ms: botP99,
        portcullis_max_ms: Math.max(...bot),
        deploy_plays: plays,
        bare_p50_ms: bareP50,
        bare_p99_ms: bareP99,
        bare_max_ms: Math.max(...bare),
      },
      goal: `Portcullis p99 < ${GOAL_P99_MS} ms (Slack allows 3 s) and within 2x the bare app's, the job played once`,
      met: botP99 < GOAL_P99_MS && botP99 <= 2 * bareP99 && plays === 1,
    };
  } finally {
    await h.close();
  }
}
