/**
 * The baseline the ack and footprint benchmarks measure Portcullis beside: a bare Bolt app
 * in Socket Mode (bare-bolt-app.js) as its own process against the same Slack fake.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { FakeEndpoints } from '../src/fakes/all.ts';
import { APPROVE_ACTION } from '../src/slack/blocks/approval.ts';

export interface BareApp {
  process: ChildProcess;
  /** From the spawn to its socket open, in ms. */
  readyMs: number;
  stop(): Promise<void>;
}

/** Starts the bare app; resolves once it is connected. */
export async function startBareApp(e: FakeEndpoints): Promise<BareApp> {
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(import.meta.dirname, 'bare-bolt-app.js')], {
    env: { PATH: process.env.PATH ?? '', SLACK_BOT_TOKEN: e.slackBotToken, SLACK_APP_TOKEN: e.slackAppToken, SLACK_API_URL: e.slackApiUrl, ACTION_ID: APPROVE_ACTION },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the bare Bolt app did not connect within 20 s')), 20_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line !== 'ready') return;
      clearTimeout(timer);
      resolve();
    });
    void exited.then(() => reject(new Error('the bare Bolt app exited before it connected')));
  });
  const readyMs = performance.now() - started;
  return {
    process: child,
    readyMs,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
