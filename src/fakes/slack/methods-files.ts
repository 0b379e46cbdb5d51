// The three steps of files.uploadV2 (@slack/web-api's file-upload.ts): reserve an upload URL, POST the bytes
// there as multipart part `body`, then complete, which shares the file in a channel or thread.
import { SlackApiError } from './api-error.ts';
import { jsonArg, requiredArg, stringArg, type ApiArgs } from './request-body.ts';
import type { StoredFile, Workspace } from './state.ts';
import type { MethodTable } from './method.ts';

export const UPLOAD_PATH = '/upload/v1/';

function fileJson(ws: Workspace, file: StoredFile): Record<string, unknown> {
  return {
    id: file.id,
    name: file.name,
    title: file.title,
    size: file.length,
    user: ws.seed.app.botUserId,
    shares: file.shares,
  };
}

/** The upload step: stores the `body` part of a multipart POST to an upload URL. */
export async function receiveUpload(ws: Workspace, fileId: string, args: ApiArgs): Promise<void> {
  const file = ws.files.get(fileId);
  const part = args.body;
  if (file === undefined) throw new SlackApiError('file_not_found');
  if (!(part instanceof Blob)) throw new SlackApiError('invalid_arguments', ['[ERROR] missing multipart part: body']);
  file.content = Buffer.from(await part.arrayBuffer());
}

export const fileMethods: MethodTable = {
  'files.getUploadURLExternal': {
    token: 'bot',
    scopes: ['files:write'],
    run(args, { ws, urls }) {
      const name = requiredArg(args, 'filename');
      const length = Number(requiredArg(args, 'length'));
      if (!Number.isInteger(length) || length < 0) {
        throw new SlackApiError('invalid_arguments', ['[ERROR] length must be a whole number of bytes']);
      }
      const id = ws.newId('F');
      ws.files.set(id, { id, name, title: name, length, shares: [] });
      return { upload_url: `${urls.http}${UPLOAD_PATH}${id}`, file_id: id };
    },
  },
  'files.completeUploadExternal': {
    token: 'bot',
    scopes: ['files:write'],
    run(args, { ws }) {
      const requested = jsonArg(args, 'files', 'invalid_arguments');
      if (!Array.isArray(requested) || requested.length === 0) {
        throw new SlackApiError('invalid_arguments', ['[ERROR] files must be a non-empty array']);
      }
      const files = requested.map((entry: { id?: unknown; title?: unknown }) => {
        const file = typeof entry.id === 'string' ? ws.files.get(entry.id) : undefined;
        if (file?.content === undefined) throw new SlackApiError('file_not_found');
        if (typeof entry.title === 'string' && entry.title !== '') file.title = entry.title;
        return file;
      });
      const channel = stringArg(args, 'channel_id') ?? stringArg(args, 'channels');
      if (channel !== undefined) {
        const comment = { text: stringArg(args, 'initial_comment') ?? '' };
        const message = ws.post(channel, comment, stringArg(args, 'thread_ts'));
        message.files = files;
        for (const file of files) file.shares.push({ channel: message.channel, ts: message.ts });
        ws.changed();
      }
      return { files: files.map((file) => fileJson(ws, file)) };
    },
  },
};
