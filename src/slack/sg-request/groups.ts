/**
 * The security groups a request may name: the keys of terraform/groups.json on the
 * default branch, read through the VcsPort and kept for a short while, so the modal opens
 * inside Slack's 3 s and a submission is validated without a GitLab round trip.
 */
import type { VcsPort } from '../../core/ports.ts';
import { GROUP_KEY_PATTERN } from '../../domain/rule.ts';

export const GROUPS_FILE = 'terraform/groups.json';
const DEFAULT_TTL_MS = 60_000;

export interface GroupInfo {
  /** Ports the service checks probe on the group's public members (groups.json service_ports). */
  servicePorts: number[];
}

export class GroupCatalog {
  #cached: { groups: string[]; details: Map<string, GroupInfo>; at: number } | null = null;
  #loading: Promise<string[]> | null = null;

  constructor(
    private readonly vcs: VcsPort,
    private readonly now: () => Date,
    private readonly ttlMs = DEFAULT_TTL_MS,
  ) {}

  /** The last list read, however old (null before the first read). */
  known(): string[] | null {
    return this.#cached?.groups ?? null;
  }

  /** A fresh list, read again when the cached one is older than the TTL. */
  async current(): Promise<string[]> {
    const cached = this.#cached;
    if (cached && this.now().getTime() - cached.at < this.ttlMs) return cached.groups;
    // Concurrent callers share one read.
    this.#loading ??= this.#read().finally(() => void (this.#loading = null));
    return this.#loading;
  }

  /** The groups with their settings, in file order (what /check-services needs). */
  async details(): Promise<Map<string, GroupInfo>> {
    await this.current();
    return this.#cached!.details;
  }

  async #read(): Promise<string[]> {
    const ref = await this.vcs.defaultBranch();
    const text = await this.vcs.readFile(ref, GROUPS_FILE);
    if (text === null) throw new Error(`reading ${GROUPS_FILE} on ${ref}: the file does not exist`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new Error(`reading ${GROUPS_FILE} on ${ref}: not JSON (${(err as Error).message})`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`reading ${GROUPS_FILE} on ${ref}: not an object of groups`);
    const details = new Map<string, GroupInfo>();
    for (const [key, value] of Object.entries(json)) {
      if (!GROUP_KEY_PATTERN.test(key)) continue;
      const ports = (value as { service_ports?: unknown })?.service_ports;
      details.set(key, { servicePorts: Array.isArray(ports) ? ports.filter((p): p is number => Number.isInteger(p) && p >= 1 && p <= 65535) : [] });
    }
    const groups = [...details.keys()].sort();
    this.#cached = { groups, details, at: this.now().getTime() };
    return groups;
  }
}
