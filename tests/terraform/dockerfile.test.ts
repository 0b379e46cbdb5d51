import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { dockerfileProblems, parseDockerfile } from './dockerfile.ts';
import type { BuildContext } from './dockerfile.ts';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');
const dockerfile = read('Dockerfile');
const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const repository: BuildContext = { exists: (path) => existsSync(new URL(path, ROOT)), ignored };
const minNodeMajor = Number(/(\d+)/.exec((JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node)?.[1]);

test('the Dockerfile: pinned LTS base, production dependencies built apart, non-root, files present', () => {
  assert.deepEqual(dockerfileProblems(dockerfile, repository, minNodeMajor), []);
});

test('the image runs the CLI as its entrypoint and puts `portcullis` on PATH for pipeline shells', () => {
  const final = parseDockerfile(dockerfile).stages.at(-1)!;
  const entrypoint = final.instructions.find((i) => i.keyword === 'ENTRYPOINT');
  assert.deepEqual(JSON.parse(entrypoint!.args), ['node', '/app/bin/portcullis.js']);
  const wrapper = final.instructions.find((i) => i.keyword === 'RUN' && i.args.includes('> /usr/local/bin/portcullis'));
  assert.ok(wrapper?.args.includes('exec node /app/bin/portcullis.js'), 'the wrapper runs the same entry script');
});

test('secrets and local state stay out of the build context', () => {
  for (const path of ['.env', '.git', 'node_modules', 'data', 'terraform/.terraform']) assert.ok(ignored.includes(path), path);
});

test('the Dockerfile check names each kind of mistake', () => {
  const context: BuildContext = { exists: (path) => path !== 'missing.txt', ignored: ['tests'] };
  assert.deepEqual(dockerfileProblems(read('tests/terraform/fixtures/broken.Dockerfile'), context, 20), [
    'single stage: build tools would ship in the image',
    'node:25-slim: base image not pinned to a version',
    'node:25-slim: odd Node.js majors are never LTS',
    'npm ci must run in a build stage, not in the final image',
    'the final stage runs as root',
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
