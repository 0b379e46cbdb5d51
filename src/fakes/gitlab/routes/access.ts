/**
 * Who may do what, as GitLab answers it: the token's own record
 * (lib/api/personal_access_tokens/self_information.rb: scopes, expiry), a project member's
 * access level (lib/api/members.rb, `members/all` counting inherited membership), and
 * protected environments (ee/lib/api/protected_environments.rb, Premium), whose name is
 * one environment, never a pattern: GitLab does not protect environments by wildcard.
 */
import type { GitLabData } from '../data.ts';
import { userEntity } from '../entities.ts';
import { apiError, notFound } from '../http/errors.ts';
import type { Router } from '../http/router.ts';
import type { ProtectedEnvironment } from '../model.ts';

/** GitLab's role names by access level (Gitlab::Access). */
const ROLES: Record<number, string> = { 5: 'Minimal access', 10: 'Guests', 15: 'Planners', 20: 'Reporters', 30: 'Developers', 40: 'Maintainers', 50: 'Owners', 60: 'Administrators' };

export function protectedEnvironmentEntity(data: GitLabData, env: ProtectedEnvironment) {
  return {
    name: env.name,
    deploy_access_levels: env.deployAccessLevels.map((level, index) => {
      const user = level.userId === undefined ? undefined : [data.user, ...data.people].find((u) => u.id === level.userId);
      return {
        id: index + 1,
        access_level: level.accessLevel ?? 40,
        access_level_description: user ? user.name : level.groupId !== undefined ? `group ${level.groupId}` : ROLES[level.accessLevel ?? 40] ?? 'Maintainers',
        user_id: level.userId ?? null,
        group_id: level.groupId ?? null,
        group_inheritance_type: 0,
      };
    }),
    required_approval_count: 0,
    approval_rules: [],
  };
}

export function registerAccessRoutes(router: Router, data: GitLabData): void {
  router.get('/personal_access_tokens/self', (req) => {
    const token = data.tokenOf(req.user);
    return {
      status: 200,
      json: {
        id: token.id,
        name: token.name,
        revoked: false,
        created_at: new Date(0).toISOString(),
        description: null,
        scopes: token.scopes,
        user_id: req.user.id,
        last_used_at: new Date().toISOString(),
        active: true,
        expires_at: token.expiresAt,
      },
    };
  });

  router.get('/projects/:id/members/all/:user_id', (req) => {
    data.requireProject(req.params.id);
    const user = [data.user, ...data.people].find((u) => String(u.id) === req.params.user_id);
    const level = user === undefined ? null : data.accessLevelOf(user);
    if (user === undefined || level === null) throw notFound();
    return { status: 200, json: { ...userEntity(data, user), access_level: level, created_at: new Date(0).toISOString(), expires_at: null, membership_state: 'active' } };
  });

  router.get('/projects/:id/protected_environments', (req) => {
    data.requireProject(req.params.id);
    requirePremium(data);
    return { status: 200, json: data.project.protectedEnvironments.map((env) => protectedEnvironmentEntity(data, env)) };
  });

  router.get('/projects/:id/protected_environments/:name', (req) => {
    data.requireProject(req.params.id);
    requirePremium(data);
    const env = data.project.protectedEnvironments.find((e) => e.name === req.params.name);
    if (!env) throw notFound();
    return { status: 200, json: protectedEnvironmentEntity(data, env) };
  });
}

/** On the Free tier the protected environments API is not there for the project: 403. */
function requirePremium(data: GitLabData): void {
  if (!data.project.premium) throw apiError(403, '403 Forbidden');
}
