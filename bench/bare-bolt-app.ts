/**
 * The baseline of the ack benchmark: a Bolt app in Socket Mode whose Approve listener only
 * acks. Run as its own process, like the bot; prints "ready" once its socket is open.
 */
import { App, LogLevel } from '@slack/bolt';
import { APPROVE_ACTION } from '../src/slack/blocks/approval.ts';

const env = (name: string) => process.env[name] ?? (() => { throw new Error(`${name} is not set`); })();
const app = new App({
  token: env('SLACK_BOT_TOKEN'),
  appToken: env('SLACK_APP_TOKEN'),
  socketMode: true,
  clientOptions: { slackApiUrl: env('SLACK_API_URL') },
  logLevel: LogLevel.ERROR,
});
app.action(APPROVE_ACTION, async ({ ack }) => {
  await ack();
});
await app.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => void app.stop().then(() => process.exit(0)));
