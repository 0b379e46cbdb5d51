/**
 * GitLab-managed Terraform state, the HTTP backend API (lib/api/terraform/state.rb):
 * GET the raw state (application/octet-stream), POST a new one, DELETE it, and the lock with 409 for another holder.
 */
import type { GitLabData } from '../data.ts';
import { apiError, notFound } from '../http/errors.ts';
import type { ApiRequest, Router } from '../http/router.ts';
import type { LockInfo, TerraformStateStore } from '../terraform/state-store.ts';

const LOCK_FIELDS = ['ID', 'Operation', 'Info', 'Who', 'Version', 'Created', 'Path'] as const;

export function registerTerraformStateRoutes(router: Router, data: GitLabData, store: TerraformStateStore): void {
  const name = (req: ApiRequest) => {
    data.requireProject(req.params.id);
    return req.params.name!;
  };

  router.get('/projects/:id/terraform/state/:name', (req) => {
    const bytes = store.raw(name(req));
    if (bytes === undefined) throw notFound();
    if (bytes === null) return { status: 204 };
    // The stored file as-is: GitLab sets `api.format = :binary` here (no JSON
    // serialisation), so clients get application/octet-stream, not JSON.
    return { status: 200, bytes, contentType: 'application/octet-stream' };
  });

  router.post('/projects/:id/terraform/state/:name', (req) => {
    const state = name(req);
    const holder = store.lockHolder(state);
    const lockId = req.query.get('ID');
    if (holder && holder.ID !== lockId) return { status: 409, json: holder };
    if (req.rawBody.length === 0) return { status: 204 };
    store.write(state, req.rawBody);
    return { status: 200, json: {} };
  });

  router.delete('/projects/:id/terraform/state/:name', (req) => {
    const state = name(req);
    if (store.lockHolder(state)) throw apiError(409, 'Cannot remove a locked state');
    if (!store.remove(state)) throw notFound();
    return { status: 200, json: {} };
  });

  router.post('/projects/:id/terraform/state/:name/lock', (req) => {
    const state = name(req);
    const missing = LOCK_FIELDS.filter((f) => typeof req.body[f] !== 'string');
    if (missing.length > 0) return { status: 400, json: { error: `${missing.join(', ')} is missing` } };
    const info = Object.fromEntries(LOCK_FIELDS.map((f) => [f, req.body[f]])) as unknown as LockInfo;
    const result = store.lock(state, info);
    return result.ok ? { status: 200, json: info } : { status: 409, json: result.holder };
  });

  router.delete('/projects/:id/terraform/state/:name/lock', (req) => {
    const state = name(req);
    const id = req.query.get('ID') ?? (typeof req.body.ID === 'string' ? req.body.ID : undefined);
    const result = store.unlock(state, id);
    return result.ok ? { status: 200, json: {} } : { status: 409, json: result.holder };
  });
}
