/**
 * `portcullis import --group KEY_OR_ID`: writes one rule file per live rule of the group
 * and a Terraform file of `import` blocks, so the first pipeline adopts them (0 to add,
 * 0 to destroy). Rules it cannot express are listed and make the exit code 1.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cloudFromEnv } from '../aws/env.ts';
import { adoptedFiles, adoptGroup, importBlocks } from '../checks/adopt.ts';
import type { CloudPort } from '../core/ports.ts';
import { GROUPS_FILE, parseGroupsFile } from '../domain/groups.ts';
import { RULES_DIR } from '../domain/rule.ts';
import { CliError, parseOptions, type Command } from './command.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface ImportCommandDeps {
  env: Env;
  cloud?: (env: Env) => CloudPort;
  now?: () => Date;
}

const HELP = `Usage:
  portcullis import --group KEY_OR_ID [--groups FILE] [--rules DIR] [--terraform DIR]

  --group      the group to adopt: its key in groups.json, or the sg- id of a group
               groups.json declares (add a group made elsewhere with "id" first)
  --groups     groups.json (default: ${GROUPS_FILE})
  --rules      where rule files go (default: ${RULES_DIR})
  --terraform  where the import blocks go, as imports-<group>.tf (default: terraform)

Reads the group's live rules (ingress and egress) from AWS (AWS_REGION and the SDK's
default credentials chain) and writes rule file IMP-<hex of the sgr- id>.json per rule.
Commit them and run the pipeline: its plan imports them, 0 to add, 0 to destroy.
Exit codes: 0 every rule written, 1 some rules could not be expressed (listed),
2 bad input, 3 AWS failed.
`;

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

async function ruleIdsIn(dir: string): Promise<Set<string>> {
  try {
    return new Set((await readdir(dir)).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw err;
  }
}

export function importCommand(deps: ImportCommandDeps = { env: process.env }): Command {
  return {
    summary: "adopt a security group's live rules: rule files plus Terraform import blocks",
    help: HELP,
    async run(args, io) {
      const { values } = parseOptions(args, { group: { type: 'string' }, groups: { type: 'string' }, rules: { type: 'string' }, terraform: { type: 'string' } });
      if (!values.group) throw new CliError('--group KEY_OR_ID is required');
      const groupsFile = values.groups ?? GROUPS_FILE;
      const rulesDir = values.rules ?? RULES_DIR;
      const groups = parseGroupsFile(await readText(groupsFile), groupsFile);
      const cloud = (deps.cloud ?? cloudFromEnv)(deps.env);
      const adoption = await adoptGroup(cloud, values.group, groups, await ruleIdsIn(rulesDir));

      const files = adoptedFiles(adoption, rulesDir);
      if (adoption.adopted.length > 0) {
        files.set(join(values.terraform ?? 'terraform', `imports-${adoption.group}.tf`), importBlocks(adoption, (deps.now ?? (() => new Date()))()));
      }
      for (const [path, text] of files) {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, text);
      }
      io.stdout(`${adoption.group} (${adoption.groupId}): ${adoption.adopted.length} rule(s) written, ${adoption.skipped.length} not expressible.\n`);
      for (const a of adoption.adopted) io.stdout(`  + ${a.rule.id} ← ${a.awsRuleId}\n`);
      for (const s of adoption.skipped) io.stdout(`  ! ${s.awsRuleId}: ${s.reason}\n`);
      return adoption.skipped.some((s) => !/^already (managed|imported)/.test(s.reason)) ? 1 : 0;
    },
  };
}
