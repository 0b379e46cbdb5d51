/**
 * The shape of src/, read from its import graph (every `import`, type-only ones too):
 * no module imports itself back through others, and the core builds Slack messages only
 * in the modules that post them.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

/** src-relative file → the src files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const local = importedFiles.map((i) => i.fileName).filter((spec) => spec.startsWith('.'));
    graph.set(path.relative(SRC, file), local.map((spec) => path.relative(SRC, path.resolve(path.dirname(file), spec))));
  }
  return graph;
}

/** Each cycle found by a depth-first walk, as the list of files around it. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

const graph = importGraph();

test('the import graph is read: it knows the core and what the core imports', () => {
  assert.ok(graph.size > 100, `only ${graph.size} files read`);
  assert.ok(graph.get(path.join('core', 'sync.ts'))?.includes(path.join('core', 'lifecycle.ts')));
});

test('no import cycle among the files of src/, fakes included', () => {
  assert.deepEqual(cycles(graph).map((c) => c.join(' → ')), []);
});

test('the cycle finder finds a cycle when there is one', () => {
  const looped = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['a.ts']],
  ]);
  assert.deepEqual(cycles(looped), [['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
});

test('src/core imports from src/slack only in the modules that render: the thread, the Home tab, the after-deploy report', () => {
  const renderers = ['thread.ts', 'home.ts', 'after-deploy.ts'].map((f) => path.join('core', f));
  const crossing = [...graph]
    .filter(([file]) => file.startsWith(`core${path.sep}`))
    .flatMap(([file, deps]) => deps.filter((d) => d.startsWith(`slack${path.sep}`)).map((d) => `${file} → ${d}`))
    .filter((edge) => !renderers.some((r) => edge.startsWith(`${r} `)));
  assert.deepEqual(crossing, []);
});
