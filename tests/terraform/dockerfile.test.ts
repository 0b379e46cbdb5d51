import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { dockerfileProblems, parseDockerfile } from './dockerfile.ts';
import type { BuildContext } from './dockerfile.ts';
import { parse } from 'yaml';
import { runCli } from '../helpers/cli.ts';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');
const dockerfile = read('Dockerfile');
const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const repository: BuildContext = { exists: (path) => existsSync(new URL(path, ROOT)), ignored };
const minNodeMajor = Number(/(\d+)/.exec((JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node)?.[1]);
/**
 * The current Node.js LTS line: 26 is Active LTS from 2026-10-28 to 2027-10-20 (the
 * nodejs/Release schedule), 24 in Maintenance. Raise it when the next line becomes LTS.
 */
const CURRENT_LTS_MAJOR = 26;

test('the Dockerfile: the current LTS pinned, compiled output and production dependencies built apart, non-root, a HEALTHCHECK, files present', () => {
  assert.deepEqual(dockerfileProblems(dockerfile, repository, minNodeMajor, CURRENT_LTS_MAJOR), []);
});

test('the image runs the bot by default: `portcullis bot`, a command of the CLI', async () => {
  const final = parseDockerfile(dockerfile).stages.at(-1)!;
  const cmd = final.instructions.filter((i) => i.keyword === 'CMD').at(-1);
  assert.deepEqual(JSON.parse(cmd!.args), ['bot']);
  const help = await runCli('bot', '--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /portcullis bot/);
  const health = final.instructions.find((i) => i.keyword === 'HEALTHCHECK')!;
  assert.match(health.args, /--interval=\d+s .*CMD \["node", "-e", ".*\/healthz/);
});

test('compose.yaml runs that image as the bot, its database on a volume, stopped with time to drain', () => {
  const compose = parse(read('compose.yaml')) as { services: Record<string, Record<string, unknown>>; volumes: Record<string, unknown> };
  const bot = compose.services.bot!;
  assert.equal(bot.build, '.');
  assert.deepEqual(bot.command, ['bot']);
  assert.equal(bot.env_file, '.env');
  const env = bot.environment as Record<string, string>;
  const mount = (bot.volumes as string[]).map((v) => v.split(':')).find(([, target]) => target === '/app/data');
  assert.ok(mount && mount[0]! in compose.volumes, 'a named volume on /app/data');
  assert.ok(env.DATABASE_PATH!.startsWith('/app/data/'), 'the database on that volume');
  const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)?.[1]);
  assert.ok(seconds(bot.stop_grace_period as string) > seconds(env.SHUTDOWN_TIMEOUT!), 'Docker waits longer than the bot drains');
});

test('the image runs the CLI as its entrypoint and puts `portcullis` on PATH for pipeline shells', () => {
  const final = parseDockerfile(dockerfile).stages.at(-1)!;
  const entrypoint = final.instructions.find((i) => i.keyword === 'ENTRYPOINT');
  assert.deepEqual(JSON.parse(entrypoint!.args), ['node', '/app/bin/portcullis.js']);
  const wrapper = final.instructions.find((i) => i.keyword === 'RUN' && i.args.includes('> /usr/local/bin/portcullis'));
  assert.ok(wrapper?.args.includes('exec node /app/bin/portcullis.js'), 'the wrapper runs the same entry script');
});

test('secrets and local state stay out of the build context', () => {
  for (const path of ['.env', '.git', 'node_modules', 'data', 'terraform/.terraform', 'dist']) assert.ok(ignored.includes(path), path);
});

test('the Dockerfile check names each kind of mistake', () => {
  const context: BuildContext = { exists: (path) => path !== 'missing.txt', ignored: ['tests'] };
  assert.deepEqual(dockerfileProblems(read('tests/terraform/fixtures/broken.Dockerfile'), context, 20, 26), [
    'single stage: build tools would ship in the image',
    'node:25-slim: base image not pinned to a version',
    'node:25-slim: odd Node.js majors are never LTS',
    'node:25-slim: not the current LTS line (26)',
    'npm ci must run in a build stage, not in the final image',
    'the final stage does not copy node_modules from a build stage',
    'the final stage does not copy dist/ from a stage that runs npm run build',
    'COPY src: TypeScript sources in the final image',
    'COPY tests: TypeScript sources in the final image',
    'the final stage runs as root',
    'no HEALTHCHECK on /healthz',
    'COPY tests: excluded by .dockerignore',
    'COPY missing.txt: not in the repository',
    'ENTRYPOINT is not in exec form (a JSON array), so signals would not reach node',
  ]);
});

test('ARG defaults declared before FROM name the base image of each stage', () => {
  const { stages } = parseDockerfile('ARG BASE=node:26.13.0-bookworm-slim\nFROM ${BASE} AS deps\nRUN a \\\n  && b\nFROM deps\n');
  assert.deepEqual(stages.map((s) => [s.image, s.name]), [['node:26.13.0-bookworm-slim', 'deps'], ['deps', undefined]]);
  assert.equal(stages[0]!.instructions[0]!.args, 'a && b');
});

test('a two-stage image that ships dev dependencies and runs the sources through tsx is refused', () => {
  const text = [
    'FROM node:26.10.0-trixie-slim AS build',
    'RUN apt-get install -y python3 make g++',
    'RUN npm ci',
    'FROM node:24.11.0-trixie-slim',
    'COPY --from=build /app/node_modules ./node_modules',
    'COPY src ./src',
    'USER node',
    'HEALTHCHECK CMD ["node", "-e", "fetch(\'http://127.0.0.1:3000/healthz\')"]',
    'ENTRYPOINT ["node", "--import", "tsx", "/app/src/main.ts"]',
  ].join('\n');
  const context: BuildContext = { exists: () => true, ignored: [] };
  assert.deepEqual(dockerfileProblems(text, context, 20, 26), [
    'node:24.11.0-trixie-slim: not the current LTS line (26)',
    'the copied node_modules hold dev dependencies',
    'the final stage does not copy dist/ from a stage that runs npm run build',
    'COPY src: TypeScript sources in the final image',
    'ENTRYPOINT runs --import, which no COPY puts there',
  ]);
});
