/**
 * `npm run sandbox`: the whole of Portcullis on the local fakes, for a try-out without any
 * Slack, GitLab or AWS account. It starts the fakes and the real bot, then serves a page on
 * 127.0.0.1 that looks and works like a Slack workspace (src/sandbox/web/), with what
 * happens behind Slack beside it. `--demo` plays the scripted walkthrough instead and
 * prints it; `--demo --keep` then leaves the page up on the walkthrough's end state.
 * `--port N` asks for a port; without it the default is used, or any free one when taken.
 * `--endpoints` also prints the fakes' URLs and (fake) tokens, to drive them from a script.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { playDemo, type Say } from './demo.ts';
import { DEFAULT_PORT, startWebSandbox } from './web/server.ts';
import { startWorld, type WorldOptions } from './world.ts';

export interface SandboxOptions extends WorldOptions {
  demo: boolean;
  keep: boolean;
  /** A port asked for (taken: an error); undefined: DEFAULT_PORT, or a free one when taken. */
  port?: number;
  endpoints?: boolean;
  say: Say;
  /** Resolves when the sandbox should stop (default: SIGINT or SIGTERM). */
  stopped?: Promise<unknown>;
}

function signalled(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

export async function runSandbox(options: SandboxOptions): Promise<number> {
  const { say } = options;
  const world = await startWorld(options);
  try {
    if (options.demo) {
      const green = await playDemo(world, say);
      if (!options.keep) return green ? 0 : 1;
    }
    const web = await startWebSandbox(world, options.port === undefined ? { port: DEFAULT_PORT, fallback: true } : { port: options.port, fallback: false });
    try {
      say(`Portcullis sandbox: open ${web.url} (Slack, GitLab and AWS are local fakes on 127.0.0.1; the bot is the real one). Ctrl-C stops it.`);
      if (options.endpoints) say(`Fakes: ${JSON.stringify({ ...world.fakes.endpoints, botPort: world.bot.port, webhookSecret: world.webhookSecret })}`);
      await (options.stopped ?? signalled());
      say('Stopping the sandbox.');
    } finally {
      await web.close();
    }
    return 0;
  } finally {
    await world.close();
  }
}

function cli(argv: string[]): SandboxOptions {
  const { values } = parseArgs({
    args: argv,
    options: { demo: { type: 'boolean' }, keep: { type: 'boolean' }, endpoints: { type: 'boolean' }, port: { type: 'string' } },
  });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new Error(`--port wants a port number 0-65535, not "${values.port}"`);
  return { demo: values.demo ?? false, keep: values.keep ?? false, endpoints: values.endpoints ?? false, ...(port === undefined ? {} : { port }), say: (line) => void process.stdout.write(`${line}\n`) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let options: SandboxOptions;
  try {
    options = cli(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`sandbox: ${(err as Error).message}\nusage: npm run sandbox [-- --demo [--keep]] [--port N] [--endpoints]\n`);
    process.exit(2);
  }
  process.exitCode = await runSandbox(options).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EADDRINUSE') throw err;
    process.stderr.write(`sandbox: port ${options.port} is taken; leave --port out to take a free one\n`);
    return 2;
  });
}
