/**
 * The GitLab calls of setting Portcullis up rather than running it: what the token may do,
 * the project's settings, its webhooks and protected environments. `portcullis doctor`
 * reads them; `portcullis setup gitlab-webhook` writes the one hook. Failures are
 * VcsErrors naming the action, as in client.ts.
 */
import { GitLabHttpFailure } from './errors.ts';
import { openGitLabApi, type GitLabVcsOptions } from './client.ts';

export interface TokenInfo {
  scopes: string[];
  /** `YYYY-MM-DD`, or null when it never expires. */
  expiresAt: string | null;
  active: boolean;
}

export interface ProjectSettings {
  id: number;
  path: string;
  defaultBranch: string;
  /** "" when the project uses the default `.gitlab-ci.yml`. */
  ciConfigPath: string;
}

export interface ProjectHook {
  id: number;
  url: string;
  pipelineEvents: boolean;
  jobEvents: boolean;
  enableSslVerification: boolean;
  /** `executable`, `temporarily_disabled` or `disabled`. */
  alertStatus: string;
  disabledUntil: string | null;
}

export interface Deployer {
  accessLevel: number | null;
  userId: number | null;
  groupId: number | null;
}

/** The GitLab answer to "is this environment protected": protected, not, or the API is not there (Free tier, 403). */
export type EnvironmentProtection = { kind: 'protected'; deployers: Deployer[] } | { kind: 'unprotected' } | { kind: 'unavailable'; status: number };

export interface GitLabSetup {
  /** The token's own record; null when it is no access token (an OAuth token, say). */
  token(): Promise<TokenInfo | null>;
  currentUser(): Promise<{ id: number; username: string }>;
  project(): Promise<ProjectSettings>;
  /** The user's role in the project, inherited membership counted; null when no member. */
  accessLevel(userId: number): Promise<number | null>;
  hooks(): Promise<ProjectHook[]>;
  addHook(url: string, secret: string): Promise<ProjectHook>;
  editHook(id: number, url: string, secret: string): Promise<ProjectHook>;
  /** The response statuses of the hook's recent deliveries, newest first; null where GitLab has no such API. */
  hookDeliveryStatuses(id: number): Promise<string[] | null>;
  environmentProtection(name: string): Promise<EnvironmentProtection>;
}

/** What Portcullis hears: Pipeline and Job events, nothing else, TLS verified. */
const HOOK_EVENTS = {
  pipelineEvents: true,
  jobEvents: true,
  pushEvents: false,
  mergeRequestsEvents: false,
  tagPushEvents: false,
  issuesEvents: false,
  noteEvents: false,
  enableSslVerification: true,
} as const;

type Raw = Record<string, unknown>;

/** Where the bot answers GitLab's webhooks. */
export const WEBHOOK_PATH = '/webhooks/gitlab';

export function createGitLabSetup(options: GitLabVcsOptions): GitLabSetup {
  const { api, call, orNull } = openGitLabApi(options);
  const pid = options.project;
  const hookOf = (h: Raw): ProjectHook => ({
    id: Number(h.id),
    url: String(h.url),
    pipelineEvents: h.pipeline_events === true,
    jobEvents: h.job_events === true,
    enableSslVerification: h.enable_ssl_verification === true,
    alertStatus: typeof h.alert_status === 'string' ? h.alert_status : 'executable',
    disabledUntil: typeof h.disabled_until === 'string' ? h.disabled_until : null,
  });

  return {
    token: () =>
      orNull('reading the access token', async () => {
        const t = (await api.PersonalAccessTokens.show()) as unknown as Raw;
        return { scopes: Array.isArray(t.scopes) ? t.scopes.map(String) : [], expiresAt: typeof t.expires_at === 'string' ? t.expires_at : null, active: t.active !== false && t.revoked !== true };
      }),
    currentUser: () =>
      call('reading the token\'s user', async () => {
        const u = (await api.Users.showCurrentUser()) as unknown as Raw;
        return { id: Number(u.id), username: String(u.username) };
      }),
    project: () =>
      call('reading the project', async () => {
        const p = (await api.Projects.show(pid)) as unknown as Raw;
        return { id: Number(p.id), path: String(p.path_with_namespace), defaultBranch: String(p.default_branch), ciConfigPath: typeof p.ci_config_path === 'string' ? p.ci_config_path : '' };
      }),
    accessLevel: (userId) =>
      orNull('reading the bot\'s project membership', async () => Number(((await api.ProjectMembers.show(pid, userId, { includeInherited: true })) as unknown as Raw).access_level)),
    hooks: () => call('listing the project\'s webhooks', async () => ((await api.ProjectHooks.all(pid)) as unknown as Raw[]).map(hookOf)),
    addHook: (url, secret) => call('adding the webhook', async () => hookOf((await api.ProjectHooks.add(pid, url, { ...HOOK_EVENTS, token: secret })) as unknown as Raw)),
    editHook: (id, url, secret) => call(`updating webhook ${id}`, async () => hookOf((await api.ProjectHooks.edit(pid, id, url, { ...HOOK_EVENTS, token: secret })) as unknown as Raw)),
    hookDeliveryStatuses: (id) =>
      orNull(`reading the deliveries of webhook ${id}`, async () => {
        // No gitbeaker method for GET /projects/:id/hooks/:hook_id/events: its requester, relative to projects/.
        const response = await api.ProjectHooks.requester.get(`${encodeURIComponent(String(pid))}/hooks/${id}/events`);
        return Array.isArray(response.body) ? (response.body as Raw[]).map((e) => String(e.response_status)) : [];
      }),
    environmentProtection: (name) =>
      call(`reading the protection of environment ${name}`, async (): Promise<EnvironmentProtection> => {
        try {
          // gitbeaker puts both into the path as given (no `endpoint` tag here): a project path
          // and the environment's "/" must be encoded, or GitLab answers 404.
          const env = (await api.ProjectProtectedEnvironments.show(encodeURIComponent(String(pid)), encodeURIComponent(name))) as unknown as Raw;
          const levels = Array.isArray(env.deploy_access_levels) ? (env.deploy_access_levels as Raw[]) : [];
          const num = (v: unknown) => (typeof v === 'number' ? v : null);
          return { kind: 'protected', deployers: levels.map((l) => ({ accessLevel: num(l.access_level), userId: num(l.user_id), groupId: num(l.group_id) })) };
        } catch (err) {
          if (err instanceof GitLabHttpFailure && err.status === 404) return { kind: 'unprotected' };
          if (err instanceof GitLabHttpFailure && err.status === 403) return { kind: 'unavailable', status: 403 };
          throw err;
        }
      }),
  };
}
