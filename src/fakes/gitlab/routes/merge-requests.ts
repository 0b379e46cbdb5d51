/**
 * Merge requests and their notes (lib/api/merge_requests.rb, notes.rb). Merge answers as
 * GitLab does: 405 when the MR cannot be merged, 409 when `sha` is not the source head,
 * 406 on conflicts.
 */
import type { GitLabData } from '../data.ts';
import { mergeRequestEntity, noteEntity } from '../entities.ts';
import { apiError, conflict, notAcceptable, notAllowed, notFound } from '../http/errors.ts';
import { paginate } from '../http/pagination.ts';
import type { ApiRequest, Router } from '../http/router.ts';
import type { MergeRequest } from '../model.ts';
import { RepositoryError } from '../repository/store.ts';
import { optionalString, requireString } from './repository.ts';

export function registerMergeRequestRoutes(router: Router, data: GitLabData): void {
  const mergeRequest = (req: ApiRequest) => {
    data.requireProject(req.params.id);
    return data.requireMergeRequest(req.params.iid);
  };

  router.get('/projects/:id/merge_requests', (req) => {
    data.requireProject(req.params.id);
    const state = req.query.get('state');
    const source = req.query.get('source_branch');
    const target = req.query.get('target_branch');
    const list = data.mergeRequests
      .filter((m) => (state === null || state === 'all' || m.state === state) && (source === null || m.sourceBranch === source) && (target === null || m.targetBranch === target))
      .reverse();
    return paginate(req, data.baseUrl, list, (m) => mergeRequestEntity(data, m));
  });

  router.post('/projects/:id/merge_requests', (req) => {
    data.requireProject(req.params.id);
    const sourceBranch = requireString(req, 'source_branch');
    const targetBranch = requireString(req, 'target_branch');
    const title = requireString(req, 'title');
    if (!data.repo.branchHead(sourceBranch)) throw apiError(400, { source_branch: ['is invalid'] });
    if (!data.repo.branchHead(targetBranch)) throw apiError(400, { target_branch: ['is invalid'] });
    if (sourceBranch === targetBranch) throw conflict(["You can't use same project/branch for source and target"]);
    const open = data.mergeRequests.find((m) => m.state === 'opened' && m.sourceBranch === sourceBranch && m.targetBranch === targetBranch);
    if (open) throw conflict([`Another open merge request already exists for this source branch: !${open.iid}`]);
    const now = new Date();
    const mr: MergeRequest = {
      id: data.nextId('mergeRequest'),
      iid: data.mergeRequests.length + 1,
      title,
      description: optionalString(req, 'description') ?? '',
      sourceBranch,
      targetBranch,
      state: 'opened',
      author: req.user,
      createdAt: now,
      updatedAt: now,
      mergedAt: null,
      closedAt: null,
      mergeCommitSha: null,
      frozenSha: null,
      removeSourceBranch: req.body.remove_source_branch === true,
      labels: parseLabels(req.body.labels),
      notes: [],
    };
    data.mergeRequests.push(mr);
    return { status: 201, json: mergeRequestEntity(data, mr) };
  });

  router.get('/projects/:id/merge_requests/:iid', (req) => ({ status: 200, json: mergeRequestEntity(data, mergeRequest(req)) }));

  router.put('/projects/:id/merge_requests/:iid', (req) => {
    const mr = mergeRequest(req);
    const event = optionalString(req, 'state_event');
    if (event === 'close' && mr.state === 'opened') {
      mr.state = 'closed';
      mr.closedAt = new Date();
      mr.frozenSha = data.mergeRequestSha(mr);
    } else if (event === 'reopen' && mr.state === 'closed') {
      mr.state = 'opened';
      mr.closedAt = null;
    }
    mr.title = optionalString(req, 'title') ?? mr.title;
    mr.description = optionalString(req, 'description') ?? mr.description;
    if (req.body.labels !== undefined) mr.labels = parseLabels(req.body.labels);
    mr.updatedAt = new Date();
    return { status: 200, json: mergeRequestEntity(data, mr) };
  });

  router.put('/projects/:id/merge_requests/:iid/merge', (req) => {
    const mr = mergeRequest(req);
    merge(data, mr, req);
    return { status: 200, json: mergeRequestEntity(data, mr) };
  });

  router.get('/projects/:id/merge_requests/:iid/notes', (req) => {
    const mr = mergeRequest(req);
    const notes = req.query.get('sort') === 'asc' ? mr.notes : [...mr.notes].reverse();
    return paginate(req, data.baseUrl, notes, (n) => noteEntity(data, mr, n));
  });

  router.post('/projects/:id/merge_requests/:iid/notes', (req) => {
    const mr = mergeRequest(req);
    const body = requireString(req, 'body');
    const now = new Date();
    const note = { id: data.nextId('note'), body, author: req.user, createdAt: now, updatedAt: now };
    mr.notes.push(note);
    return { status: 201, json: noteEntity(data, mr, note) };
  });

  router.get('/projects/:id/merge_requests/:iid/notes/:note_id', (req) => {
    const mr = mergeRequest(req);
    const note = mr.notes.find((n) => String(n.id) === req.params.note_id);
    if (!note) throw notFound('Note');
    return { status: 200, json: noteEntity(data, mr, note) };
  });

  router.put('/projects/:id/merge_requests/:iid/notes/:note_id', (req) => {
    const mr = mergeRequest(req);
    const note = mr.notes.find((n) => String(n.id) === req.params.note_id);
    if (!note) throw notFound('Note');
    note.body = requireString(req, 'body');
    note.updatedAt = new Date();
    return { status: 200, json: noteEntity(data, mr, note) };
  });
}

function merge(data: GitLabData, mr: MergeRequest, req: ApiRequest): void {
  const head = data.repo.branchHead(mr.sourceBranch);
  const draft = /^(draft:|\[draft\]|\(draft\))/i.test(mr.title);
  if (mr.state !== 'opened' || draft || !head) throw notAllowed();
  if (data.project.onlyAllowMergeIfPipelineSucceeds && data.latestPipelineFor(mr.sourceBranch, head.id)?.status !== 'success') {
    throw notAllowed();
  }
  const sha = optionalString(req, 'sha');
  if (sha !== undefined && sha !== head.id) throw conflict(`SHA does not match HEAD of source branch: ${head.id}`);
  const message =
    optionalString(req, 'merge_commit_message') ??
    `Merge branch '${mr.sourceBranch}' into '${mr.targetBranch}'\n\n${mr.title}\n\nSee merge request ${data.project.pathWithNamespace}!${mr.iid}`;
  try {
    const commit = data.repo.merge(mr.sourceBranch, mr.targetBranch, message, { name: req.user.name, email: req.user.email });
    mr.mergeCommitSha = commit.id;
  } catch (err) {
    if (err instanceof RepositoryError && err.kind === 'conflict') throw notAcceptable('Branch cannot be merged');
    throw err;
  }
  mr.state = 'merged';
  mr.frozenSha = head.id;
  mr.mergedAt = new Date();
  mr.updatedAt = mr.mergedAt;
  if (req.body.should_remove_source_branch === true || mr.removeSourceBranch) data.repo.deleteBranch(mr.sourceBranch);
}

function parseLabels(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') return value.split(',').map((l) => l.trim()).filter(Boolean);
  return [];
}
