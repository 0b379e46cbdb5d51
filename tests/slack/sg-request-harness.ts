/**
 * /sg-request against the fakes: the real Bolt app in Socket Mode on the Slack fake, the
 * real GitLab adapter on the GitLab fake (seeded with this repository's terraform/ and
 * policies/), an in-memory store. `vcs` can be wrapped, e.g. to hold a call back.
 */
import { fileURLToPath } from 'node:url';
import type { VcsPort } from '../../src/core/ports.ts';
import { startGitLabFake, type GitLabFake } from '../../src/fakes/gitlab/index.ts';
import { startSlackFake, type SlackFake } from '../../src/fakes/slack/index.ts';
import { createGitLabVcs } from '../../src/gitlab/client.ts';
import { createLogger } from '../../src/log.ts';
import { createSlackApp } from '../../src/slack/app.ts';
import { createSlackChat } from '../../src/slack/chat.ts';
import { GroupCatalog } from '../../src/slack/sg-request/groups.ts';
import { registerSgRequest, type SgRequestDeps } from '../../src/slack/sg-request/listener.ts';
import { testDeps } from '../helpers/deps.ts';

export const CHANNEL = 'C0SECOPS';
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Harness {
  slack: SlackFake;
  gitlab: GitLabFake;
  deps: SgRequestDeps;
  close(): Promise<void>;
}

export async function startHarness(wrapVcs: (vcs: VcsPort) => VcsPort = (v) => v): Promise<Harness> {
  const [slack, gitlab] = await Promise.all([startSlackFake(), startGitLabFake({ seed: { dir: REPO_ROOT }, jobDurationMs: 5 })]);
  const log = createLogger({ level: 'silent' });
  const vcs = wrapVcs(createGitLabVcs({ url: gitlab.url, token: gitlab.token, project: gitlab.projectPath, policy: { baseDelayMs: 5, maxDelayMs: 20 } }));
  const app = createSlackApp({ botToken: slack.botToken, appToken: slack.appToken, apiUrl: slack.url, log });
  const now = () => new Date();
  const deps: SgRequestDeps = {
    ...testDeps({ vcs, chat: createSlackChat(app.app.client), log, now, settings: { channel: CHANNEL } }),
    groups: new GroupCatalog(vcs, now),
  };
  const { store } = deps;
  registerSgRequest(app.app, deps);
  await app.app.start();
  return {
    slack,
    gitlab,
    deps,
    async close() {
      await app.app.stop();
      store.close();
      await Promise.all([slack.close(), gitlab.close()]);
    },
  };
}

/** GitLab API calls that change something (anything but GET). */
export function gitlabWrites(h: Harness): string[] {
  return h.gitlab.driver.requests().filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);
}
