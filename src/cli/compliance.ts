import { loadPolicies, DEFAULT_POLICY_DIR } from '../compliance/policy.ts';
import { judgeChanges, type ComplianceReport } from '../compliance/engine.ts';
import { formatReportText } from '../compliance/report.ts';
import { proposedRuleChange } from '../compliance/request.ts';
import { analysePlan } from '../plan/summary.ts';
import { CliError, emit, formatOption, parseOptions, readJsonFile, type Command } from './command.ts';

export const complianceCommand: Command = {
  summary: 'judge a Terraform plan or one proposed rule against the policies',
  help: `Usage:
  portcullis compliance --plan FILE [--policies DIR] [--format text|json] [--out FILE]
  portcullis compliance --request FILE [--policies DIR] [--format text|json] [--out FILE]

  --plan FILE       output of \`terraform show -json PLANFILE\`
  --request FILE    one rule as JSON: {direction, protocol, from_port, to_port, cidr,
                    description, security_group} (or a terraform/rules/*.json file)
  --policies DIR    policy directory (default: ${DEFAULT_POLICY_DIR})
  --format          text (default) or json
  --out FILE        write the report to FILE instead of stdout

Exit codes: 0 compliant (warnings allowed), 1 at least one deny, 2 bad input.
`,
  async run(args, io) {
    const { values } = parseOptions(args, {
      plan: { type: 'string' },
      request: { type: 'string' },
      policies: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
    });
    const format = formatOption(values.format);
    if ((values.plan === undefined) === (values.request === undefined)) {
      throw new CliError('give exactly one of --plan FILE or --request FILE');
    }
    const policies = await loadPolicies(values.policies ?? DEFAULT_POLICY_DIR);
    const input = await readJsonFile((values.plan ?? values.request)!);
    const changes = values.plan !== undefined ? analysePlan(input).changes : [proposedRuleChange(input, values.request)];
    const report: ComplianceReport = judgeChanges(changes, policies);
    await emit(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatReportText(report), values.out, io);
    return report.compliant ? 0 : 1;
  },
};
