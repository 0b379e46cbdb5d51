/**
 * The GitLab half of `portcullis doctor`: the token (valid, `api` scope, not expired), the
 * bot's role in the project, the Terraform state readable, the CI/CD configuration file
 * the one Portcullis ships, the webhook to this bot (events, not disabled, its secret as
 * the last delivery proved it), and the deploy environment protected for the bot alone.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.ts';
import { environmentsCiConfig } from '../cli/ci-config.ts';
import type { Environment } from '../domain/environment.ts';
import type { VcsPort } from '../core/ports.ts';
import { WEBHOOK_PATH, type GitLabSetup, type ProjectHook, type ProjectSettings } from '../gitlab/setup.ts';
import { fail, forEnvironment, ok, reason, skip, type CheckResult } from './report.ts';

const AREA = 'GitLab';
export const CI_FILE = 'terraform/.gitlab-ci.yml';
const SHIPPED_CI_FILE = fileURLToPath(new URL(`../../${CI_FILE}`, import.meta.url));
/** An environment's deploy job's GitLab environment, `firewall/$TF_STATE_NAME` (terraform/.gitlab-ci.yml, ci-config). */
export const deployEnvironment = (stateName: string) => `firewall/${stateName}`;
const MAINTAINER = 40;
const SETUP_HOOK = `Run \`portcullis setup gitlab-webhook --url https://<bot>${WEBHOOK_PATH}\`.`;

export interface GitLabCheckOptions {
  config: Config['gitlab'];
  setup: GitLabSetup;
  vcs: VcsPort;
  /** Where GitLab should deliver; without it, any hook whose path ends in /webhooks/gitlab. */
  webhookUrl?: string;
  /** The configured environments: each has its own Terraform state and deploy environment. */
  environments: readonly Environment[];
  /** Whether they come from an environments file: the pipeline is then the one `portcullis ci-config` writes. */
  fromFile: boolean;
}

export async function gitlabChecks(o: GitLabCheckOptions): Promise<CheckResult[]> {
  let user: { id: number; username: string };
  try {
    user = await o.setup.currentUser();
  } catch (err) {
    return [fail(AREA, 'token', `GITLAB_TOKEN: ${reason(err)}`, 'Create a project (or personal) access token with the api scope and the Maintainer role, and put it in GITLAB_TOKEN.')];
  }
  const results: CheckResult[] = [await tokenCheck(o.setup, user.username)];
  let project: ProjectSettings;
  try {
    project = await o.setup.project();
  } catch (err) {
    return [...results, fail(AREA, 'project', `GITLAB_PROJECT ${o.config.project}: ${reason(err)}`, 'Set GITLAB_PROJECT to the project\'s numeric id or full path, and make the token\'s user a member.')];
  }
  results.push(await roleCheck(o.setup, user));
  const label = (env: Environment) => (o.environments.length > 1 ? env.name : null);
  for (const env of o.environments) results.push(...forEnvironment(label(env), [await stateCheck(o.vcs, env.stateName)]));
  results.push(await ciConfigCheck(o.vcs, project, o.fromFile ? o.environments : null));
  results.push(...(await webhookChecks(o.setup, o.webhookUrl)));
  for (const env of o.environments) results.push(...forEnvironment(label(env), [await environmentCheck(o.setup, user, deployEnvironment(env.stateName))]));
  return results;
}

async function tokenCheck(setup: GitLabSetup, username: string): Promise<CheckResult> {
  try {
    const token = await setup.token();
    if (token === null) return skip(AREA, 'token', `valid, user ${username}; its scopes cannot be read (not an access token)`);
    if (!token.scopes.includes('api')) {
      return fail(AREA, 'token', `user ${username}, scopes ${token.scopes.join(', ') || 'none'}: no api scope`, 'The bot pushes branches, commits, opens merge requests, runs pipelines and plays jobs: make a token with the api scope.');
    }
    const expiry = token.expiresAt === null ? 'never expires' : `expires ${token.expiresAt}`;
    return ok(AREA, 'token', `user ${username}, api scope, ${expiry}`);
  } catch (err) {
    return fail(AREA, 'token', `reading the token's scopes: ${reason(err)}`, 'Check GITLAB_TOKEN.');
  }
}

async function roleCheck(setup: GitLabSetup, user: { id: number; username: string }): Promise<CheckResult> {
  const fix = `Make ${user.username} a Maintainer of the project (Manage → Members): Developers push branches, open merge requests, run pipelines and play jobs, but merging into the protected default branch takes Maintainer.`;
  try {
    const level = await setup.accessLevel(user.id);
    if (level === null) return fail(AREA, 'role', `${user.username} is no member of the project`, fix);
    if (level < MAINTAINER) return fail(AREA, 'role', `${user.username} has access level ${level}, below Maintainer (40)`, fix);
    return ok(AREA, 'role', `${user.username} has access level ${level}`);
  } catch (err) {
    return fail(AREA, 'role', reason(err), fix);
  }
}

async function stateCheck(vcs: VcsPort, stateName: string): Promise<CheckResult> {
  const check = 'Terraform state';
  try {
    const state = await vcs.terraformState(stateName);
    return ok(AREA, check, state === null ? `${stateName}: none yet (the first deploy makes it), access allowed` : `${stateName}: readable`);
  } catch (err) {
    return fail(AREA, check, reason(err), 'The consistency check reads the GitLab-managed state: the token needs the api scope and at least Developer.');
  }
}

/** `environments`: those of an environments file, whose pipeline `portcullis ci-config` writes; null for the single environment. */
async function ciConfigCheck(vcs: VcsPort, project: ProjectSettings, environments: readonly Environment[] | null): Promise<CheckResult> {
  const fix = `Settings → CI/CD → General pipelines → CI/CD configuration file: ${CI_FILE} (or ${CI_FILE}@<protected project>), with the file this Portcullis ships.`;
  const path = project.ciConfigPath;
  if (path === '') return fail(AREA, 'CI/CD configuration', 'the project uses the default .gitlab-ci.yml', fix);
  const [file, elsewhere] = path.split('@');
  if (file !== CI_FILE) return fail(AREA, 'CI/CD configuration', `points at ${path}`, fix);
  // In another project the file is out of this token's reach, which is the point.
  if (elsewhere !== undefined) return ok(AREA, 'CI/CD configuration', `${path} (another project: its content not compared)`);
  try {
    const [theirs, shipped] = await Promise.all([vcs.readFile(project.defaultBranch, CI_FILE), readFile(SHIPPED_CI_FILE, 'utf8')]);
    if (theirs === null) return fail(AREA, 'CI/CD configuration', `${CI_FILE} is not on ${project.defaultBranch}`, fix);
    if (environments === null) {
      if (theirs !== shipped) return fail(AREA, 'CI/CD configuration', `${CI_FILE} on ${project.defaultBranch} differs from the one this Portcullis ships`, `Commit the ${CI_FILE} of this Portcullis version to ${project.defaultBranch}.`);
      return ok(AREA, 'CI/CD configuration', `${CI_FILE}, as shipped`);
    }
    // Several environments: the file `portcullis ci-config` writes from the shipped one for ENVIRONMENTS_FILE.
    if (theirs !== environmentsCiConfig(shipped, environments, project.defaultBranch)) {
      return fail(AREA, 'CI/CD configuration', `${CI_FILE} on ${project.defaultBranch} is not the pipeline this Portcullis writes for ENVIRONMENTS_FILE`, `Run \`portcullis ci-config --environments <ENVIRONMENTS_FILE> --out ${CI_FILE}\` and commit it to ${project.defaultBranch}.`);
    }
    return ok(AREA, 'CI/CD configuration', `${CI_FILE}, as \`portcullis ci-config\` writes it for ${environments.map((e) => e.name).join(', ')}`);
  } catch (err) {
    return fail(AREA, 'CI/CD configuration', reason(err), fix);
  }
}

async function webhookChecks(setup: GitLabSetup, url: string | undefined): Promise<CheckResult[]> {
  let hooks: ProjectHook[];
  try {
    hooks = await setup.hooks();
  } catch (err) {
    return [fail(AREA, 'webhook', reason(err), 'Listing webhooks takes the Maintainer role.')];
  }
  const candidates = hooks.filter((h) => (url !== undefined ? h.url === url : URL.canParse(h.url) && new URL(h.url).pathname.endsWith(WEBHOOK_PATH)));
  if (candidates.length === 0) {
    return [fail(AREA, 'webhook', url !== undefined ? `no webhook delivers to ${url}` : `no webhook delivers to a ${WEBHOOK_PATH} URL`, SETUP_HOOK)];
  }
  if (candidates.length > 1) {
    return [fail(AREA, 'webhook', `${candidates.length} webhooks deliver to ${url ?? WEBHOOK_PATH} (${candidates.map((h) => h.id).join(', ')})`, 'Delete all but one in Settings → Webhooks; GitLab sends every event to each.')];
  }
  const hook = candidates[0]!;
  const problems = [
    ...(hook.pipelineEvents ? [] : ['Pipeline events off']),
    ...(hook.jobEvents ? [] : ['Job events off']),
    ...(hook.url.startsWith('https:') && !hook.enableSslVerification ? ['TLS verification off'] : []),
    ...(hook.alertStatus !== 'executable' ? [`${hook.alertStatus.replace('_', ' ')} by GitLab after failed deliveries${hook.disabledUntil ? ` until ${hook.disabledUntil}` : ''}`] : []),
  ];
  const hookRow = problems.length > 0 ? fail(AREA, 'webhook', `hook ${hook.id} → ${hook.url}: ${problems.join(', ')}`, SETUP_HOOK) : ok(AREA, 'webhook', `hook ${hook.id} → ${hook.url}, Pipeline and Job events`);
  return [hookRow, await secretCheck(setup, hook)];
}

/** GitLab never shows a hook's secret; its last delivery's answer tells whether the bot took it. */
async function secretCheck(setup: GitLabSetup, hook: ProjectHook): Promise<CheckResult> {
  let statuses: string[] | null;
  try {
    statuses = await setup.hookDeliveryStatuses(hook.id);
  } catch (err) {
    return skip(AREA, 'webhook secret', `GitLab does not show a hook's secret, and its delivery log could not be read (${reason(err)})`);
  }
  if (statuses === null) return skip(AREA, 'webhook secret', 'GitLab does not show a hook\'s secret and has no delivery log API here');
  const last = statuses[0];
  if (last === undefined) return skip(AREA, 'webhook secret', 'GitLab does not show a hook\'s secret, and nothing was delivered in the last 7 days to prove it');
  if (last === '401') return fail(AREA, 'webhook secret', 'the bot refused the last delivery (401): the hook\'s secret token is not GITLAB_WEBHOOK_SECRET', SETUP_HOOK);
  if (/^2\d\d$/.test(last)) return ok(AREA, 'webhook secret', `the last delivery was accepted (${last}): the secret matches`);
  return fail(AREA, 'webhook secret', `the last delivery was answered ${last}`, 'Check that the bot runs and GitLab reaches it at the hook\'s URL (portcullis doctor --webhook-url, the bot\'s log).');
}

async function environmentCheck(setup: GitLabSetup, bot: { id: number; username: string }, environment: string): Promise<CheckResult> {
  const check = 'deploy environment';
  const fix = `Settings → CI/CD → Protected environments: protect ${environment} (the exact name: GitLab does not protect by wildcard), Allowed to deploy: ${bot.username} only.`;
  try {
    const protection = await setup.environmentProtection(environment);
    if (protection.kind === 'unavailable') {
      return fail(AREA, check, `protected environments are not available (${protection.status}; they take GitLab Premium): anyone who may run pipelines can play deploy`, `${fix} On the Free tier the bot only notices a deploy played outside Slack afterwards.`);
    }
    if (protection.kind === 'unprotected') return fail(AREA, check, `${environment} is not protected: anyone who may run pipelines can play deploy`, fix);
    const others = protection.deployers.filter((d) => d.userId !== bot.id);
    if (others.length > 0) {
      const who = others.map((d) => (d.userId !== null ? `user ${d.userId}` : d.groupId !== null ? `group ${d.groupId}` : `role ${d.accessLevel}`));
      return fail(AREA, check, `${environment} may also be deployed by ${who.join(', ')}`, fix);
    }
    if (protection.deployers.length === 0) return fail(AREA, check, `${environment} is protected but names no deployer`, fix);
    return ok(AREA, check, `${environment} deployable by ${bot.username} only`);
  } catch (err) {
    return fail(AREA, check, reason(err), fix);
  }
}
