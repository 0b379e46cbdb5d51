/**
 * Project hooks (lib/api/project_hooks.rb): list, show, create, edit, delete, and each
 * hook's recent deliveries (`/events`, its web hook logs). A hook's secret token is never
 * shown, as in GitLab. Hook URLs must be loopback: the fake never sends anywhere else.
 */
import { randomUUID } from 'node:crypto';
import type { GitLabData } from '../data.ts';
import { apiError, notFound } from '../http/errors.ts';
import { paginate } from '../http/pagination.ts';
import type { Router } from '../http/router.ts';
import { isLoopbackUrl, type Hook, type WebhookSender } from '../webhooks/sender.ts';
import { requireString } from './repository.ts';

export interface HookInput {
  url: string;
  token?: string | undefined;
  pipelineEvents?: boolean | undefined;
  jobEvents?: boolean | undefined;
  pushEvents?: boolean | undefined;
  mergeRequestsEvents?: boolean | undefined;
}

export function createHook(data: GitLabData, sender: WebhookSender, input: HookInput): Hook {
  if (!isLoopbackUrl(input.url)) throw apiError(422, { url: ['is blocked: the fake GitLab only delivers to http://127.0.0.0/8'] });
  const hook: Hook = {
    id: data.nextId('hook'),
    url: input.url,
    token: input.token,
    pipelineEvents: input.pipelineEvents ?? false,
    jobEvents: input.jobEvents ?? false,
    pushEvents: input.pushEvents ?? true,
    mergeRequestsEvents: input.mergeRequestsEvents ?? false,
    uuid: randomUUID(),
    createdAt: new Date(),
    consecutiveFailures: 0,
    disabledUntil: null,
  };
  sender.addHook(hook);
  return hook;
}

export function hookEntity(data: GitLabData, hook: Hook) {
  const disabled = hook.disabledUntil !== null && hook.disabledUntil > new Date();
  return {
    id: hook.id,
    url: hook.url,
    name: null,
    description: null,
    project_id: data.project.id,
    created_at: hook.createdAt.toISOString(),
    push_events: hook.pushEvents,
    push_events_branch_filter: null,
    branch_filter_strategy: 'wildcard',
    tag_push_events: false,
    merge_requests_events: hook.mergeRequestsEvents,
    issues_events: false,
    confidential_issues_events: false,
    note_events: false,
    confidential_note_events: false,
    pipeline_events: hook.pipelineEvents,
    job_events: hook.jobEvents,
    wiki_page_events: false,
    deployment_events: false,
    releases_events: false,
    repository_update_events: false,
    enable_ssl_verification: true,
    alert_status: disabled ? 'temporarily_disabled' : 'executable',
    disabled_until: disabled ? hook.disabledUntil!.toISOString() : null,
    url_variables: [],
    custom_webhook_template: null,
  };
}

export function registerHookRoutes(router: Router, data: GitLabData, sender: WebhookSender): void {
  const flag = (value: unknown) => (value === undefined ? undefined : value === true || value === 'true');

  router.get('/projects/:id/hooks', (req) => {
    data.requireProject(req.params.id);
    return paginate(req, data.baseUrl, sender.hooks, (h) => hookEntity(data, h));
  });

  router.get('/projects/:id/hooks/:hook_id', (req) => {
    data.requireProject(req.params.id);
    const hook = sender.hooks.find((h) => String(h.id) === req.params.hook_id);
    if (!hook) throw notFound();
    return { status: 200, json: hookEntity(data, hook) };
  });

  router.post('/projects/:id/hooks', (req) => {
    data.requireProject(req.params.id);
    const hook = createHook(data, sender, {
      url: requireString(req, 'url'),
      token: typeof req.body.token === 'string' ? req.body.token : undefined,
      pipelineEvents: flag(req.body.pipeline_events),
      jobEvents: flag(req.body.job_events),
      pushEvents: flag(req.body.push_events),
      mergeRequestsEvents: flag(req.body.merge_requests_events),
    });
    return { status: 201, json: hookEntity(data, hook) };
  });

  // Only the attributes given change; GitLab leaves the others (the token too) as they were.
  router.put('/projects/:id/hooks/:hook_id', (req) => {
    data.requireProject(req.params.id);
    const hook = sender.hooks.find((h) => String(h.id) === req.params.hook_id);
    if (!hook) throw notFound();
    const url = req.body.url;
    if (url !== undefined) {
      if (typeof url !== 'string' || !isLoopbackUrl(url)) throw apiError(422, { url: ['is blocked: the fake GitLab only delivers to http://127.0.0.0/8'] });
      hook.url = url;
    }
    if (typeof req.body.token === 'string') hook.token = req.body.token === '' ? undefined : req.body.token;
    hook.pipelineEvents = flag(req.body.pipeline_events) ?? hook.pipelineEvents;
    hook.jobEvents = flag(req.body.job_events) ?? hook.jobEvents;
    hook.pushEvents = flag(req.body.push_events) ?? hook.pushEvents;
    hook.mergeRequestsEvents = flag(req.body.merge_requests_events) ?? hook.mergeRequestsEvents;
    return { status: 200, json: hookEntity(data, hook) };
  });

  // The hook's deliveries of the last 7 days, newest first; the secret shows as [REDACTED].
  router.get('/projects/:id/hooks/:hook_id/events', (req) => {
    data.requireProject(req.params.id);
    const hook = sender.hooks.find((h) => String(h.id) === req.params.hook_id);
    if (!hook) throw notFound();
    const since = Date.now() - 7 * 86_400_000;
    const records = sender.deliveries().filter((d) => d.hookId === hook.id && d.sentAt.getTime() >= since).reverse();
    return paginate(req, data.baseUrl, records, (d) => ({
      id: d.sentAt.getTime(),
      url: hook.url,
      trigger: d.event === 'Pipeline Hook' ? 'pipeline_hooks' : 'job_hooks',
      request_headers: { 'Content-Type': 'application/json', 'X-Gitlab-Event': d.event, 'Idempotency-Key': d.idempotencyKey, ...(hook.token ? { 'X-Gitlab-Token': '[REDACTED]' } : {}) },
      request_data: d.payload,
      response_headers: {},
      response_body: '',
      execution_duration: 0.01,
      response_status: d.status === null ? 'internal error' : String(d.status),
    }));
  });

  router.delete('/projects/:id/hooks/:hook_id', (req) => {
    data.requireProject(req.params.id);
    const index = sender.hooks.findIndex((h) => String(h.id) === req.params.hook_id);
    if (index < 0) throw notFound();
    sender.hooks.splice(index, 1);
    return { status: 204 };
  });
}
