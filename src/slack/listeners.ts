/**
 * The Slack surfaces the bot listens on. Each listener acknowledges first, maps the
 * payload to a domain call and hands it over; failures travel to
 * one handler that tells the person and logs.
 */
import type { App, BlockButtonAction } from '@slack/bolt';
import type { BotDeps } from '../core/deps.ts';
import { approve, mayReject, reject, type Click } from '../core/decisions.ts';
import {
  APPROVE_ACTION,
  parseDecisionValue,
  REJECT_ACTION,
  REJECT_CALLBACK,
  REJECT_REASON_ACTION,
  REJECT_REASON_BLOCK,
  refusal,
  rejectModal,
} from './blocks/approval.ts';

export function registerListeners(app: App, deps: BotDeps): void {
  const clickOf = (body: BlockButtonAction): Click | null => {
    const parsed = parseDecisionValue(body.actions[0]?.value ?? '');
    return parsed && { ...parsed, user: body.user.id, channel: body.channel?.id ?? deps.settings.channel };
  };
  const failed = (click: { channel: string; user: string; requestId: string }, what: string) => async (err: unknown) => {
    deps.log.error({ err, requestId: click.requestId, user: click.user }, `${what} failed`);
    await deps.chat
      .postEphemeral(click.channel, click.user, refusal(`${what} failed: ${(err as Error).message}`))
      .catch((e: unknown) => deps.log.error({ err: e }, 'telling the person failed too'));
  };

  app.action<BlockButtonAction>(APPROVE_ACTION, async ({ ack, body }) => {
    await ack();
    const click = clickOf(body);
    if (!click) return deps.log.warn({ value: body.actions[0]?.value }, 'approve click with an unreadable value');
    await approve(deps, click).catch(failed(click, 'Approving'));
  });

  app.action<BlockButtonAction>(REJECT_ACTION, async ({ ack, body }) => {
    await ack();
    const click = clickOf(body);
    if (!click) return deps.log.warn({ value: body.actions[0]?.value }, 'reject click with an unreadable value');
    const request = deps.store.requests.get(click.requestId);
    const refused = request ? await mayReject(deps, request, click.user) : 'this request is not known to the bot';
    if (refused) {
      deps.store.audit.record({ at: deps.now().toISOString(), requestId: click.requestId, actor: click.user, action: 'refuse', outcome: 'refused', detail: `reject: ${refused}` });
      return deps.chat.postEphemeral(click.channel, click.user, refusal(refused));
    }
    // The trigger is good for 3 s: open the modal before anything slow.
    await deps.chat.openModal(body.trigger_id, rejectModal(click.requestId)).catch(failed(click, 'Opening the reject form'));
  });

  app.view(REJECT_CALLBACK, async ({ ack, body, view }) => {
    const reason = view.state.values[REJECT_REASON_BLOCK]?.[REJECT_REASON_ACTION]?.value?.trim() ?? '';
    if (reason === '') return void (await ack({ response_action: 'errors', errors: { [REJECT_REASON_BLOCK]: 'Say why the change should not go ahead.' } }));
    await ack();
    const requestId = view.private_metadata;
    const request = deps.store.requests.get(requestId);
    const click = { requestId, pipelineId: request?.pipelineId ?? 0, planJobId: request?.planJobId ?? null, user: body.user.id, channel: deps.settings.channel };
    await reject(deps, { ...click, reason }).catch(failed(click, 'Rejecting'));
  });
}
