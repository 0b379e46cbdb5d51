/**
 * The initial tree of the fake repository: the files under chosen folders of a real
 * checkout (by default `terraform/` and `policies/`), kept at their repo-relative paths,
 * plus any files given inline.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface SeedOptions {
  /** A checkout's root; the folders below are read from it. */
  dir?: string;
  /** Folders under `dir` to copy; default `terraform` and `policies`. */
  paths?: string[];
  /** Files added on top (repo-relative path -> content). */
  files?: Record<string, string>;
}

export async function loadSeedTree(seed: SeedOptions): Promise<Map<string, Buffer>> {
  const tree = new Map<string, Buffer>();
  if (seed.dir !== undefined) {
    for (const folder of seed.paths ?? ['terraform', 'policies']) {
      for (const file of await listFiles(join(seed.dir, folder))) {
        tree.set(relative(seed.dir, file).split(sep).join('/'), await readFile(file));
      }
    }
  }
  for (const [path, content] of Object.entries(seed.files ?? {})) tree.set(path, Buffer.from(content));
  return tree;
}

/** Local working state that git would ignore, never part of a repository. */
const SKIPPED = new Set(['.terraform', 'node_modules', '.git']);

async function listFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    // A folder the checkout does not have (yet) seeds nothing.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files: string[] = [];
  for (const entry of entries) {
    if (SKIPPED.has(entry.name)) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(full)));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}
