import { parseOptions, type Command } from './command.ts';

export const botCommand: Command = {
  summary: 'run the Slack bot (what `npm start` runs): Socket Mode to Slack, webhooks and probes on $PORT',
  help: `Usage:
  portcullis bot

Runs the bot until SIGTERM or SIGINT, configured by the environment (and ./.env): every
variable is explained in .env.example. The Docker image's default command. On SIGTERM it
takes no new work, lets what is in flight finish within SHUTDOWN_TIMEOUT and exits 0
(1 when the bound cut work short; 1 also for a bad configuration, named on stderr).
`,
  async run(args) {
    parseOptions(args, {});
    // Loaded here: the bot's packages (Bolt, gitbeaker, SQLite) are no other command's.
    const { main, exitSoon } = await import('../main.ts');
    return exitSoon(await main(process.env));
  },
};
