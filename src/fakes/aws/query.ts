/**
 * Decoding of AWS Query request bodies. The SDK flattens nested input into dotted keys
 * (`IpPermissions.1.IpRanges.1.CidrIp=…`, `Filter.2.Value.1=…`); `parseQueryBody` turns
 * them back into nested objects and arrays once, so action handlers read structured
 * params through the typed getters below instead of matching key strings.
 */
import { AwsError } from './errors.ts';

export type QueryValue = string | QueryObject | QueryValue[];
export interface QueryObject {
  [key: string]: QueryValue;
}

/** Build-time node: numeric segments are kept as object keys until `toValue` orders them. */
interface Branch {
  [key: string]: Branch | string;
}

function malformed(message: string): AwsError {
  return new AwsError('InvalidParameterValue', message);
}

export function parseQueryBody(body: string): QueryObject {
  const root: Branch = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.split('.');
    let node = root;
    for (const [i, segment] of path.entries()) {
      if (segment === '') throw malformed(`Malformed parameter name "${key}"`);
      const existing = node[segment];
      if (i === path.length - 1) {
        if (existing !== undefined) throw malformed(`Parameter "${key}" is given more than once or conflicts with a nested one`);
        node[segment] = value;
      } else if (existing === undefined) {
        node = node[segment] = {};
      } else if (typeof existing === 'string') {
        throw malformed(`Parameter "${path.slice(0, i + 1).join('.')}" is both a value and a structure`);
      } else {
        node = existing;
      }
    }
  }
  return toValue(root) as QueryObject;
}

/** Objects whose keys are all list positions (1, 2, …) become arrays in position order. */
function toValue(node: Branch | string): QueryValue {
  if (typeof node === 'string') return node;
  const keys = Object.keys(node);
  if (keys.length > 0 && keys.every((k) => /^[1-9]\d*$/.test(k))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((k) => toValue(node[String(k)] as Branch | string));
  }
  return Object.fromEntries(keys.map((k) => [k, toValue(node[k] as Branch | string)]));
}

export function getString(params: QueryObject, key: string): string | undefined {
  const value = params[key];
  if (value === undefined || typeof value === 'string') return value;
  throw malformed(`Parameter "${key}" must be a single value`);
}

export function requireString(params: QueryObject, key: string): string {
  const value = getString(params, key);
  if (value === undefined || value === '') throw new AwsError('MissingParameter', `The request must contain the parameter ${key}`);
  return value;
}

export function getInteger(params: QueryObject, key: string): number | undefined {
  const text = getString(params, key);
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw malformed(`Value (${text}) for parameter ${key} is invalid. Expected an integer.`);
  return Number(text);
}

function getList(params: QueryObject, key: string): QueryValue[] {
  const value = params[key];
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  throw malformed(`Parameter "${key}" must be a list (${key}.1, ${key}.2, …)`);
}

export function getStrings(params: QueryObject, key: string): string[] {
  return getList(params, key).map((v) => {
    if (typeof v !== 'string') throw malformed(`Items of "${key}" must be single values`);
    return v;
  });
}

export function getObjects(params: QueryObject, key: string): QueryObject[] {
  return getList(params, key).map((v) => {
    if (typeof v === 'string' || Array.isArray(v)) throw malformed(`Items of "${key}" must be structures`);
    return v;
  });
}
