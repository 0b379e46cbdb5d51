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
 * must be an even (LTS) major at least `minNodeMajor` (from package.json engines), and
 * `ltsMajor` when given (the current LTS line). The final stage must hold the compiled
 * output and production dependencies made in a build stage, never the TypeScript sources.
 */
export function dockerfileProblems(text: string, context: BuildContext, minNodeMajor: number, ltsMajor?: number): string[] {
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
      else if (ltsMajor !== undefined && major !== ltsMajor) problems.push(`${image}: not the current LTS line (${ltsMajor})`);
    }
  }
  const final = stages.at(-1);
  if (!final) return [...problems, 'no FROM'];

  const runs = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  const copiedFrom = (what: RegExp) => {
    const copy = final.instructions.find((i) => i.keyword === 'COPY' && /--from=/.test(i.args) && what.test(i.args));
    const name = copy && /--from=(\S+)/.exec(copy.args)?.[1];
    return stages.find((s) => s !== final && s.name === name);
  };
  if (runs(final).some((r) => /\bnpm (ci|install|i)\b/.test(r))) problems.push('npm ci must run in a build stage, not in the final image');
  const deps = copiedFrom(/\bnode_modules\b/);
  if (!deps) problems.push('the final stage does not copy node_modules from a build stage');
  else {
    const install = runs(deps).join(' && ');
    if (!/\bnpm ci\b/.test(install)) problems.push('the dependencies are not installed with npm ci (the lock file)');
    else if (!/\bnpm ci\b[^&]*--omit=dev|\bnpm prune\b[^&]*--omit=dev/.test(install)) problems.push('the copied node_modules hold dev dependencies');
    if (!runs(deps).some((r) => /python3/.test(r) && /\bmake\b/.test(r) && /g\+\+/.test(r))) {
      problems.push('the build stage lacks python3, make and g++ for better-sqlite3');
    }
  }
  const compiled = copiedFrom(/\bdist\b/);
  if (!compiled || !runs(compiled).some((r) => /\bnpm run build\b/.test(r))) problems.push('the final stage does not copy dist/ from a stage that runs npm run build');
  for (const { sources } of contextSources(final)) {
    for (const source of sources) if (/^(src|tests|bench)\b|^tsconfig/.test(source)) problems.push(`COPY ${source}: TypeScript sources in the final image`);
  }

  const user = final.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args.split(':')[0];
  if (user === undefined || user === 'root' || user === '0') problems.push('the final stage runs as root');

  const healthcheck = final.instructions.filter((i) => i.keyword === 'HEALTHCHECK').at(-1);
  if (!healthcheck || !/\bCMD\b.*\/healthz/.test(healthcheck.args)) problems.push('no HEALTHCHECK on /healthz');

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
