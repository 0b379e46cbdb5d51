/**
 * manifest.yml against Slack's manifest format (the keys and enums of @slack/web-api's
 * Manifest type, read from the installed SDK) and against the code: the commands it
 * registers and the Web API methods it calls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { SLASH_COMMANDS } from '../../src/slack/commands.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');
const manifest = parse(readFileSync(path.join(ROOT, 'manifest.yml'), 'utf8')) as Record<string, any>;

/** A string-literal union from the SDK's manifest types, e.g. BotScope. */
function sdkUnion(name: string): Set<string> {
  const require = createRequire(import.meta.url);
  const file = path.join(path.dirname(require.resolve('@slack/web-api/package.json')), 'dist', 'types', 'request', 'manifest.d.ts');
  const match = new RegExp(`type ${name} = ([^;]+);`).exec(readFileSync(file, 'utf8'));
  assert.ok(match, `${name} is in the SDK's manifest types`);
  return new Set([...match[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!));
}

// The parts of @slack/web-api's Manifest type Portcullis uses, strict: an unknown or misspelt key fails.
const slashCommand = z.object({ command: z.string().regex(/^\/[a-z0-9-]+$/), description: z.string().min(1).max(100), usage_hint: z.string().max(100).optional(), should_escape: z.boolean().optional() }).strict();
const manifestSchema = z
  .object({
    _metadata: z.object({ major_version: z.number().optional(), minor_version: z.number().optional() }).strict().optional(),
    display_information: z.object({ name: z.string().min(1).max(35), description: z.string().max(140).optional(), long_description: z.string().min(175).max(4000).optional(), background_color: z.string().regex(/^#[0-9a-fA-F]{6}$/).optional() }).strict(),
    features: z
      .object({
        app_home: z.object({ home_tab_enabled: z.boolean().optional(), messages_tab_enabled: z.boolean().optional(), messages_tab_read_only_enabled: z.boolean().optional() }).strict().optional(),
        bot_user: z.object({ display_name: z.string().min(1).max(80), always_online: z.boolean().optional() }).strict().optional(),
        slash_commands: z.array(slashCommand).max(50).optional(),
      })
      .strict(),
    oauth_config: z.object({ scopes: z.object({ bot: z.array(z.string()).optional() }).strict() }).strict(),
    settings: z
      .object({
        event_subscriptions: z.object({ bot_events: z.array(z.string()).optional() }).strict().optional(),
        interactivity: z.object({ is_enabled: z.boolean() }).strict().optional(),
        org_deploy_enabled: z.boolean().optional(),
        socket_mode_enabled: z.boolean().optional(),
        token_rotation_enabled: z.boolean().optional(),
      })
      .strict(),
  })
  .strict();

test('manifest.yml uses only keys the manifest format knows, in the shapes it takes', () => {
  const result = manifestSchema.safeParse(manifest);
  assert.ok(result.success, result.success ? '' : JSON.stringify(result.error.issues));
});

test('scopes and events are ones Slack defines', () => {
  const scopes = sdkUnion('BotScope');
  for (const s of manifest.oauth_config.scopes.bot) assert.ok(scopes.has(s), `unknown bot scope ${s}`);
  const events = sdkUnion('ManifestEvent');
  for (const e of manifest.settings.event_subscriptions.bot_events) assert.ok(events.has(e), `unknown event ${e}`);
});

test('Socket Mode with interactivity and the Home tab, and no public URL anywhere', () => {
  assert.equal(manifest.settings.socket_mode_enabled, true);
  assert.equal(manifest.settings.interactivity.is_enabled, true);
  assert.equal(manifest.features.app_home.home_tab_enabled, true);
  assert.ok(manifest.settings.event_subscriptions.bot_events.includes('app_home_opened'));
  assert.doesNotMatch(JSON.stringify(manifest), /"(url|request_url)"/);
});

test('the slash commands are exactly those the code registers, described alike', () => {
  const declared = Object.fromEntries(manifest.features.slash_commands.map((c: any) => [c.command, { description: c.description, usageHint: c.usage_hint }]));
  assert.deepEqual(declared, SLASH_COMMANDS);
});

/** Scope each Web API method the bot calls needs (api.slack.com/methods). */
const METHOD_SCOPES: Record<string, string | string[] | null> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'chat.getPermalink': null,
  filesUploadV2: 'files:write',
  'usergroups.users.list': 'usergroups:read',
  'users.info': 'users:read',
  // users:read.email is granted only beside users:read.
  'users.lookupByEmail': ['users:read', 'users:read.email'],
  'views.open': null,
  'views.update': null,
  'views.publish': null,
  'auth.test': null,
  // portcullis doctor: the channel, public (channels:read) or private (groups:read).
  'conversations.info': ['channels:read', 'groups:read'],
  // Takes the app-level token (connections:write), not a bot scope.
  'apps.connections.open': null,
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'fakes' ? [] : sources(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

test('the bot scopes are exactly what the Web API calls in src/ need, plus commands', () => {
  const called = new Set<string>();
  for (const file of sources(path.join(ROOT, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\bclient\.((?:[a-z]+\.)+[a-zA-Z]+|filesUploadV2)\(/g)) called.add(m[1]!);
  }
  assert.ok(called.has('chat.postMessage'), 'the scan finds the calls');
  const unknown = [...called].filter((m) => !(m in METHOD_SCOPES));
  assert.deepEqual(unknown, [], 'every method called has a known scope');
  const needed = new Set([...called].flatMap((m) => METHOD_SCOPES[m] ?? []));
  assert.ok(needed.has('users:read.email'), 'GitLab people are mapped to Slack users by email');
  needed.add('commands');
  assert.deepEqual([...manifest.oauth_config.scopes.bot].sort(), [...needed].sort());
});
