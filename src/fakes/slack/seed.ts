import { manifestBotScopes } from '../../slack/manifest.ts';

// Who and what exists in the fake workspace at start. Tests and the sandbox may replace any
// part; the defaults give a bot, three people, one channel and an approver group.

export interface SlackUser {
  id: string;
  name: string;
  realName: string;
  isAdmin?: boolean;
  isBot?: boolean;
  tz?: string;
  /** The profile email users.lookupByEmail finds them by. */
  email?: string;
}

export interface SlackChannel {
  id: string;
  name: string;
  isPrivate?: boolean;
  /** User ids; defaults to every seeded user and the bot. */
  members?: string[];
}

export interface SlackUsergroup {
  id: string;
  handle: string;
  name: string;
  users: string[];
}

export interface SlackTeam {
  id: string;
  domain: string;
  name: string;
}

export interface SlackApp {
  appId: string;
  botUserId: string;
  botId: string;
  botName: string;
}

export interface SlackFakeTiming {
  /** How long a slash command or interaction waits for its ack before failing, as Slack's 3 s. */
  ackTimeoutMs: number;
  /** How long an events_api envelope waits for its ack before Slack redelivers it. */
  eventRetryTimeoutMs: number;
  /** Redeliveries of an unacked events_api envelope before Slack gives up. */
  maxEventRetries: number;
  /** How long a trigger_id can be exchanged for a modal. */
  triggerTtlMs: number;
}

export interface SlackFakeOptions {
  botToken?: string;
  appToken?: string;
  /** Scopes granted to the bot token (default: those manifest.yml asks for). */
  botScopes?: string[];
  /** Scopes of the app-level token (default: connections:write, what Socket Mode needs). */
  appScopes?: string[];
  team?: SlackTeam;
  app?: SlackApp;
  users?: SlackUser[];
  channels?: SlackChannel[];
  usergroups?: SlackUsergroup[];
  timing?: Partial<SlackFakeTiming>;
}

export type SlackSeed = Required<Omit<SlackFakeOptions, 'timing'>> & { timing: SlackFakeTiming };

export const DEFAULT_BOT_TOKEN = 'xoxb-fake-bot';
export const DEFAULT_APP_TOKEN = 'xapp-fake-app';

const DEFAULT_USERS: SlackUser[] = [
  { id: 'U0ALICE', name: 'alice', realName: 'Alice Requester', email: 'alice@example.test' },
  { id: 'U0BOB', name: 'bob', realName: 'Bob Approver', email: 'bob@example.test' },
  { id: 'U0CAROL', name: 'carol', realName: 'Carol Approver', isAdmin: true, email: 'carol@example.test' },
];

export function resolveSeed(options: SlackFakeOptions = {}): SlackSeed {
  const users = options.users ?? DEFAULT_USERS;
  return {
    botToken: options.botToken ?? DEFAULT_BOT_TOKEN,
    appToken: options.appToken ?? DEFAULT_APP_TOKEN,
    botScopes: options.botScopes ?? manifestBotScopes(),
    appScopes: options.appScopes ?? ['connections:write'],
    team: options.team ?? { id: 'T0FAKE', domain: 'portcullis-fake', name: 'Portcullis Fake' },
    app: options.app ?? { appId: 'A0PORTCULLIS', botUserId: 'U0BOT', botId: 'B0BOT', botName: 'portcullis' },
    users,
    channels: options.channels ?? [{ id: 'C0SECOPS', name: 'sec-ops' }],
    usergroups: options.usergroups ?? [
      { id: 'S0APPROVERS', handle: 'sg-approvers', name: 'SG approvers', users: ['U0BOB', 'U0CAROL'] },
    ],
    timing: {
      ackTimeoutMs: 3000,
      eventRetryTimeoutMs: 3000,
      maxEventRetries: 3,
      triggerTtlMs: 3000,
      ...options.timing,
    },
  };
}
