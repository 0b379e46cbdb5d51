/**
 * What the page shows, read from the fakes' state and nothing else: for one person, the
 * channel as the Slack fake holds it (the bot's messages with their threads, files, the
 * person's ephemerals, their open modals with field errors, their Home tab), and behind
 * Slack the GitLab pipelines and merge requests and the live rules in (fake) EC2.
 */
import type { VisibleMessage } from '../../fakes/slack/index.ts';
import type { World } from '../world.ts';

export interface ShownMessage extends VisibleMessage {
  replies: VisibleMessage[];
}

function channelOf(world: World): ShownMessage[] {
  const slack = world.fakes.slack.driver;
  return slack.channel(world.channel).map((m) => ({ ...m, replies: m.replyCount > 0 ? slack.thread(world.channel, m.ts) : [] }));
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/** GitLab, newest pipeline first; each with its jobs in stage order, child pipelines named by parent. */
function gitlabOf(world: World) {
  const gitlab = world.fakes.gitlab.driver;
  const pipelines = [...gitlab.pipelines()]
    .sort((a, b) => b.id - a.id)
    .slice(0, 8)
    .map((p) => ({
      id: p.id,
      ref: p.ref,
      status: p.status,
      source: p.source,
      parent: p.upstream?.pipelineId ?? null,
      createdAt: iso(p.createdAt),
      jobs: p.jobs.filter((j) => !j.retried).map((j) => ({ id: j.id, name: j.name, stage: j.stage, status: j.status, bridge: j.bridge })),
    }));
  const mergeRequests = [...gitlab.mergeRequests()]
    .sort((a, b) => b.iid - a.iid)
    .slice(0, 8)
    .map((mr) => ({ iid: mr.iid, title: mr.title, state: mr.state, sourceBranch: mr.sourceBranch, targetBranch: mr.targetBranch }));
  return { project: gitlab.projectPath, pipelines, mergeRequests };
}

function awsOf(world: World) {
  const aws = world.fakes.aws.driver;
  const rules = aws.rules();
  const names = new Map(aws.groups().map((g) => [g.groupId, g.groupName]));
  return {
    groups: aws.groups().map((g) => ({
      groupId: g.groupId,
      groupName: g.groupName,
      rules: rules
        .filter((r) => r.groupId === g.groupId)
        .map((r) => ({
          ruleId: r.ruleId,
          protocol: r.protocol,
          fromPort: r.fromPort,
          toPort: r.toPort,
          direction: r.isEgress ? 'egress' : 'ingress',
          // The other end: a CIDR, a group (by name where it is one of the fake's), or a prefix list.
          peer: r.cidr ?? (r.referencedGroupId ? (names.get(r.referencedGroupId) ?? r.referencedGroupId) : (r.prefixListId ?? '?')),
          description: r.description ?? '',
          request: r.tags['portcullis:request'] ?? null,
        })),
    })),
    instances: aws.instances().map((i) => ({ instanceId: i.instanceId, name: i.tags.Name ?? '', publicIp: i.publicIp ?? null, state: i.state, groupIds: i.groupIds })),
  };
}

/** Behind Slack, on its own: what the change digest follows. */
export function backstage(world: World) {
  return { gitlab: gitlabOf(world), aws: awsOf(world) };
}

export function surface(world: World, user: string) {
  const slack = world.fakes.slack.driver;
  const channel = world.fakes.slack.driver.channels().find((c) => c.id === world.channel);
  return {
    me: user,
    people: world.people.map(({ id, name, realName, role }) => ({ id, name, realName, role })),
    channel: { id: world.channel, name: channel?.name ?? world.channel },
    messages: channelOf(world),
    ephemerals: slack.ephemerals(user).filter((e) => e.channel === world.channel),
    modals: slack.openViews(user),
    home: slack.homeView(user) ?? null,
    ...backstage(world),
  };
}
