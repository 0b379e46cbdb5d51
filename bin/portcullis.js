#!/usr/bin/env node
// The one way Portcullis runs: its TypeScript sources through tsx, in the CLI, the bot,
// the tests and the Docker image alike.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
