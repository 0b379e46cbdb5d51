/**
 * What manifest.yml asks Slack for: the bot scopes. `portcullis doctor` compares them with
 * what the installed app was granted, and the Slack fake grants them by default, so the
 * two never drift from the file a team creates its app from.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';

export const MANIFEST_PATH = fileURLToPath(new URL('../../manifest.yml', import.meta.url));

const manifestScopes = z.object({ oauth_config: z.object({ scopes: z.object({ bot: z.array(z.string()) }) }) });

/** The bot scopes manifest.yml asks for, in its order. */
export function manifestBotScopes(file: string = MANIFEST_PATH): string[] {
  return manifestScopes.parse(parse(readFileSync(file, 'utf8'))).oauth_config.scopes.bot;
}
