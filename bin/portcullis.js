#!/usr/bin/env node
// `portcullis`: the compiled command line (`npm run build` writes dist/), run with plain
// node here and in the Docker image. From the sources, without a build:
// `node --import tsx src/cli.ts` (`npm run cli --`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('portcullis: not built; run `npm run build` first (or `npm run cli -- <command>` to run the sources)\n');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
