// Socket Mode server side, as @slack/socket-mode's client expects it: one-time tickets from apps.connections.open, `hello`
// on connect, envelopes pushed to an open connection, acks recorded by envelope_id, unacked
// events_api envelopes redelivered with retry_attempt/retry_reason, envelopes that found no
// connection (or whose connection dropped before the ack) delivered on the next one, and the
// `disconnect` message / abrupt close that make a client reconnect. Ping frames are answered
// by `ws` itself.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SlackSeed } from './seed.ts';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';
export type AckPayload = Record<string, unknown>;
export type DisconnectReason = 'refresh_requested' | 'link_disabled' | 'warning' | 'too_many_websockets';

/** One frame the fake pushed to a client. */
export interface Delivery {
  envelopeId: string;
  type: EnvelopeType;
  retryAttempt: number;
  retryReason: string;
  payload: Record<string, unknown>;
}

export interface AckRecord {
  envelopeId: string;
  type: EnvelopeType | undefined;
  payload: AckPayload;
}

interface Envelope {
  id: string;
  type: EnvelopeType;
  payload: Record<string, unknown>;
  acceptsResponsePayload: boolean;
  retryAttempt: number;
  retryReason: string;
  /** The connection it was last written to, while waiting for the ack there. */
  socket?: WebSocket;
  timer?: NodeJS.Timeout;
  resolve(payload: AckPayload): void;
  reject(error: Error): void;
}

export const SOCKET_PATH = '/link/';

export class SocketModeServer {
  readonly deliveries: Delivery[] = [];
  readonly acks: AckRecord[] = [];
  connectionsOpened = 0;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  private readonly sockets: WebSocket[] = [];
  private readonly unacked: Envelope[] = [];
  private nextSocket = 0;

  constructor(private readonly seed: SlackSeed) {}

  /** The URL apps.connections.open hands out; its ticket is good for one connection. */
  issueConnectionUrl(wsBase: string): string {
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return `${wsBase}${SOCKET_PATH}?ticket=${ticket}&app_id=${this.seed.app.appId}`;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const ticket = new URL(request.url ?? '/', 'http://fake').searchParams.get('ticket');
    if (ticket === null || !this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
  }

  get openConnections(): number {
    return this.sockets.length;
  }

  /** Push an envelope; resolves with the ack payload, rejects when Slack would give up. */
  send(type: EnvelopeType, payload: Record<string, unknown>, acceptsResponsePayload: boolean): Promise<AckPayload> {
    return new Promise<AckPayload>((resolve, reject) => {
      const envelope: Envelope = {
        id: randomUUID(),
        type,
        payload,
        acceptsResponsePayload,
        retryAttempt: 0,
        retryReason: '',
        resolve,
        reject,
      };
      this.unacked.push(envelope);
      if (type !== 'events_api') {
        // The person who typed the command or clicked waits this long, connected app or not.
        envelope.timer = setTimeout(
          () => this.giveUp(envelope, `no ack for ${type} envelope within ${this.seed.timing.ackTimeoutMs} ms`),
          this.seed.timing.ackTimeoutMs,
        );
      }
      this.deliver(envelope);
    });
  }

  /** Send Slack's `disconnect` message on every open connection. */
  requestDisconnect(reason: DisconnectReason): void {
    const message = { type: 'disconnect', reason, debug_info: { host: 'applink-fake-1' } };
    for (const ws of this.sockets) ws.send(JSON.stringify(message));
  }

  /** Drop every connection without a close frame, like a network failure. */
  terminateConnections(): void {
    for (const ws of [...this.sockets]) ws.terminate();
  }

  /** Close every connection with a close frame (1001), so clients shut down cleanly. */
  async close(): Promise<void> {
    for (const envelope of [...this.unacked]) this.giveUp(envelope, 'the Slack fake was closed');
    await Promise.all(this.sockets.map((ws) => closeGracefully(ws)));
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(ws: WebSocket): void {
    this.sockets.push(ws);
    this.connectionsOpened += 1;
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.receive(data.toString());
    });
    ws.on('close', () => this.forget(ws));
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.sockets.length,
        debug_info: { host: 'applink-fake-1', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.seed.app.appId },
      }),
    );
    for (const envelope of this.unacked) if (envelope.socket === undefined) this.deliver(envelope);
  }

  private forget(ws: WebSocket): void {
    this.sockets.splice(this.sockets.indexOf(ws), 1);
    for (const envelope of this.unacked) {
      if (envelope.socket !== ws) continue;
      // The app never acked it on that connection: hand it to the next one.
      delete envelope.socket;
      if (envelope.type === 'events_api') clearTimeout(envelope.timer);
    }
    for (const envelope of this.unacked) if (envelope.socket === undefined) this.deliver(envelope);
  }

  private deliver(envelope: Envelope): void {
    const ws = this.sockets[this.nextSocket++ % Math.max(this.sockets.length, 1)];
    if (ws === undefined) return; // waits in `unacked` for the next connection
    envelope.socket = ws;
    const frame = {
      envelope_id: envelope.id,
      type: envelope.type,
      accepts_response_payload: envelope.acceptsResponsePayload,
      payload: envelope.payload,
      ...(envelope.type === 'events_api'
        ? { retry_attempt: envelope.retryAttempt, retry_reason: envelope.retryReason }
        : {}),
    };
    this.deliveries.push({
      envelopeId: envelope.id,
      type: envelope.type,
      retryAttempt: envelope.retryAttempt,
      retryReason: envelope.retryReason,
      payload: envelope.payload,
    });
    ws.send(JSON.stringify(frame));
    if (envelope.type === 'events_api') {
      envelope.timer = setTimeout(() => this.retryEvent(envelope), this.seed.timing.eventRetryTimeoutMs);
    }
  }

  private retryEvent(envelope: Envelope): void {
    if (envelope.retryAttempt >= this.seed.timing.maxEventRetries) {
      this.giveUp(envelope, `events_api envelope not acked after ${envelope.retryAttempt} retries`);
      return;
    }
    envelope.retryAttempt += 1;
    envelope.retryReason = 'timeout';
    delete envelope.socket;
    this.deliver(envelope);
  }

  private receive(text: string): void {
    let message: { envelope_id?: unknown; payload?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return; // Slack ignores frames it cannot parse
    }
    if (typeof message.envelope_id !== 'string') return;
    const payload = typeof message.payload === 'object' && message.payload !== null ? message.payload : {};
    const envelope = this.unacked.find((e) => e.id === message.envelope_id);
    this.acks.push({ envelopeId: message.envelope_id, type: envelope?.type, payload: payload as AckPayload });
    if (envelope === undefined) return; // a late or repeated ack changes nothing
    this.settle(envelope);
    envelope.resolve(payload as AckPayload);
  }

  private giveUp(envelope: Envelope, reason: string): void {
    this.settle(envelope);
    envelope.reject(new Error(`${reason} (envelope ${envelope.id})`));
  }

  private settle(envelope: Envelope): void {
    clearTimeout(envelope.timer);
    this.unacked.splice(this.unacked.indexOf(envelope), 1);
  }
}

/** Close handshake first; a peer that does not answer within a second is cut off. */
function closeGracefully(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    const cutOff = setTimeout(() => ws.terminate(), 1000);
    ws.once('close', () => {
      clearTimeout(cutOff);
      resolve();
    });
    if (ws.readyState === ws.OPEN) ws.close(1001, 'server closing');
  });
}
