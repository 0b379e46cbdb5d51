/**
 * `npm run screenshots`: the web sandbox's main states as PNGs under docs/sandbox/, for
 * the README. It plays the browser test's walkthrough (flow.ts) on a fresh sandbox and
 * takes a picture at each step. Needs Chromium (apt-get install chromium).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from '../../fakes/all.ts';
import { startWebSandbox } from '../web/server.ts';
import { startWorld } from '../world.ts';
import { chromiumMissing, launchChromium, walkthrough } from './flow.ts';

const OUT = path.join(REPO_ROOT, 'docs', 'sandbox');

const missing = chromiumMissing();
if (missing) {
  process.stderr.write(`screenshots: ${missing}\n`);
  process.exit(2);
}
await mkdir(OUT, { recursive: true });
const world = await startWorld();
const web = await startWebSandbox(world, { port: 0, fallback: false });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  await walkthrough(page, web.url, {
    at: async (step, p) => {
      // Let the page settle (the backstage panel follows GitLab a moment later).
      await p.waitForTimeout(400);
      const file = path.join(OUT, `${step}.png`);
      await p.screenshot({ path: file });
      process.stdout.write(`${path.relative(REPO_ROOT, file)}\n`);
    },
  });
} finally {
  await browser.close();
  await web.close();
  await world.close();
}
