import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli.ts';

/**
 * Node's arguments that run the command line from its sources as a process of its own, as
 * an operator or a pipeline job runs it (compiled there; tests/build.test.ts checks the
 * compiled one): `spawn(process.execPath, [...CLI_ARGS, 'inbox', ...])`. tsx is named by
 * its full URL so the child's working directory does not matter.
 */
export const CLI_ARGS: readonly string[] = ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('../../src/cli.ts', import.meta.url))];

/** Runs the CLI in-process and captures what it prints. */
export async function runCli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}
