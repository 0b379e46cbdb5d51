/**
 * Who made a change, so that none of them approves it. Never read from the branch: the
 * requester of a request the bot opened is the one it recorded (`request.requester`,
 * set only by /sg-request); everyone else is read from GitLab — the user who started
 * the pipeline, and the authors and committers of the commits the branch has that the
 * default branch has not — and mapped to Slack by email (users.lookupByEmail). The bot's
 * own GitLab user, its pipelines and commits, are nobody's. A person who cannot be
 * mapped is named, and makes two distinct approvers necessary.
 */
import type { ChangeRequest } from '../domain/request.ts';
import type { BotDeps } from './deps.ts';

export interface Changers {
  /** Slack users who made part of the change. */
  slackUsers: ReadonlySet<string>;
  /** People who made part of it and have no Slack user, as plain text (escape for Slack). */
  unmapped: readonly string[];
}

interface Person {
  email: string | null;
  label: string;
}

export async function changersOf(deps: Pick<BotDeps, 'vcs' | 'chat'>, request: ChangeRequest): Promise<Changers> {
  const bot = await deps.vcs.botUser();
  const botEmails = new Set([bot.email, bot.commitEmail].filter((e): e is string => e !== null).map((e) => e.toLowerCase()));
  const people = new Map<string, Person>();
  const add = (email: string | null, label: string, key: string) => {
    const k = email === null ? key : `email:${email.toLowerCase()}`;
    if (!people.has(k)) people.set(k, { email, label });
  };

  if (request.pipelineId !== null) {
    const starter = await deps.vcs.pipelineUser(request.pipelineId);
    if (starter && starter.id !== bot.id) {
      add(starter.email, starter.email === null ? `GitLab user ${starter.username} (no public email)` : `GitLab user ${starter.username} <${starter.email}>`, `user:${starter.id}`);
    }
  }
  if (request.sha !== null) {
    for (const c of await deps.vcs.commitsNotOnDefault(request.sha)) {
      for (const [name, email] of [[c.authorName, c.authorEmail], [c.committerName, c.committerEmail]] as const) {
        const address = email.trim();
        if (address !== '' && botEmails.has(address.toLowerCase())) continue;
        add(address === '' ? null : address, address === '' ? `${name || 'someone'} (commit ${c.sha.slice(0, 8)}, no email)` : `${name} <${address}>`, `commit:${c.sha}:${name}`);
      }
    }
  }

  const slackUsers = new Set<string>();
  if (request.requester !== null) slackUsers.add(request.requester);
  const unmapped: string[] = [];
  for (const person of people.values()) {
    const user = person.email === null ? null : await deps.chat.lookupUserByEmail(person.email);
    if (user === null) unmapped.push(person.label);
    else slackUsers.add(user);
  }
  return { slackUsers, unmapped };
}
