/**
 * What EC2's Describe* actions share: `Filter.N` matching (values OR-ed within a filter,
 * filters AND-ed, `*` and `?` wildcards, `tag:<key>` filters) and MaxResults/NextToken
 * pagination.
 */
import { AwsError } from './errors.ts';
import { getInteger, getObjects, getString, getStrings, requireString, type QueryObject } from './query.ts';

export interface Filter {
  name: string;
  values: string[];
}

/** Per filter name, the values a resource has for it (several for list-valued fields). */
export type FilterFields<T> = Record<string, (item: T) => Array<string | undefined>>;

export function readFilters(params: QueryObject): Filter[] {
  return getObjects(params, 'Filter').map((f) => ({ name: requireString(f, 'Name'), values: getStrings(f, 'Value') }));
}

function wildcard(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export function applyFilters<T>(items: T[], filters: Filter[], fields: FilterFields<T>, tagsOf: (item: T) => Record<string, string>): T[] {
  const matchers = filters.map((filter) => {
    const tagKey = filter.name.startsWith('tag:') ? filter.name.slice(4) : undefined;
    const valuesOf = tagKey !== undefined ? (item: T) => [tagsOf(item)[tagKey]] : fields[filter.name];
    if (!valuesOf) throw new AwsError('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
    const patterns = filter.values.map(wildcard);
    return (item: T) => valuesOf(item).some((v) => v !== undefined && patterns.some((p) => p.test(v)));
  });
  return items.filter((item) => matchers.every((matches) => matches(item)));
}

const PAGE_LIMITS = { min: 5, max: 1000 };

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

function decodeToken(token: string): number {
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through to the error AWS gives for a token it did not issue
  }
  throw new AwsError('InvalidPaginationToken', `The pagination token ${token} is invalid`);
}

/** One page of `items` per the request's MaxResults (5-1000 as most EC2 Describe actions bound it, or `limits`) and NextToken. */
export function paginate<T>(items: T[], params: QueryObject, limits: { min: number; max: number } = PAGE_LIMITS): { page: T[]; nextToken?: string } {
  const maxResults = getInteger(params, 'MaxResults');
  const token = getString(params, 'NextToken');
  const offset = token === undefined ? 0 : decodeToken(token);
  if (maxResults === undefined) return { page: items.slice(offset) };
  if (maxResults < limits.min || maxResults > limits.max) {
    throw new AwsError('InvalidParameterValue', `Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between ${limits.min} and ${limits.max}.`);
  }
  const end = offset + maxResults;
  return end < items.length ? { page: items.slice(offset, end), nextToken: encodeToken(end) } : { page: items.slice(offset) };
}
