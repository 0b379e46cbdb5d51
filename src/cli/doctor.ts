/**
 * `portcullis doctor`: checks the Slack app, GitLab project, AWS access and database the
 * configuration names, and prints ✓/✗ with the fix for each ✗ (src/doctor/).
 */
import { configSecrets } from '../config.ts';
import { allPassed, formatJson, formatTable } from '../doctor/report.ts';
import { runDoctor } from '../doctor/run.ts';
import { redact } from '../gitlab/errors.ts';
import { formatOption, parseOptions, type Command } from './command.ts';
import type { Env } from './database.ts';
import { processEnv } from './env.ts';

const HELP = `Usage:
  portcullis doctor [--webhook-url URL] [--format text|json]

  Checks what the configuration (environment and .env) names, as the bot will use it:
    Slack     the bot token (xoxb-) and app-level token (xapp-) valid and of their kind,
              the scopes manifest.yml asks for granted, Socket Mode connectable (a
              connection opened until Slack's hello, then closed), the channel there and
              the bot in it, APPROVER_GROUP and APPROVER_IDS resolvable
    GitLab    the token valid with the api scope, the bot a Maintainer, the Terraform
              state readable, the CI/CD configuration file terraform/.gitlab-ci.yml as
              shipped, one webhook to /webhooks/gitlab (or --webhook-url) with Pipeline
              and Job events, its secret as the last delivery proved it, the deploy
              environment firewall/portcullis protected for the bot alone
    AWS       the identity (STS) and read access to every group of terraform/groups.json
    Database  DATABASE_PATH writable, its schema version
  --webhook-url URL   the URL GitLab should deliver to (default: any ending in /webhooks/gitlab)
  --format            text (default: a ✓/✗ table, the fix under each ✗) or json:
                      {ok, checks: [{area, check, status: ok|fail|skip, detail, fix}]}

Exit codes: 0 every check passed (– means not checked, with why), 1 at least one ✗, 2 bad option.
`;

export function createDoctorCommand(loadEnv: () => Env): Command {
  return {
    summary: 'check the Slack app, GitLab project, AWS access and database the configuration names',
    help: HELP,
    async run(args, io) {
      const { values } = parseOptions(args, { 'webhook-url': { type: 'string' }, format: { type: 'string' } });
      const format = formatOption(values.format);
      const { results, config } = await runDoctor(loadEnv(), values['webhook-url'] ? { webhookUrl: values['webhook-url'] } : {});
      const text = format === 'json' ? formatJson(results) : formatTable(results);
      // Any configured secret a service's message might echo is masked.
      io.stdout(config === null ? text : redact(text, configSecrets(config)));
      return allPassed(results) ? 0 : 1;
    },
  };
}

export const doctorCommand: Command = createDoctorCommand(processEnv);
