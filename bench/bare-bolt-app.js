// The baseline of the ack and footprint benchmarks: a Bolt app in Socket Mode whose one
// listener (the action ACTION_ID) only acks. Plain JavaScript run by plain node, as the
// compiled bot is; prints "ready" once its socket is open.
import { App, LogLevel } from '@slack/bolt';

const env = (name) => process.env[name] ?? (() => { throw new Error(`${name} is not set`); })();
const app = new App({
  token: env('SLACK_BOT_TOKEN'),
  appToken: env('SLACK_APP_TOKEN'),
  socketMode: true,
  clientOptions: { slackApiUrl: env('SLACK_API_URL') },
  logLevel: LogLevel.ERROR,
});
app.action(env('ACTION_ID'), async ({ ack }) => {
  await ack();
});
await app.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => void app.stop().then(() => process.exit(0)));
