/**
 * GitLab's pipeline and job statuses as this code knows them, and what to make of the
 * others (STYLE.md habit 6): a status is never a reason to drop news or to crash.
 */

/** The statuses the bot and its domain rules understand (CommitStatus in GitLab). */
export const KNOWN_STATUSES = [
  'created', 'waiting_for_resource', 'preparing', 'pending', 'running', 'success',
  'failed', 'canceling', 'canceled', 'skipped', 'manual', 'scheduled',
] as const;
export type GitLabStatus = (typeof KNOWN_STATUSES)[number];

const KNOWN: ReadonlySet<string> = new Set(KNOWN_STATUSES);

/**
 * Statuses GitLab has that the bot reads as one it knows. `waiting_for_callback` is a
 * job that an external service runs while GitLab waits for its result: under way.
 */
const ALIASES: Readonly<Record<string, GitLabStatus>> = {
  waiting_for_callback: 'running',
};

/**
 * The meaning of a status: itself when known, its alias, and for anything else
 * `running` — every status GitLab added over the years is a phase of a pipeline or job
 * that has not finished, so "under way, nothing decided" is the safe reading: the bot
 * acts on no unknown status, and the next hook or reconciliation pass reads it again.
 */
export function knownStatus(raw: unknown): GitLabStatus {
  if (typeof raw !== 'string') return 'running';
  if (KNOWN.has(raw)) return raw as GitLabStatus;
  return ALIASES[raw] ?? 'running';
}

/**
 * A webhook timestamp as ISO 8601 (UTC), or null. GitLab has sent both ISO 8601
 * (`2021-02-23T02:41:37.886Z`, `2016-08-12T17:23:21+02:00`) and Ruby's Time#to_s
 * (`2016-08-12 15:23:28 UTC`, `2016-08-12 17:23:28 +0200`), depending on the version
 * and the field. Anything else is null rather than a failed delivery.
 */
export function hookTimestamp(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const ruby = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) (?:UTC|([+-]\d\d):?(\d\d))$/.exec(value);
  const iso = ruby ? `${ruby[1]}T${ruby[2]}${ruby[3] === undefined ? 'Z' : `${ruby[3]}:${ruby[4]}`}` : value;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?)(Z|([+-]\d\d):?(\d\d))$/.exec(iso);
  if (!m) return null;
  const ms = Date.parse(`${m[1]}${m[2] === 'Z' ? 'Z' : `${m[3]}:${m[4]}`}`);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}
