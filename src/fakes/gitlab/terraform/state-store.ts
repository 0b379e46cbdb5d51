/**
 * GitLab-managed Terraform state: raw state files by name, with the HTTP backend's lock
 * (one holder, identified by the lock ID Terraform generates).
 */

/** Terraform's state file, version 4 (internal/states/statefile/version4.go). */
export interface TfState {
  version: 4;
  terraform_version: string;
  serial: number;
  lineage: string;
  outputs: Record<string, { value: unknown; type: unknown; sensitive?: boolean }>;
  resources: TfStateResource[];
  check_results: null;
}

export interface TfStateResource {
  mode: 'managed' | 'data';
  type: string;
  name: string;
  each?: 'map' | 'list';
  provider: string;
  instances: Array<{
    index_key?: string | number;
    schema_version: number;
    attributes: Record<string, unknown>;
    sensitive_attributes: unknown[];
    private?: string;
    dependencies?: string[];
  }>;
}

/** What `terraform` sends to lock a state (the HTTP backend's LockInfo). */
export interface LockInfo {
  ID: string;
  Operation: string;
  Info: string;
  Who: string;
  Version: string;
  Created: string;
  Path: string;
}

interface StoredState {
  bytes: Buffer | null;
  lock: LockInfo | null;
}

export class TerraformStateStore {
  private readonly states = new Map<string, StoredState>();

  raw(name: string): Buffer | null | undefined {
    return this.states.get(name)?.bytes;
  }

  /** The parsed state, undefined when there is none (yet). */
  read(name: string): TfState | undefined {
    const bytes = this.raw(name);
    return bytes ? (JSON.parse(bytes.toString('utf8')) as TfState) : undefined;
  }

  write(name: string, bytes: Buffer): void {
    const stored = this.states.get(name) ?? { bytes: null, lock: null };
    stored.bytes = bytes;
    this.states.set(name, stored);
  }

  remove(name: string): boolean {
    return this.states.delete(name);
  }

  lockHolder(name: string): LockInfo | null {
    return this.states.get(name)?.lock ?? null;
  }

  /** Takes the lock; returns the current holder instead when someone else has it. */
  lock(name: string, info: LockInfo): { ok: true } | { ok: false; holder: LockInfo } {
    const stored = this.states.get(name) ?? { bytes: null, lock: null };
    if (stored.lock && stored.lock.ID !== info.ID) return { ok: false, holder: stored.lock };
    stored.lock = info;
    this.states.set(name, stored);
    return { ok: true };
  }

  /** Releases the lock; `id` undefined forces it (GitLab's "remove state lock"). */
  unlock(name: string, id: string | undefined): { ok: true } | { ok: false; holder: LockInfo } {
    const stored = this.states.get(name);
    if (!stored?.lock) return { ok: true };
    if (id !== undefined && stored.lock.ID !== id) return { ok: false, holder: stored.lock };
    stored.lock = null;
    return { ok: true };
  }
}
