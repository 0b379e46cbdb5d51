// Who-is-who methods (auth.test, users.info, users.lookupByEmail, conversations.info, usergroups.users.list) and
// apps.connections.open, the one method that wants the app-level token.
import { requireScope, SlackApiError } from './api-error.ts';
import { requiredArg } from './request-body.ts';
import type { MethodTable } from './method.ts';
import type { SlackUser } from './seed.ts';
import type { Workspace } from './state.ts';

export const workspaceMethods: MethodTable = {
  'auth.test': {
    token: 'bot',
    run(_args, { ws, urls }) {
      const { team, app } = ws.seed;
      return {
        url: `${urls.http}/`,
        team: team.name,
        user: app.botName,
        team_id: team.id,
        user_id: app.botUserId,
        bot_id: app.botId,
        app_id: app.appId,
        is_enterprise_install: false,
      };
    },
  },
  'users.info': {
    token: 'bot',
    scopes: ['users:read'],
    run(args, { ws }) {
      return { user: userObject(ws, ws.user(requiredArg(args, 'user'))) };
    },
  },
  // Slack matches the profile email case-insensitively; nobody with it is `users_not_found`.
  'users.lookupByEmail': {
    token: 'bot',
    scopes: ['users:read.email'],
    run(args, { ws }) {
      const email = requiredArg(args, 'email').toLowerCase();
      const user = ws.seed.users.find((u) => u.email?.toLowerCase() === email && !u.isBot);
      if (user === undefined) throw new SlackApiError('users_not_found');
      return { user: userObject(ws, user) };
    },
  },
  'conversations.info': {
    token: 'bot',
    run(args, { ws }) {
      const channel = ws.channel(requiredArg(args, 'channel'));
      const isIm = channel.id.startsWith('D');
      // Public channels need channels:read, private ones groups:read, DMs im:read.
      requireScope(ws.seed.botScopes, [isIm ? 'im:read' : channel.isPrivate ? 'groups:read' : 'channels:read']);
      return {
        channel: {
          id: channel.id,
          name: channel.name,
          name_normalized: channel.name,
          is_channel: !isIm && !channel.isPrivate,
          is_group: !isIm && channel.isPrivate,
          is_im: isIm,
          is_private: channel.isPrivate,
          is_archived: false,
          is_member: channel.members.includes(ws.seed.app.botUserId),
          num_members: channel.members.length,
        },
      };
    },
  },
  'usergroups.users.list': {
    token: 'bot',
    scopes: ['usergroups:read'],
    run(args, { ws }) {
      const id = requiredArg(args, 'usergroup');
      const group = ws.seed.usergroups.find((g) => g.id === id);
      if (group === undefined) throw new SlackApiError('no_such_subteam');
      return { users: group.users };
    },
  },
  'apps.connections.open': {
    token: 'app',
    scopes: ['connections:write'],
    run(_args, { sockets, urls }) {
      return { url: sockets.issueConnectionUrl(urls.ws) };
    },
  },
};

/** A user as users.info and users.lookupByEmail return it (the profile email only where the seed has one). */
function userObject(ws: Workspace, user: SlackUser) {
  return {
    id: user.id,
    team_id: ws.seed.team.id,
    name: user.name,
    deleted: false,
    real_name: user.realName,
    tz: user.tz ?? 'Europe/Berlin',
    tz_offset: 0,
    is_admin: user.isAdmin ?? false,
    is_owner: false,
    is_bot: user.isBot ?? false,
    is_app_user: false,
    profile: { real_name: user.realName, display_name: user.name, team: ws.seed.team.id, ...(user.email ? { email: user.email } : {}) },
  };
}
