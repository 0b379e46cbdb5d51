/**
 * Users (lib/api/users.rb): `GET /user`, the token's own user with its emails, and
 * `GET /users/:id`, anyone's profile, where the email shows only as `public_email`.
 */
import type { GitLabData } from '../data.ts';
import { userEntity } from '../entities.ts';
import { notFound } from '../http/errors.ts';
import type { Router } from '../http/router.ts';

export function registerUserRoutes(router: Router, data: GitLabData): void {
  router.get('/user', (req) => ({
    status: 200,
    json: { ...userEntity(data, req.user), email: req.user.email, commit_email: req.user.email, public_email: req.user.publicEmail === false ? '' : req.user.email },
  }));

  router.get('/users/:id', (req) => {
    const user = [data.user, ...data.people].find((u) => String(u.id) === req.params.id);
    if (!user) throw notFound('User');
    // Not an administrator's view: the primary email is not shown, the public one is (or '').
    return { status: 200, json: { ...userEntity(data, user), public_email: user.publicEmail === false ? '' : user.email, bot: user === data.user } };
  });
}
