// A local Slack for tests and the sandbox: the Web API, Socket Mode, file uploads and
// response_urls on one loopback port, plus a driver that acts as the people in the workspace.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SlackApiError } from './api-error.ts';
import { SlackDriver } from './driver.ts';
import { receiveUpload, UPLOAD_PATH } from './methods-files.ts';
import { parseArgs, readBody } from './request-body.ts';
import { ResponseUrls } from './response-urls.ts';
import { resolveSeed, type SlackFakeOptions } from './seed.ts';
import { SOCKET_PATH, SocketModeServer } from './socket-mode.ts';
import { Workspace } from './state.ts';
import type { FakeUrls } from './method.ts';
import { sendJson, WebApi } from './web-api.ts';

export type { SlackChannel, SlackFakeOptions, SlackFakeTiming, SlackUser, SlackUsergroup } from './seed.ts';
export type {
  ButtonClickInput,
  InteractionResult,
  SlackDriver,
  SlashCommandInput,
  ViewSubmissionInput,
  VisibleMessage,
} from './driver.ts';
export type { AckPayload, DisconnectReason } from './socket-mode.ts';

export interface SlackFake {
  /** The `slackApiUrl` for WebClient / Bolt `clientOptions`, ending in `/api/`. */
  url: string;
  botToken: string;
  appToken: string;
  driver: SlackDriver;
  close(): Promise<void>;
}

const API_PREFIX = '/api/';

export async function startSlackFake(options: SlackFakeOptions = {}): Promise<SlackFake> {
  const seed = resolveSeed(options);
  const ws = new Workspace(seed);
  const sockets = new SocketModeServer(seed);
  const responseUrls = new ResponseUrls(ws);
  const urls: FakeUrls = { http: '', ws: '' };
  const webApi = new WebApi({ ws, sockets, urls });

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', urls.http).pathname;
    if (request.method !== 'POST') return sendJson(response, 405, { ok: false, error: 'method_not_allowed' });
    if (path.startsWith(API_PREFIX)) return webApi.handle(path.slice(API_PREFIX.length), request, response);
    if (path.startsWith(UPLOAD_PATH)) {
      const args = await parseArgs(request.headers['content-type'], await readBody(request));
      await receiveUpload(ws, path.slice(UPLOAD_PATH.length), args);
      response.writeHead(200, { 'content-type': 'text/plain' });
      return void response.end(`OK - ${args.body instanceof Blob ? args.body.size : 0}`);
    }
    if (responseUrls.owns(path)) return responseUrls.handle(path, request, response);
    sendJson(response, 404, { ok: false, error: 'not_found' });
  }

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      const status = error instanceof SlackApiError ? 400 : 500;
      if (!response.headersSent) sendJson(response, status, { ok: false, error: String(error) });
      else response.destroy();
    });
  });
  server.on('upgrade', (request, socket, head) => {
    if (new URL(request.url ?? '/', urls.http).pathname === SOCKET_PATH) sockets.handleUpgrade(request, socket, head);
    else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  urls.http = `http://127.0.0.1:${port}`;
  urls.ws = `ws://127.0.0.1:${port}`;

  return {
    url: `${urls.http}${API_PREFIX}`,
    botToken: seed.botToken,
    appToken: seed.appToken,
    driver: new SlackDriver({ ws, sockets, webApi, responseUrls, urls }),
    async close() {
      await sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
