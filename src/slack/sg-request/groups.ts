/**
 * The security groups a request may name: the keys of terraform/groups.json on the
 * default branch, read through the VcsPort and kept for a short while, so the modal opens
 * inside Slack's 3 s and a submission is validated without a GitLab round trip. The file
 * is checked as a whole (src/domain/groups.ts): a malformed one is refused, naming the
 * group and key, rather than read in part.
 */
import type { VcsPort } from '../../core/ports.ts';
import { GROUPS_FILE, GroupsFileError, parseGroupsFile, type GroupSettings } from '../../domain/groups.ts';

export { GROUPS_FILE } from '../../domain/groups.ts';
const DEFAULT_TTL_MS = 60_000;

/** A group's groups.json settings: service_ports and service (what the service checks probe, and how). */
export type GroupInfo = GroupSettings;

export class GroupCatalog {
  #cached: { groups: string[]; details: Map<string, GroupInfo>; at: number } | null = null;
  #loading: Promise<string[]> | null = null;

  constructor(
    private readonly vcs: VcsPort,
    private readonly now: () => Date,
    private readonly ttlMs = DEFAULT_TTL_MS,
    /** The environment's groups.json (default: the single environment's). */
    private readonly file = GROUPS_FILE,
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
    const text = await this.vcs.readFile(ref, this.file);
    if (text === null) throw new GroupsFileError(`${this.file} on ${ref}: the file does not exist`);
    const details = parseGroupsFile(text, `${this.file} on ${ref}`);
    const groups = [...details.keys()].sort();
    this.#cached = { groups, details, at: this.now().getTime() };
    return groups;
  }
}
