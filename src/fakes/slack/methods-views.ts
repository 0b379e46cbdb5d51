// views.* methods: modals opened with a fresh trigger_id, updated by id or external_id, Home tabs.
import { SlackApiError } from './api-error.ts';
import { jsonArg, requiredArg, stringArg, type ApiArgs } from './request-body.ts';
import type { Workspace } from './state.ts';
import { openModal, publishHome, pushModal, updateView } from './views.ts';
import type { MethodTable } from './method.ts';

function viewArg(args: ApiArgs): unknown {
  const view = jsonArg(args, 'view', 'invalid_arguments');
  if (view === undefined) throw new SlackApiError('invalid_arguments', ['[ERROR] missing required field: view']);
  return view;
}

function triggerArg(args: ApiArgs): string {
  const trigger = stringArg(args, 'trigger_id') ?? stringArg(args, 'interactivity_pointer');
  if (trigger === undefined) {
    throw new SlackApiError('invalid_arguments', ['[ERROR] missing required field: trigger_id']);
  }
  return trigger;
}

function viewIdFor(ws: Workspace, args: ApiArgs): string {
  const viewId = stringArg(args, 'view_id');
  if (viewId !== undefined) return viewId;
  const externalId = stringArg(args, 'external_id');
  const match = [...ws.views.values()].find((r) => externalId !== undefined && r.view.external_id === externalId);
  if (match === undefined) throw new SlackApiError('not_found');
  return match.view.id;
}

export const viewMethods: MethodTable = {
  'views.open': {
    token: 'bot',
    run(args, { ws }) {
      const { user } = ws.exchangeTrigger(triggerArg(args));
      return { view: openModal(ws, user, viewArg(args)) };
    },
  },
  'views.push': {
    token: 'bot',
    run(args, { ws }) {
      const { user } = ws.exchangeTrigger(triggerArg(args));
      return { view: pushModal(ws, user, viewArg(args)) };
    },
  },
  'views.update': {
    token: 'bot',
    run(args, { ws }) {
      return { view: updateView(ws, viewIdFor(ws, args), viewArg(args), stringArg(args, 'hash')) };
    },
  },
  'views.publish': {
    token: 'bot',
    run(args, { ws }) {
      const user = ws.user(requiredArg(args, 'user_id'));
      return { view: publishHome(ws, user.id, viewArg(args), stringArg(args, 'hash')) };
    },
  },
};
