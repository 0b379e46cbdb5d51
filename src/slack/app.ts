/**
 * The Bolt app in Socket Mode, pointed at SLACK_API_URL (GovSlack, or the fake in tests
 * and the sandbox), logging through our pino logger so that tokens are scrubbed there
 * too, and reporting whether its socket is connected (for /readyz).
 */
import { App, LogLevel, SocketModeReceiver, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../log.ts';
import { SLACK_RETRY, SLACK_TIMEOUT_MS } from './chat.ts';

export interface SlackAppOptions {
  botToken: string;
  appToken: string;
  apiUrl: string;
  log: Logger;
  /** Socket Mode liveness ping; small values make tests notice a dead socket sooner. */
  clientPingTimeoutMs?: number;
}

export interface SlackApp {
  app: App;
  connected(): boolean;
}

function boltLogger(log: Logger): BoltLogger {
  let level = LogLevel.INFO;
  const child = log.child({ component: 'bolt' });
  return {
    debug: (...msg) => child.debug(msg.map(String).join(' ')),
    info: (...msg) => child.info(msg.map(String).join(' ')),
    warn: (...msg) => child.warn(msg.map(String).join(' ')),
    error: (...msg) => child.error(msg.map(String).join(' ')),
    setLevel: (l) => void (level = l),
    getLevel: () => level,
    setName: () => undefined,
  };
}

export function createSlackApp(o: SlackAppOptions): SlackApp {
  const logger = boltLogger(o.log);
  const clientOptions = { slackApiUrl: o.apiUrl, retryConfig: SLACK_RETRY, timeout: SLACK_TIMEOUT_MS };
  const receiver = new SocketModeReceiver({
    appToken: o.appToken,
    logger,
    installerOptions: { clientOptions },
    ...(o.clientPingTimeoutMs ? { clientPingTimeout: o.clientPingTimeoutMs } : {}),
  });
  let connected = false;
  receiver.client.on('connected', () => void (connected = true));
  // An abrupt close emits only 'close' (then a delayed reconnect), not 'disconnected'.
  for (const down of ['close', 'disconnecting', 'disconnected', 'reconnecting']) receiver.client.on(down, () => void (connected = false));
  const app = new App({ token: o.botToken, receiver, clientOptions, logger });
  return { app, connected: () => connected };
}
