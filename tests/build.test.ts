/**
 * The build: tsc compiles src/ with tsconfig.build.json into a dist/ that plain node runs
 * (here into a temporary folder, see tests/helpers/build.ts), and each entry loads only
 * what it uses.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { buildCopy, ROOT } from './helpers/build.ts';

const RECORDER = path.join(ROOT, 'tests', 'helpers', 'record-modules.js');
const run = promisify(execFile);
let dir: string;

/** Runs node with `args` in the built copy; resolves to its exit code, output and the packages it loaded. */
async function node(args: string[], env: Record<string, string> = {}) {
  const modules = path.join(dir, `modules-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(modules, '');
  const result = await run(process.execPath, ['--import', RECORDER, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', RECORD_MODULES_FILE: modules, ...env },
    timeout: 30_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
  const urls = readFileSync(modules, 'utf8').split('\n').filter(Boolean);
  const packages = new Set(urls.flatMap((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)?.[1] ?? []));
  const own = urls.filter((u) => u.startsWith('file:') && !u.includes('/node_modules/') && !u.endsWith('record-modules-hooks.js'));
  return { ...result, packages, own };
}

let remove = () => {};
before(async () => {
  ({ dir, remove } = await buildCopy());
});

after(() => remove());

test('dist/ mirrors src/ as JavaScript, with no TypeScript import left', () => {
  const files = readdirSync(path.join(dir, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
  assert.ok(files.includes('main.js') && files.includes('cli.js') && files.includes(path.join('cli', 'compliance.js')));
  for (const file of files) {
    assert.doesNotMatch(readFileSync(path.join(dir, 'dist', file), 'utf8'), /from '\.{1,2}\/[^']*\.ts'|import\('\.{1,2}\/[^']*\.ts'\)/, file);
  }
});

test('bin/portcullis.js runs the compiled compliance command with plain node, without the AWS SDK, Bolt, gitbeaker or SQLite', async () => {
  const request = path.join(dir, 'request.json');
  writeFileSync(request, JSON.stringify({ direction: 'ingress', protocol: 'tcp', from_port: 22, to_port: 22, cidr: '0.0.0.0/0', description: 'debug', security_group: 'sg-front' }));
  const r = await node(['bin/portcullis.js', 'compliance', '--request', request, '--format', 'json']);
  assert.equal(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout) as { compliant: boolean; violations: Array<{ policy: string }> };
  assert.equal(report.compliant, false);
  assert.ok(report.violations.some((v) => v.policy === 'public-ingress-no-admin-ports'));
  for (const heavy of ['@aws-sdk/client-ec2', '@aws-sdk/client-sts', '@slack/bolt', '@gitbeaker/rest', 'better-sqlite3', 'pino', 'tsx', 'typescript']) {
    assert.ok(!r.packages.has(heavy), `compliance loaded ${heavy}`);
  }
  assert.ok(r.own.length > 0 && r.own.every((u) => u.includes('/dist/') || u.endsWith('/bin/portcullis.js')), `only compiled modules: ${r.own.filter((u) => !u.includes('/dist/')).join(', ')}`);
  assert.ok(!r.own.some((u) => u.includes('/dist/fakes/') || u.includes('/dist/slack/') || u.includes('/dist/store/')), 'no module of another command');
});

test('the compiled bot entry loads its whole import graph with plain node, the AWS SDK left for later', async () => {
  // No configuration: every static import has loaded by the time main() refuses to start.
  const r = await node(['dist/main.js']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^portcullis: invalid configuration:\n {2}SLACK_BOT_TOKEN: missing/);
  for (const loaded of ['@slack/bolt', '@gitbeaker/rest', 'better-sqlite3', 'pino']) assert.ok(r.packages.has(loaded), loaded);
  for (const lazy of ['@aws-sdk/client-ec2', '@aws-sdk/client-sts', 'tsx']) assert.ok(!r.packages.has(lazy), `the bot loaded ${lazy} at start`);
});

test('--help lists every command; an unbuilt checkout says how to build', async () => {
  const help = await node(['bin/portcullis.js', '--help']);
  assert.equal(help.code, 0);
  for (const command of ['compliance', 'plan-summary', 'check-services', 'consistency', 'inbox', 'audit', 'fakes']) assert.match(help.stdout, new RegExp(`^  ${command} `, 'm'));

  const bare = mkdtempSync(path.join(tmpdir(), 'portcullis-unbuilt-'));
  try {
    mkdirSync(path.join(bare, 'bin'));
    copyFileSync(path.join(ROOT, 'bin', 'portcullis.js'), path.join(bare, 'bin', 'portcullis.js'));
    copyFileSync(path.join(ROOT, 'package.json'), path.join(bare, 'package.json'));
    const unbuilt = await run(process.execPath, [path.join(bare, 'bin', 'portcullis.js'), 'compliance']).catch((e: { code: number; stderr: string }) => e);
    assert.equal((unbuilt as { code?: number }).code, 2);
    assert.match(unbuilt.stderr, /not built; run `npm run build`/);
  } finally {
    rmSync(bare, { recursive: true, force: true });
  }
});

test('package.json: npm start and the bin run the build with plain node; tsx is for development only', () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string> };
  assert.equal(pkg.scripts.start, 'node dist/main.js');
  assert.match(pkg.scripts.build!, /tsc -p tsconfig\.build\.json/);
  assert.equal(pkg.bin.portcullis, 'bin/portcullis.js');
  assert.ok(!('tsx' in pkg.dependencies) && 'tsx' in pkg.devDependencies);
  assert.ok(!('typescript' in pkg.dependencies));
});
