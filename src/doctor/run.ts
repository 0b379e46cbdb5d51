/**
 * `portcullis doctor`: every integration the configuration names, checked the way a person
 * setting up would check it by hand. The four areas run side by side; a failure of one
 * never stops the others, and a service that fails to answer is a ✗ with its fix, not a
 * crash.
 */
import { cloudForEnvironment, cloudFromEnv, type Env } from '../aws/env.ts';
import { groupsFileOf, type Environment } from '../domain/environment.ts';
import { loadConfig, ConfigError, type Config } from '../config.ts';
import { createGitLabVcs } from '../gitlab/client.ts';
import { createGitLabSetup } from '../gitlab/setup.ts';
import { awsChecks } from './aws.ts';
import { databaseChecks } from './database.ts';
import { gitlabChecks } from './gitlab.ts';
import { fail, ok, type CheckResult } from './report.ts';
import { slackChecks } from './slack.ts';

export interface DoctorOptions {
  webhookUrl?: string;
}

export async function runDoctor(env: Env, options: DoctorOptions = {}): Promise<{ results: CheckResult[]; config: Config | null }> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const results = err.problems.map((p) => {
      const [name = 'configuration', ...rest] = p.split(': ');
      return fail('Configuration', name, rest.join(': '), 'Set it in the environment or .env (see .env.example); nothing else is checked until the configuration is valid.');
    });
    return { results, config: null };
  }
  const gitlab = { url: config.gitlab.url, token: config.gitlab.token, project: config.gitlab.project };
  const vcs = createGitLabVcs(gitlab);
  const environments = config.environments.list;
  // Each environment's AWS as the bot reads it: its read role in its own account, or the process's own.
  const awsOf = (e: Environment) =>
    e.aws !== null
      ? { cloud: cloudForEnvironment(env, e.aws), region: e.aws.region, account: e.aws.accountId }
      : { cloud: config.awsRegion ? cloudFromEnv({ ...env, AWS_REGION: config.awsRegion }) : null, region: config.awsRegion, account: null };
  const label = (e: Environment) => (config.environments.several ? e.name : null);
  const areas = await Promise.all([
    slackChecks(
      config.slack,
      environments.map((e) => ({ label: label(e), channelId: e.channel, approverIds: e.approvals.approverIds, approverGroup: e.approvals.approverGroup })),
    ),
    gitlabChecks({ config: config.gitlab, setup: createGitLabSetup(gitlab), vcs, environments, fromFile: config.environmentsFile !== null, ...(options.webhookUrl ? { webhookUrl: options.webhookUrl } : {}) }),
    Promise.all(environments.map((e) => awsChecks({ ...awsOf(e), groupsFile: groupsFileOf(e), label: label(e) }, vcs))).then((r) => r.flat()),
    databaseChecks(config.databasePath),
  ]);
  return { results: [ok('Configuration', 'environment', 'every variable valid'), ...areas.flat()], config };
}
