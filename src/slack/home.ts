/**
 * The App Home tab: published fresh each time its owner opens it. Clicks on its buttons
 * reach the decision listeners (listeners.ts), which cannot tell a Home tab from the
 * channel except for the missing channel, where refusals fall back to the bot's channel.
 */
import type { App } from '@slack/bolt';
import type { BotDeps } from '../core/deps.ts';
import { refreshHome } from '../core/home.ts';

export function registerHome(app: App, deps: BotDeps): void {
  app.event('app_home_opened', async ({ event }) => {
    // The Messages tab opens the same event; only the Home tab has something to show.
    if (event.tab !== 'home') return;
    await refreshHome(deps, event.user).catch((err: unknown) => deps.log.error({ err, user: event.user }, 'publishing the Home tab failed'));
  });
}
