/**
 * The slash commands Portcullis answers: one table, read by the listeners that
 * register them and by the manifest test, so manifest.yml and the code cannot drift.
 */
export interface SlashCommandSpec {
  description: string;
  usageHint: string;
}

export const SLASH_COMMANDS = {
  '/sg-request': {
    description: 'Ask for a security-group rule: opens a form, or takes it inline',
    usageHint: 'sg-front tcp 443 203.0.113.0/24 "partner API" ttl=7d ticket=NET-42',
  },
  '/check-services': {
    description: "Probe the public members of a security group over HTTP",
    usageHint: '[group]',
  },
} as const satisfies Record<string, SlashCommandSpec>;

export type SlashCommand = keyof typeof SLASH_COMMANDS;
