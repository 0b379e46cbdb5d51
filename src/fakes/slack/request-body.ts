// Reading Web API arguments the three ways clients send them (Slack's Web API docs): url-encoded
// form (objects as JSON strings), JSON, or multipart when a Buffer is among the arguments.
import type { IncomingMessage } from 'node:http';
import { SlackApiError } from './api-error.ts';

export type ApiArgs = Record<string, unknown>;

export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Arguments by name; multipart file parts come back as `File`s. */
export async function parseArgs(contentType: string | undefined, body: Buffer): Promise<ApiArgs> {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (body.length === 0) return {};
  if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new SlackApiError('invalid_json');
    }
    if (typeof parsed !== 'object' || parsed === null) throw new SlackApiError('invalid_json');
    return parsed as ApiArgs;
  }
  if (type === 'multipart/form-data') {
    // The WHATWG Response already parses multipart bodies; no need for a hand-written parser.
    const multipart = new Response(new Uint8Array(body), { headers: { 'content-type': contentType ?? '' } });
    const form = await multipart.formData();
    const args: ApiArgs = {};
    form.forEach((value, key) => {
      args[key] = value;
    });
    return args;
  }
  return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
}

/** An argument that may arrive as a JSON string (form bodies) or as JSON already (JSON bodies). */
export function jsonArg(args: ApiArgs, name: string, errorCode: string): unknown {
  const value = args[name];
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new SlackApiError(errorCode, [`[ERROR] ${name} is not valid JSON [json-pointer:/${name}]`]);
  }
}

export function stringArg(args: ApiArgs, name: string): string | undefined {
  const value = args[name];
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}

export function requiredArg(args: ApiArgs, name: string): string {
  const value = stringArg(args, name);
  if (value === undefined) throw new SlackApiError('invalid_arguments', [`[ERROR] missing required field: ${name}`]);
  return value;
}
