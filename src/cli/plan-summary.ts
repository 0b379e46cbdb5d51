import { formatSummaryText, summarizePlan } from '../plan/summary.ts';
import { CliError, emit, formatOption, parseOptions, readJsonFile, type Command } from './command.ts';

export const planSummaryCommand: Command = {
  summary: 'what a Terraform plan will do, one line per security-group rule change',
  help: `Usage:
  portcullis plan-summary FILE [--format text|json] [--out FILE]

  FILE      output of \`terraform show -json PLANFILE\`
  --format  text (default) or json: {counts: {add, change, destroy, replace}, rules: [...]}
  --out     write the summary to FILE instead of stdout

Exit codes: 0 summarised, 2 bad input.
`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { format: { type: 'string' }, out: { type: 'string' } }, true);
    const format = formatOption(values.format);
    if (positionals.length !== 1) throw new CliError('give exactly one plan file');
    const summary = summarizePlan(await readJsonFile(positionals[0]!));
    await emit(format === 'json' ? `${JSON.stringify(summary, null, 2)}\n` : formatSummaryText(summary), values.out, io);
    return 0;
  },
};
