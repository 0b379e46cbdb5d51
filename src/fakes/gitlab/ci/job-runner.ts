/**
 * Runs one job the way a GitLab Runner would appear to: the usual log header, the
 * script lines, what the job's behaviour prints, the artifact upload and the verdict.
 * A scripted outcome (driver.scriptJob) replaces the behaviour. Artifacts are kept
 * per the job's `artifacts:when` and only when the job was not canceled meanwhile.
 */
import type { Job, Pipeline } from '../model.ts';
import type { Timers } from '../timers.ts';
import type { JobBehaviour, JobContext } from './simulated-jobs.ts';

export interface JobScript {
  /** Fail the job; a string is printed as the error. */
  fail?: true | string;
  /** How long the job runs (default: the fake's jobDurationMs). */
  durationMs?: number;
  /** Extra log text. */
  log?: string;
}

export interface RunSpec {
  job: Job;
  pipeline: Pipeline;
  script: string[];
  artifactsWhen: 'on_success' | 'on_failure' | 'always';
  behaviour: JobBehaviour;
  scripted: JobScript | undefined;
  durationMs: number;
  context: Omit<JobContext, 'log' | 'writeArtifact'>;
  projectPath: string;
  timers: Timers;
}

export interface RunOutcome {
  ok: boolean;
}

const RUNNER_HEADER = [
  'Running with gitlab-runner 17.5.3 (12030cf4)',
  '  on portcullis-fake-runner t3_Fq2xKz, system ID: s_5f8ce5990fak',
];

export async function runJob(spec: RunSpec): Promise<RunOutcome | undefined> {
  const { job, pipeline, timers } = spec;
  const log = (line: string) => job.trace.push(...line.replace(/\n$/, '').split('\n'));
  const staged = new Map<string, Buffer>();
  log(
    [
      ...RUNNER_HEADER,
      'Preparing the "docker" executor',
      `Using Docker executor with image ${job.image ?? 'alpine:latest'} ...`,
      'Preparing environment',
      `Running on runner-t3fq2xkz-project-${pipeline.projectId}-concurrent-0 via portcullis-fake-gitlab...`,
      'Getting source from Git repository',
      'Fetching changes with git depth set to 20...',
      `Initialized empty Git repository in /builds/${spec.projectPath}/.git/`,
      `Checking out ${pipeline.sha.slice(0, 8)} as detached HEAD (ref is ${pipeline.ref})...`,
      'Skipping Git submodules setup',
      'Executing "step_script" stage of the job script',
      ...spec.script.map((line) => `$ ${line}`),
    ].join('\n'),
  );

  let exitCode: number;
  if (spec.scripted?.fail !== undefined) {
    if (typeof spec.scripted.fail === 'string') log(spec.scripted.fail);
    exitCode = 1;
  } else {
    try {
      exitCode = await spec.behaviour({ ...spec.context, log, writeArtifact: (path, content) => staged.set(path, Buffer.from(content)) });
    } catch (err) {
      log(`Error: ${(err as Error).message}`);
      exitCode = 1;
    }
  }
  if (spec.scripted?.log) log(spec.scripted.log);

  const completed = await timers.sleep(spec.scripted?.durationMs ?? spec.durationMs);
  // Canceled (or the fake closed) while running: GitLab keeps neither outcome nor artifacts.
  if (!completed || job.status !== 'running') return undefined;

  const ok = exitCode === 0;
  const keep = spec.artifactsWhen === 'always' || (spec.artifactsWhen === 'on_success') === ok;
  if (staged.size > 0 && keep) {
    log(`Uploading artifacts for ${ok ? 'successful' : 'failed'} job`);
    log('Uploading artifacts...');
    for (const path of staged.keys()) log(`${path}: found 1 matching artifact files and directories`);
    log(`Uploading artifacts as "archive" to coordinator... 201 Created  id=${job.id} responseStatus=201 Created token=glcbt-64`);
    for (const [path, content] of staged) job.artifacts.set(path, content);
  }
  log('Cleaning up project directory and file based variables');
  log(ok ? 'Job succeeded' : `ERROR: Job failed: exit code ${exitCode}`);
  return { ok };
}
