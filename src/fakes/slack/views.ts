// Modals and Home tabs: what views.open/update/publish and a view_submission ack's
// `response_action` do to the views a person has open.
import { randomBytes } from 'node:crypto';
import { SlackApiError } from './api-error.ts';
import { validateView } from './blocks-validation.ts';
import { withGeneratedIds, type Block, type SlackView, type ViewRecord, type Workspace } from './state.ts';

function newHash(): string {
  return `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`;
}

/** A view as Slack stores and returns it, from what the app sent. */
function materialize(
  ws: Workspace,
  input: unknown,
  id: string,
  rootViewId: string,
  previousViewId: string | null,
): SlackView {
  const problems = validateView(input);
  if (problems.length > 0) throw new SlackApiError('invalid_arguments', problems);
  const sent = input as Record<string, unknown>;
  return {
    id,
    team_id: ws.seed.team.id,
    type: String(sent.type),
    blocks: withGeneratedIds(sent.blocks as Block[]),
    private_metadata: sent.private_metadata ?? '',
    callback_id: sent.callback_id ?? '',
    state: { values: {} },
    hash: newHash(),
    title: sent.title ?? null,
    clear_on_close: sent.clear_on_close ?? false,
    notify_on_close: sent.notify_on_close ?? false,
    close: sent.close ?? null,
    submit: sent.submit ?? null,
    previous_view_id: previousViewId,
    root_view_id: rootViewId,
    app_id: ws.seed.app.appId,
    external_id: sent.external_id ?? '',
    app_installed_team_id: ws.seed.team.id,
    bot_id: ws.seed.app.botId,
  };
}

function requireType(input: unknown, type: 'modal' | 'home'): void {
  if ((input as { type?: unknown } | null)?.type !== type) {
    throw new SlackApiError('invalid_arguments', [`[ERROR] must be ${type} [json-pointer:/view/type]`]);
  }
}

function store(ws: Workspace, user: string, view: SlackView): ViewRecord {
  const record: ViewRecord = { user, view };
  ws.views.set(view.id, record);
  return record;
}

export function openModal(ws: Workspace, user: string, input: unknown): SlackView {
  requireType(input, 'modal');
  const id = ws.newId('V');
  const record = store(ws, user, materialize(ws, input, id, id, null));
  ws.modalStacks.set(user, [id]);
  ws.changed();
  return record.view;
}

export function pushModal(ws: Workspace, user: string, input: unknown): SlackView {
  requireType(input, 'modal');
  const stack = ws.modalStack(user);
  const below = stack.at(-1);
  if (below === undefined) throw new SlackApiError('not_found', ['[ERROR] no modal is open to push onto']);
  if (stack.length >= 3) throw new SlackApiError('push_limit_reached');
  const id = ws.newId('V');
  const record = store(ws, user, materialize(ws, input, id, ws.view(below).view.root_view_id as string, below));
  stack.push(id);
  ws.changed();
  return record.view;
}

/** Replace a view's content in place; `hash`, when given, must match the current one. */
export function updateView(ws: Workspace, viewId: unknown, input: unknown, hash?: unknown): SlackView {
  const record = ws.view(viewId);
  if (hash !== undefined && hash !== record.view.hash) throw new SlackApiError('hash_conflict');
  requireType(input, record.view.type as 'modal' | 'home');
  const old = record.view;
  record.view = materialize(ws, input, old.id, old.root_view_id as string, old.previous_view_id as string | null);
  delete record.errors;
  ws.changed();
  return record.view;
}

export function publishHome(ws: Workspace, user: string, input: unknown, hash?: unknown): SlackView {
  const existing = ws.homeViews.get(user);
  if (existing !== undefined) return updateView(ws, existing, input, hash);
  requireType(input, 'home');
  const id = ws.newId('V');
  const record = store(ws, user, materialize(ws, input, id, id, null));
  ws.homeViews.set(user, id);
  ws.changed();
  return record.view;
}

/** What Slack does with the ack of a view_submission (Slack's modal docs: response_action). */
export function applySubmissionAck(ws: Workspace, record: ViewRecord, ack: Record<string, unknown>): void {
  const stack = ws.modalStack(record.user);
  switch (ack.response_action) {
    case 'errors':
      record.errors = ack.errors as Record<string, string>;
      return ws.changed();
    case 'update':
      updateView(ws, record.view.id, ack.view);
      return;
    case 'push':
      pushModal(ws, record.user, ack.view);
      return;
    case 'clear':
      stack.splice(0);
      return ws.changed();
    default:
      stack.splice(stack.indexOf(record.view.id));
      ws.changed();
  }
}

/**
 * The person closes the modal on top of their stack (its close button, or Esc): Slack
 * goes back to the view below, or closes them all when the view has `clear_on_close`.
 * Returns whether the app asked to hear of it (`notify_on_close`: a view_closed payload).
 */
export function closeModal(ws: Workspace, user: string, viewId: string): { notify: boolean; cleared: boolean } {
  const stack = ws.modalStack(user);
  if (stack.at(-1) !== viewId) throw new Error(`view ${viewId} is not the top modal of ${user}`);
  const { view } = ws.view(viewId);
  const cleared = view.clear_on_close === true;
  if (cleared) stack.splice(0);
  else stack.pop();
  ws.changed();
  return { notify: view.notify_on_close === true, cleared };
}
