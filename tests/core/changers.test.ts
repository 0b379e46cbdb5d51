/**
 * Who made a change, read from GitLab and mapped to Slack by email: the recorded
 * requester, the pipeline's starter and the branch's commit authors and committers;
 * never the bot itself; people without a Slack user named, once each.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changersOf } from '../../src/core/changers.ts';
import type { CommitInfo } from '../../src/core/ports.ts';
import { BOT_GITLAB_USER, changeRequest, stubChat, stubVcs } from '../helpers/deps.ts';

const SLACK = new Map([
  ['bob@example.test', 'U0BOB'],
  ['carol@example.test', 'U0CAROL'],
]);
const commit = (sha: string, author: [string, string], committer: [string, string] = author): CommitInfo => ({
  sha: sha.repeat(40).slice(0, 40),
  authorName: author[0],
  authorEmail: author[1],
  committerName: committer[0],
  committerEmail: committer[1],
});

function deps(starter: { id: number; username: string; email: string | null } | null, commits: CommitInfo[]) {
  return {
    vcs: stubVcs({
      botUser: async () => BOT_GITLAB_USER,
      pipelineUser: async () => (starter ? { ...starter, name: starter.username } : null),
      commitsNotOnDefault: async () => commits,
    }),
    chat: stubChat({ lookupUserByEmail: async (email: string) => SLACK.get(email.toLowerCase()) ?? null }),
  };
}

test('the starter and every author and committer, mapped by email (case aside), with the recorded requester', async () => {
  const changers = await changersOf(
    deps({ id: 7, username: 'bob', email: 'Bob@example.test' }, [commit('a', ['Carol', 'carol@example.test'], ['Bob', 'bob@example.test'])]),
    changeRequest({ requester: 'U0ALICE' }),
  );
  assert.deepEqual([...changers.slackUsers].sort(), ['U0ALICE', 'U0BOB', 'U0CAROL']);
  assert.deepEqual(changers.unmapped, []);
});

test("the bot's own pipeline and commits are nobody's change", async () => {
  const changers = await changersOf(deps(BOT_GITLAB_USER, [commit('b', ['Portcullis Bot', BOT_GITLAB_USER.email])]), changeRequest({ requester: null }));
  assert.deepEqual([...changers.slackUsers], []);
  assert.deepEqual(changers.unmapped, []);
});

test('a commit email the bot does not share is a change even under the bot\'s name', async () => {
  const changers = await changersOf(deps(BOT_GITLAB_USER, [commit('c', ['Portcullis Bot', 'mallory@example.test'])]), changeRequest({ requester: null }));
  assert.deepEqual(changers.unmapped, ['Portcullis Bot <mallory@example.test>']);
});

test('people with no Slack user, or no email at all, are named once each', async () => {
  const changers = await changersOf(
    deps({ id: 9, username: 'dave', email: null }, [commit('d', ['Erin', 'erin@example.test']), commit('e', ['Erin', 'ERIN@example.test']), commit('f', ['Frank', ''])]),
    changeRequest({ requester: null }),
  );
  assert.deepEqual(changers.unmapped, ['GitLab user dave (no public email)', 'Erin <erin@example.test>', 'Frank (commit ffffffff, no email)']);
  assert.deepEqual([...changers.slackUsers], []);
});
