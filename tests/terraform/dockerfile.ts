/**
 * What can be checked of the Dockerfile without a Docker engine (none runs here): pinned
 * LTS bases, a multi-stage build with production dependencies only, a non-root user, and
 * every file it copies present in the build context.
 */
import { matchesGlob, posix } from 'node:path';

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  /** The base image with ARG defaults substituted, e.g. `node:26.13.0-bookworm-slim`. */
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions with line continuations joined and comments dropped, split into stages. */
export function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const instructions: Instruction[] = [];
  let pending: Instruction | null = null;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (pending === null && (line === '' || line.startsWith('#'))) return;
    const continues = line.endsWith('\\');
    const content = continues ? line.slice(0, -1).trim() : line;
    if (pending === null) {
      const [keyword = '', ...rest] = content.split(/\s+/);
      pending = { keyword: keyword.toUpperCase(), args: rest.join(' '), line: index + 1 };
    } else if (!line.startsWith('#')) {
      pending.args = `${pending.args} ${content}`.trim();
    }
    if (!continues) {
      instructions.push(pending);
      pending = null;
    }
  });

  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args.split(/\s+/);
      const resolved = image.replace(/\$\{?(\w+)\}?/g, (_, arg: string) => args.get(arg) ?? `\${${arg}}`);
      stages.push({ image: resolved, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [arg = '', value = ''] = instruction.args.split('=');
      args.set(arg, value);
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

export interface BuildContext {
  /** True when the path, relative to the build context, exists. */
  exists(path: string): boolean;
  /** The .dockerignore patterns. */
  ignored: string[];
}

/** Sources of the COPY/ADD instructions of a stage that read the build context (no --from). */
export function contextSources(stage: Stage): Array<{ sources: string[]; destination: string }> {
  return stage.instructions
    .filter((i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && !/--from=/.test(i.args))
    .map((i) => {
      const parts = i.args.split(/\s+/).filter((part) => !part.startsWith('--'));
      return { sources: parts.slice(0, -1), destination: parts.at(-1) ?? '' };
    });
}

/** True when a .dockerignore pattern excludes the path or a directory above it. */
export function isIgnored(path: string, patterns: string[]): boolean {
  const clean = posix.normalize(path).replace(/\/$/, '');
  const candidates = clean.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  return patterns.some((pattern) => {
    const normal = pattern.replace(/^\/|\/$/g, '');
    return candidates.some((candidate) => candidate === normal || matchesGlob(candidate, normal));
  });
}

/**
 * One line per problem of the image definition; empty when sound. `node` base images
 * must be an even (LTS) major at least `minNodeMajor` (from package.json engines).
 */
export function dockerfileProblems(text: string, context: BuildContext, minNodeMajor: number): string[] {
  const { stages } = parseDockerfile(text);
  const problems: string[] = [];
  if (stages.length < 2) problems.push('single stage: build tools would ship in the image');
  const stageNames = new Set(stages.map((s) => s.name).filter(Boolean));
  for (const { image } of stages) {
    if (stageNames.has(image)) continue;
    if (!/:\d+\.\d+\.\d+[\w.-]*$|@sha256:[0-9a-f]{64}$/.test(image)) problems.push(`${image}: base image not pinned to a version`);
    const node = /^node:(\d+)\b/.exec(image);
    if (node) {
      const major = Number(node[1]);
      if (major % 2 === 1) problems.push(`${image}: odd Node.js majors are never LTS`);
      if (major < minNodeMajor) problems.push(`${image}: older than package.json engines allow`);
    }
  }
  const final = stages.at(-1);
  if (!final) return [...problems, 'no FROM'];

  const runs = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  const builder = stages.find((s) => runs(s).some((r) => /\bnpm ci\b/.test(r)));
  if (!builder || builder === final) problems.push('npm ci must run in a build stage, not in the final image');
  else {
    if (!runs(builder).some((r) => /\bnpm ci\b.*--omit=dev/.test(r))) problems.push('npm ci installs dev dependencies');
    if (!runs(builder).some((r) => /python3/.test(r) && /\bmake\b/.test(r) && /g\+\+/.test(r))) {
      problems.push('the build stage lacks python3, make and g++ for better-sqlite3');
    }
    const copiesDeps = final.instructions.some((i) => i.keyword === 'COPY' && i.args.includes(`--from=${builder.name}`) && i.args.includes('node_modules'));
    if (!copiesDeps) problems.push('the final stage does not copy node_modules from the build stage');
  }

  const user = final.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args.split(':')[0];
  if (user === undefined || user === 'root' || user === '0') problems.push('the final stage runs as root');

  for (const stage of stages) {
    for (const { sources } of contextSources(stage)) {
      for (const source of sources) {
        if (!context.exists(source)) problems.push(`COPY ${source}: not in the repository`);
        else if (isIgnored(source, context.ignored)) problems.push(`COPY ${source}: excluded by .dockerignore`);
      }
    }
  }
  problems.push(...entrypointProblems(final, context));
  return problems;
}

/** The exec-form ENTRYPOINT must run a script the final stage copied from the repository. */
function entrypointProblems(final: Stage, context: BuildContext): string[] {
  const entrypoint = final.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1);
  if (!entrypoint) return ['no ENTRYPOINT'];
  let argv: unknown;
  try {
    argv = JSON.parse(entrypoint.args);
  } catch {
    return ['ENTRYPOINT is not in exec form (a JSON array), so signals would not reach node'];
  }
  const script = Array.isArray(argv) ? argv[1] : undefined;
  if (!Array.isArray(argv) || argv[0] !== 'node' || typeof script !== 'string') return ['ENTRYPOINT does not run node on a script'];
  const workdir = final.instructions.filter((i) => i.keyword === 'WORKDIR').at(-1)?.args ?? '/';
  for (const { sources, destination } of contextSources(final)) {
    const target = posix.resolve(workdir, destination);
    for (const source of sources) {
      const inRepo = script.startsWith(`${target}/`) ? posix.join(source, script.slice(target.length + 1)) : null;
      if (inRepo && context.exists(inRepo)) return [];
    }
  }
  return [`ENTRYPOINT runs ${script}, which no COPY puts there`];
}
