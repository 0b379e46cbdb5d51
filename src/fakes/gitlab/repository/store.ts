/**
 * An in-memory git-like repository: commits with parents and a full tree (path -> bytes)
 * each, branches pointing at commit shas. Enough git for the API: branch, commit with
 * actions, read a file at a ref, merge one branch into another (three-way, by path).
 */
import { createHash } from 'node:crypto';

export interface Commit {
  id: string;
  parentIds: string[];
  title: string;
  message: string;
  authorName: string;
  authorEmail: string;
  createdAt: Date;
  tree: ReadonlyMap<string, Buffer>;
}

export interface CommitAction {
  action: 'create' | 'update' | 'delete' | 'move' | 'chmod';
  filePath: string;
  previousPath?: string | undefined;
  content?: Buffer | undefined;
  lastCommitId?: string | undefined;
}

export interface Author {
  name: string;
  email: string;
}

/** A refused repository operation; the message is GitLab's. */
export class RepositoryError extends Error {
  constructor(
    readonly kind: 'invalid' | 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
  }
}

export class RepositoryStore {
  private readonly commits = new Map<string, Commit>();
  private readonly branches = new Map<string, string>();
  private sequence = 0;

  constructor(
    readonly defaultBranch: string,
    files: ReadonlyMap<string, Buffer>,
    author: Author,
  ) {
    const root = this.writeCommit([], new Map(files), 'Initial commit', author);
    this.branches.set(defaultBranch, root.id);
  }

  branchNames(): string[] {
    return [...this.branches.keys()].sort();
  }

  branchHead(name: string): Commit | undefined {
    const sha = this.branches.get(name);
    return sha === undefined ? undefined : this.commits.get(sha);
  }

  commit(sha: string): Commit | undefined {
    return this.commits.get(sha);
  }

  /** A branch name, a full sha or a unique sha prefix (at least 7 characters). */
  resolve(ref: string): Commit | undefined {
    const head = this.branchHead(ref);
    if (head) return head;
    if (!/^[0-9a-f]{7,40}$/.test(ref)) return undefined;
    const exact = this.commits.get(ref);
    if (exact) return exact;
    const matches = [...this.commits.keys()].filter((sha) => sha.startsWith(ref));
    return matches.length === 1 ? this.commits.get(matches[0]!) : undefined;
  }

  createBranch(name: string, ref: string): Commit {
    if (!/^(?!\/|.*\/\/|.*\.\.|.*\/$)[^\s~^:?*[\\]+$/.test(name)) throw new RepositoryError('invalid', 'Branch name is invalid');
    if (this.branches.has(name)) throw new RepositoryError('invalid', 'Branch already exists');
    const target = this.resolve(ref);
    if (!target) throw new RepositoryError('invalid', 'Invalid reference name: ' + ref);
    this.branches.set(name, target.id);
    return target;
  }

  deleteBranch(name: string): void {
    if (!this.branches.has(name)) throw new RepositoryError('not_found', 'Branch');
    if (name === this.defaultBranch) throw new RepositoryError('invalid', 'The default branch of a project cannot be deleted.');
    this.branches.delete(name);
  }

  /**
   * Applies actions as one commit on `branch`. When the branch does not exist it is
   * created from `startRef` (GitLab's `start_branch` / `start_sha`).
   */
  commitActions(branch: string, message: string, actions: CommitAction[], author: Author, startRef?: string): Commit {
    let parent = this.branchHead(branch);
    if (!parent) {
      if (startRef === undefined) throw new RepositoryError('invalid', `You can only create or edit files when you are on a branch`);
      parent = this.resolve(startRef);
      if (!parent) throw new RepositoryError('invalid', `Invalid reference name: ${startRef}`);
    }
    const tree = new Map(parent.tree);
    for (const action of actions) this.applyAction(tree, action, parent);
    const commit = this.writeCommit([parent.id], tree, message, author);
    this.branches.set(branch, commit.id);
    return commit;
  }

  /**
   * Merges `source` into `target` with a merge commit. Paths changed on both sides since
   * the merge base (to different content) are a conflict.
   */
  merge(source: string, target: string, message: string, author: Author): Commit {
    const ours = this.branchHead(target);
    const theirs = this.branchHead(source);
    if (!ours || !theirs) throw new RepositoryError('not_found', 'Branch');
    const base = this.mergeBase(ours.id, theirs.id);
    const baseTree = base?.tree ?? new Map<string, Buffer>();
    const tree = new Map(ours.tree);
    const paths = new Set([...baseTree.keys(), ...theirs.tree.keys()]);
    for (const path of paths) {
      const b = baseTree.get(path);
      const t = theirs.tree.get(path);
      if (sameBytes(b, t)) continue;
      const o = ours.tree.get(path);
      if (!sameBytes(o, b) && !sameBytes(o, t)) throw new RepositoryError('conflict', `Merge conflict in ${path}`);
      if (t === undefined) tree.delete(path);
      else tree.set(path, t);
    }
    const commit = this.writeCommit([ours.id, theirs.id], tree, message, author);
    this.branches.set(target, commit.id);
    return commit;
  }

  /** The newest commit reachable from `sha` that changed `path` (GitLab's `last_commit_id`). */
  lastCommitTouching(sha: string, path: string): Commit | undefined {
    let current = this.commits.get(sha);
    while (current) {
      const parent = current.parentIds[0] === undefined ? undefined : this.commits.get(current.parentIds[0]);
      if (!sameBytes(current.tree.get(path), parent?.tree.get(path))) return current;
      current = parent;
    }
    return undefined;
  }

  /** First-parent history of a ref, newest first. */
  history(sha: string): Commit[] {
    const out: Commit[] = [];
    for (let c = this.commits.get(sha); c; c = c.parentIds[0] === undefined ? undefined : this.commits.get(c.parentIds[0])) out.push(c);
    return out;
  }

  /** The nearest common ancestor of two commits (git merge-base). */
  mergeBase(a: string, b: string): Commit | undefined {
    const ancestors = new Set<string>();
    const walk = (start: string, visit: (sha: string) => boolean) => {
      const queue = [start];
      while (queue.length > 0) {
        const sha = queue.shift()!;
        if (visit(sha)) return sha;
        queue.push(...(this.commits.get(sha)?.parentIds ?? []));
      }
      return undefined;
    };
    walk(a, (sha) => {
      ancestors.add(sha);
      return false;
    });
    const found = walk(b, (sha) => ancestors.has(sha));
    return found === undefined ? undefined : this.commits.get(found);
  }

  private applyAction(tree: Map<string, Buffer>, action: CommitAction, parent: Commit): void {
    const { filePath } = action;
    if (action.lastCommitId !== undefined) {
      const last = this.lastCommitTouching(parent.id, action.previousPath ?? filePath);
      if (last && last.id !== action.lastCommitId) {
        throw new RepositoryError('invalid', `The file has changed since you started editing it: ${action.previousPath ?? filePath}`);
      }
    }
    switch (action.action) {
      case 'create':
        if (tree.has(filePath)) throw new RepositoryError('invalid', `A file with this name already exists`);
        tree.set(filePath, action.content ?? Buffer.alloc(0));
        return;
      case 'update':
        if (!tree.has(filePath)) throw new RepositoryError('invalid', `A file with this name doesn't exist`);
        tree.set(filePath, action.content ?? Buffer.alloc(0));
        return;
      case 'delete':
        if (!tree.delete(filePath)) throw new RepositoryError('invalid', `A file with this name doesn't exist`);
        return;
      case 'move': {
        const from = action.previousPath;
        const content = from === undefined ? undefined : tree.get(from);
        if (from === undefined || content === undefined) throw new RepositoryError('invalid', `A file with this name doesn't exist`);
        if (tree.has(filePath)) throw new RepositoryError('invalid', `A file with this name already exists`);
        tree.delete(from);
        tree.set(filePath, action.content ?? content);
        return;
      }
      case 'chmod':
        // The store keeps no file modes; chmod only has to name an existing file.
        if (!tree.has(filePath)) throw new RepositoryError('invalid', `A file with this name doesn't exist`);
        return;
    }
  }

  private writeCommit(parentIds: string[], tree: Map<string, Buffer>, message: string, author: Author): Commit {
    const hash = createHash('sha1');
    hash.update(`${parentIds.join(',')}\n${message}\n${author.email}\n${++this.sequence}\n`);
    for (const [path, content] of [...tree].sort(([a], [b]) => a.localeCompare(b))) hash.update(`${path}\0`).update(content);
    const commit: Commit = {
      id: hash.digest('hex'),
      parentIds,
      title: message.split('\n')[0] ?? '',
      message,
      authorName: author.name,
      authorEmail: author.email,
      createdAt: new Date(),
      tree,
    };
    this.commits.set(commit.id, commit);
    return commit;
  }
}

/** Read access to one commit's files, as a job's checkout has them. */
export function filesOf(commit: Commit): { readFile(path: string): Buffer | undefined; listFiles(prefix: string): string[] } {
  return {
    readFile: (path) => commit.tree.get(path),
    listFiles: (prefix) => [...commit.tree.keys()].filter((p) => p.startsWith(prefix)).sort(),
  };
}

export function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.equals(b);
}
