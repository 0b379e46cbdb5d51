/**
 * Project, branches, repository files and commits (lib/api/{projects,branches,files,commits}.rb).
 */
import { createHash } from 'node:crypto';
import type { GitLabData } from '../data.ts';
import { branchEntity, commitEntity, projectEntity } from '../entities.ts';
import { apiError, badRequest, missingParam, notFound } from '../http/errors.ts';
import { paginate } from '../http/pagination.ts';
import type { ApiRequest, Router } from '../http/router.ts';
import { RepositoryError, type CommitAction } from '../repository/store.ts';

export interface PushListener {
  (branch: string, beforeSha: string | null, afterSha: string): void;
}

export function registerRepositoryRoutes(router: Router, data: GitLabData, onPush: PushListener): void {
  const project = (req: ApiRequest) => data.requireProject(req.params.id);

  router.get('/projects/:id', (req) => {
    project(req);
    return { status: 200, json: projectEntity(data) };
  });

  router.get('/projects/:id/repository/branches', (req) => {
    project(req);
    const search = req.query.get('search');
    const names = data.repo.branchNames().filter((n) => search === null || n.includes(search));
    return paginate(req, data.baseUrl, names, (n) => branchEntity(data, n, data.repo.branchHead(n)!));
  });

  router.get('/projects/:id/repository/branches/:branch', (req) => {
    project(req);
    const head = data.repo.branchHead(req.params.branch!);
    if (!head) throw notFound('Branch');
    return { status: 200, json: branchEntity(data, req.params.branch!, head) };
  });

  router.post('/projects/:id/repository/branches', (req) => {
    project(req);
    const branch = requireString(req, 'branch');
    const ref = requireString(req, 'ref');
    const head = repositoryCall(() => data.repo.createBranch(branch, ref));
    onPush(branch, null, head.id);
    return { status: 201, json: branchEntity(data, branch, head) };
  });

  router.delete('/projects/:id/repository/branches/:branch', (req) => {
    project(req);
    repositoryCall(() => data.repo.deleteBranch(req.params.branch!));
    return { status: 204 };
  });

  router.get('/projects/:id/repository/files/:file_path', (req) => {
    project(req);
    const { commit, content, path } = readFile(data, req);
    const last = data.repo.lastCommitTouching(commit.id, path)!;
    return {
      status: 200,
      json: {
        file_name: path.split('/').pop(),
        file_path: path,
        size: content.length,
        encoding: 'base64',
        content_sha256: createHash('sha256').update(content).digest('hex'),
        ref: req.query.get('ref'),
        blob_id: createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex'),
        commit_id: commit.id,
        last_commit_id: last.id,
        execute_filemode: false,
        content: content.toString('base64'),
      },
    };
  });

  router.get('/projects/:id/repository/files/:file_path/raw', (req) => {
    project(req);
    const { content } = readFile(data, req);
    return { status: 200, bytes: content, contentType: 'text/plain; charset=utf-8' };
  });

  // GET /projects/:id/repository/tree: the entries directly under `path` (blobs and
  // trees), GitLab's shape {id, name, type, path, mode}, paginated.
  router.get('/projects/:id/repository/tree', (req) => {
    project(req);
    const commit = data.repo.resolve(req.query.get('ref') ?? data.project.defaultBranch);
    if (!commit) throw notFound('Tree');
    const dir = (req.query.get('path') ?? '').replace(/^\/+|\/+$/g, '');
    const prefix = dir === '' ? '' : `${dir}/`;
    const entries = new Map<string, 'blob' | 'tree'>();
    for (const path of commit.tree.keys()) {
      if (!path.startsWith(prefix)) continue;
      const [name, ...rest] = path.slice(prefix.length).split('/');
      entries.set(name!, rest.length > 0 ? 'tree' : 'blob');
    }
    if (dir !== '' && entries.size === 0) throw notFound('Tree');
    const items = [...entries].sort(([a], [b]) => a.localeCompare(b));
    return paginate(req, data.baseUrl, items, ([name, type]) => ({
      id: createHash('sha1').update(`${commit.id}:${prefix}${name}`).digest('hex'),
      name,
      type,
      path: `${prefix}${name}`,
      mode: type === 'tree' ? '040000' : '100644',
    }));
  });

  router.get('/projects/:id/repository/commits', (req) => {
    project(req);
    const ref = req.query.get('ref_name') ?? data.project.defaultBranch;
    const head = data.repo.resolve(ref);
    return paginate(req, data.baseUrl, head ? data.repo.history(head.id) : [], (c) => commitEntity(data, c));
  });

  // GET /repository/compare?from=&to=: the commits `to` has that `from` has not (since
  // their merge base; `straight=true` is not modelled), oldest first, as GitLab lists them.
  router.get('/projects/:id/repository/compare', (req) => {
    project(req);
    const from = data.repo.resolve(requireString(req, 'from'));
    const to = data.repo.resolve(requireString(req, 'to'));
    if (!from || !to) throw notFound('Ref');
    const onFrom = ancestors(data, from.id);
    const commits = [...ancestors(data, to.id)].filter((sha) => !onFrom.has(sha)).map((sha) => data.repo.commit(sha)!);
    commits.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    const entity = (c: (typeof commits)[number]) => {
      const { message: _message, ...rest } = commitEntity(data, c);
      return rest;
    };
    return {
      status: 200,
      json: { commit: commits.length > 0 ? entity(commits.at(-1)!) : null, commits: commits.map(entity), diffs: [], compare_timeout: false, compare_same_ref: from.id === to.id, web_url: data.webUrl(`compare/${from.id}...${to.id}`) },
    };
  });

  router.get('/projects/:id/repository/commits/:sha', (req) => {
    project(req);
    const commit = data.repo.resolve(req.params.sha!);
    if (!commit) throw notFound('Commit');
    return { status: 200, json: { ...commitEntity(data, commit), status: null, project_id: data.project.id, last_pipeline: null } };
  });

  router.post('/projects/:id/repository/commits', (req) => {
    project(req);
    const branch = requireString(req, 'branch');
    const message = requireString(req, 'commit_message');
    if (!Array.isArray(req.body.actions) || req.body.actions.length === 0) throw missingParam('actions');
    const actions = req.body.actions.map(parseAction);
    const startRef = optionalString(req, 'start_sha') ?? optionalString(req, 'start_branch');
    const before = data.repo.branchHead(branch)?.id ?? null;
    const author = { name: optionalString(req, 'author_name') ?? req.user.name, email: optionalString(req, 'author_email') ?? req.user.email };
    const commit = repositoryCall(() => data.repo.commitActions(branch, message, actions, author, startRef));
    onPush(branch, before, commit.id);
    return {
      status: 201,
      json: { ...commitEntity(data, commit), stats: diffStats(data, commit.parentIds[0], commit.id), status: null, project_id: data.project.id, last_pipeline: null },
    };
  });
}

/** Every commit reachable from `sha`, itself included. */
function ancestors(data: GitLabData, sha: string): Set<string> {
  const seen = new Set<string>();
  const queue = [sha];
  while (queue.length > 0) {
    const current = queue.pop()!;
    if (seen.has(current)) continue;
    seen.add(current);
    queue.push(...(data.repo.commit(current)?.parentIds ?? []));
  }
  return seen;
}

function readFile(data: GitLabData, req: ApiRequest) {
  const ref = req.query.get('ref');
  if (!ref) throw missingParam('ref');
  const commit = data.repo.resolve(ref);
  if (!commit) throw notFound('Commit');
  const path = req.params.file_path!;
  const content = commit.tree.get(path);
  if (!content) throw notFound('File');
  return { commit, content, path };
}

const ACTIONS = new Set(['create', 'update', 'delete', 'move', 'chmod']);

function parseAction(raw: unknown): CommitAction {
  const a = (raw ?? {}) as Record<string, unknown>;
  if (typeof a.action !== 'string' || !ACTIONS.has(a.action)) throw apiError(400, { error: 'actions[action] does not have a valid value' });
  if (typeof a.file_path !== 'string' || a.file_path === '') throw missingParam('actions[file_path]');
  const text = typeof a.content === 'string' ? a.content : undefined;
  return {
    action: a.action as CommitAction['action'],
    filePath: a.file_path,
    previousPath: typeof a.previous_path === 'string' ? a.previous_path : undefined,
    content: text === undefined ? undefined : Buffer.from(text, a.encoding === 'base64' ? 'base64' : 'utf8'),
    lastCommitId: typeof a.last_commit_id === 'string' ? a.last_commit_id : undefined,
  };
}

function diffStats(data: GitLabData, parentSha: string | undefined, sha: string) {
  const before = (parentSha && data.repo.commit(parentSha)?.tree) || new Map<string, Buffer>();
  const after = data.repo.commit(sha)!.tree;
  const lines = (b: Buffer | undefined) => (b ? b.toString('utf8').split('\n').length : 0);
  let additions = 0;
  let deletions = 0;
  for (const path of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(path);
    const b = after.get(path);
    if (a && b && a.equals(b)) continue;
    deletions += lines(a);
    additions += lines(b);
  }
  return { additions, deletions, total: additions + deletions };
}

/** Runs a repository operation, turning its refusals into GitLab's answers. */
export function repositoryCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof RepositoryError)) throw err;
    if (err.kind === 'not_found') throw notFound(err.message);
    throw apiError(400, err.message);
  }
}

export function requireString(req: ApiRequest, key: string): string {
  const value = req.body[key] ?? req.query.get(key);
  if (typeof value !== 'string' || value === '') throw missingParam(key);
  return value;
}

export function optionalString(req: ApiRequest, key: string): string | undefined {
  const value = req.body[key] ?? req.query.get(key) ?? undefined;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`${key} is invalid`);
  return value;
}
