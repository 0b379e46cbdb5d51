/**
 * Conformance with real `terraform show -json` output: every file of
 * ../shared/corpus/real-plans (third-party data, read in place, never copied here) goes
 * through the real CLI entry, `compliance` and `plan-summary`.
 *
 * - A plan exits 0 or 1, 1 only where the default policy is really violated; a state or
 *   a file that is not a plan exits 2. Never a crash, never more than one line on stderr.
 * - For the AWS security-group plans, the policies each resource violates are written
 *   out below, derived by reading each plan (resource_changes, after, after_unknown,
 *   configuration) against policies/default.yml, not taken from the engine's output.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runCli } from '../helpers/cli.ts';
import { buildCopy } from '../helpers/build.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CORPUS = path.resolve(ROOT, '..', 'shared', 'corpus', 'real-plans');

const WEB = 'public-ingress-web-only';
const ADMIN = 'public-ingress-no-admin-ports';
const DESC = 'description-required';
const KNOWN = 'known-at-plan-time';

/** Files that are not plans: exit 2, and what the one line on stderr must say. */
const NOT_PLANS: Record<string, RegExp> = {
  // `terraform show -json` of a state: format_version and values, nothing planned.
  'checkov__tests_terraform_runner_resources_plan_corrupted-tfplan.json': /not a Terraform plan: .*this looks like a state/,
  'infracost__cmd_infracost_testdata_terraform_v0.14_state.json': /not a Terraform plan: .*this looks like a state/,
  'terraform-json__testdata_no_changes_state.json': /not a Terraform plan: .*this looks like a state/,
  // The setup-terraform wrapper's "[command]..." line before the JSON.
  'infracost__cmd_infracost_testdata_plan_with_terraform_wrapper.json': /: not JSON \(/,
  // Truncated and spliced: "{}}}}}}}," in the middle.
  'terraform-json__testdata_invalid_plan.json': /: not JSON \(/,
  // Trimmed by hand to planned_values and configuration: Terraform always writes format_version.
  'checkov__tests_terraform_parser_resources_plan_vpc_endpoint_tfplan.json': /not a Terraform plan: no format_version/,
};

interface Expected {
  /** Policies denied, by resource address; every resource not named has none. */
  violations: Record<string, string[]>;
  /** Resources with a broad-private-source warning. */
  warnings?: string[];
  /** Rules judged (created, changed or replaced), egress included. */
  checked: number;
}

const noDescription = (...resources: string[]) => Object.fromEntries(resources.map((r) => [r, [DESC]]));

/** checkov's aws example: an SSH and an HTTP inline rule from anywhere, undescribed; MySQL from 172.16/16 without a description. */
const CHECKOV_WEB_NODE: Expected = {
  violations: { 'aws_security_group.web-node': [ADMIN, DESC, WEB], 'aws_security_group_rule.ingress': [DESC] },
  // default: a new group whose configuration writes no inline rules; egress: not judged.
  checked: 5,
};

/** regula's SSH examples: 22 and 20-25 from anywhere; 443 from anywhere; 22 from 10.10/16; no descriptions. */
const REGULA_SSH: Expected = {
  violations: {
    'aws_security_group.invalid_sg_1': [ADMIN, DESC, WEB],
    'aws_security_group.invalid_sg_2': [ADMIN, DESC, WEB],
    ...noDescription('aws_security_group.valid_sg_1', 'aws_security_group.valid_sg_2'),
  },
  checked: 4,
};

/** terraform-compliance's allow_tls (tcp 1-3000 from anywhere) and allow_all (tcp 0-65535 from anywhere). */
const TFC_ALLOW_ALL: Expected = {
  violations: { 'aws_security_group.allow_tls': [ADMIN, DESC, WEB], 'aws_security_group_rule.allow_all': [ADMIN, DESC, WEB] },
  checked: 2,
};

/** trivy: one inline HTTP rule from anywhere, no description. */
const TRIVY_HTTP: Expected = { violations: noDescription('aws_security_group.sg'), checked: 1 };

const EXPECTED: Record<string, Expected> = {
  // Three instances of a module, each all protocols from 0.0.0.0/0.
  'checkov__tests_common_runner_registry_plan_with_for_each_for_enrichment_tf_plan.json': {
    violations: {
      'module.sg["awful_example"].aws_security_group.bad': [ADMIN, WEB],
      'module.sg["bad_example"].aws_security_group.bad': [ADMIN, WEB],
      'module.sg["terrible_example"].aws_security_group.bad': [ADMIN, WEB],
    },
    checked: 3,
  },
  'checkov__tests_terraform_parser_resources_plan_tags_tfplan.json': CHECKOV_WEB_NODE,
  'checkov__tests_terraform_runner_resources_plan_tfplan.json': CHECKOV_WEB_NODE,
  // The same plan without its configuration section: whether the new group "default"
  // writes inline rules can no longer be told, so its unknown ingress fails closed.
  'checkov__tests_terraform_runner_tf_plan_skip_check_regex_resource_tfplan1.json': {
    violations: { ...CHECKOV_WEB_NODE.violations, 'aws_security_group.default': [KNOWN] },
    checked: 7,
  },
  // Two rules updated in place, from a known security group, described.
  'checkov__tests_terraform_runner_resources_plan_change_keys_tfplan.json': { violations: {}, checked: 2 },
  'regula__pkg_loader_test_inputs_data_tfplan.0.12.json': REGULA_SSH,
  'regula__pkg_loader_test_inputs_data_tfplan.0.14.json': REGULA_SSH,
  'regula__pkg_loader_test_inputs_data_tfplan.0.15.json': REGULA_SSH,
  'regula__rego_tests_rules_tf_aws_security_group_inputs_ingress_anywhere_ssh_infra.json': REGULA_SSH,
  // Groups in nested modules that write no inline rules: nothing to judge.
  'regula__rego_tests_lib_inputs_resource_view_06_tf_v0_15_infra.json': { violations: {}, checked: 0 },
  'regula__rego_tests_lib_inputs_resource_view_06_tf_v1_0_infra.json': { violations: {}, checked: 0 },
  // tcp 0-65535, 442-444 and 79-81 from anywhere; 443 and 80 exactly; no descriptions.
  'regula__rego_tests_rules_tf_aws_security_group_inputs_ingress_anywhere_infra.json': {
    violations: {
      'aws_security_group.invalid_allow_all': [ADMIN, DESC, WEB],
      'aws_security_group.invalid_include_443': [DESC, WEB],
      'aws_security_group.invalid_include_80': [DESC, WEB],
      ...noDescription('aws_security_group.valid_exact_443', 'aws_security_group.valid_exact_80'),
    },
    checked: 5,
  },
  // RDP 3389 and 3380-3390 from anywhere; "valid_sg_1" (valid for an RDP-only rule) is SSH from anywhere.
  'regula__rego_tests_rules_tf_aws_security_group_inputs_ingress_anywhere_rdp_infra.json': {
    violations: {
      'aws_security_group.invalid_sg_1': [ADMIN, DESC, WEB],
      'aws_security_group.invalid_sg_2': [ADMIN, DESC, WEB],
      'aws_security_group.valid_sg_1': [ADMIN, DESC, WEB],
      ...noDescription('aws_security_group.valid_sg_2'),
    },
    checked: 4,
  },
  // elb: HTTP from anywhere; instance: 8080 from anywhere and SSH from 10/8; no descriptions.
  'terraform-compliance__tests_functional_test_issue-127_plan.out.json': {
    violations: { 'aws_security_group.elb': [DESC], 'aws_security_group.instance': [DESC, WEB] },
    warnings: ['aws_security_group.instance'],
    checked: 4,
  },
  // SSH and HTTP from 1.2.3.4/32, a public host.
  'terraform-compliance__tests_functional_test_issue-156_plan.out.json': { violations: { 'aws_security_group.instance': [ADMIN, DESC, WEB] }, checked: 3 },
  'terraform-compliance__tests_functional_test_issue-166_plan.out.json': { violations: { 'aws_security_group.instance': [ADMIN, DESC, WEB] }, checked: 3 },
  // 443 and 80 from anywhere, compliant but for the missing descriptions.
  'terraform-compliance__tests_functional_test_issue-171_plan.out.json': { violations: noDescription('aws_security_group.sg-loadBalancer-noncompliant'), checked: 3 },
  // DNS (tcp 53) and HTTP from anywhere, inline and as rules; something_else writes no inline rules.
  'terraform-compliance__tests_functional_test_issue-181_sg_with_comma_separated_plan.out.json': {
    violations: {
      'aws_security_group.allow_tls_ingress_inline': [DESC, WEB],
      'aws_security_group_rule.port_53': [DESC, WEB],
      'aws_security_group_rule.port_80': [DESC],
    },
    checked: 4,
  },
  // HTTP from 10/8 (inline, also in a module) and an SSH rule from anywhere.
  'terraform-compliance__tests_functional_test_issue-190_plan.out.json': {
    violations: {
      'aws_security_group.elb': [DESC],
      'aws_security_group_rule.elb-ingress-ssh': [ADMIN, DESC, WEB],
      'module.mysg.aws_security_group.alb': [DESC],
    },
    warnings: ['aws_security_group.elb', 'module.mysg.aws_security_group.alb'],
    checked: 4,
  },
  // NFS from a known security group, described; all egress.
  'terraform-compliance__tests_functional_test_issue-198_plan.out.json': { violations: {}, checked: 2 },
  // tcp 0-65535 from self, described; egress rules.
  'terraform-compliance__tests_functional_test_issue-216_plan.out.json': { violations: {}, checked: 4 },
  // 8080 from a group created in the same plan: its id is only known after apply.
  'terraform-compliance__tests_functional_test_issue-234-ingress_plan.out.json': {
    violations: { 'aws_security_group_rule.alb_ecs_ingress': [KNOWN] },
    checked: 3,
  },
  // Everything no-op, and one update that leaves the inline rules as they are.
  'terraform-compliance__tests_functional_test_issue-249_plan.out.json': { violations: {}, checked: 0 },
  // 443 from 10.123/16, no description.
  'terraform-compliance__tests_functional_test_issue-275_plan.out.json': { violations: noDescription('aws_security_group_rule.ingress_rule'), checked: 1 },
  'terraform-compliance__tests_functional_test_issue-554_plan.out.json': TFC_ALLOW_ALL,
  'terraform-compliance__tests_functional_test_issue-sgr_plan.out.json': TFC_ALLOW_ALL,
  // ICMP echo from anywhere: not a web port.
  'terraform-compliance__tests_functional_test_issue_360_plan.out.json': { violations: { 'aws_security_group.allow_ping': [DESC, WEB] }, checked: 1 },
  // tcp 443-22 (an inverted range), 443-3389, 0-65535, 0-22 and 0-3389 from anywhere, described.
  // Its aws_db_/aws_redshift_security_group (EC2-Classic, retired) are not VPC groups: not read.
  'terraform-compliance__tests_functional_test_issue_400_plan.out.json': {
    violations: {
      'aws_security_group.example_group_22': [WEB],
      'aws_security_group.example_group_3389': [ADMIN, WEB],
      'aws_security_group_rule.example_rule': [ADMIN, WEB],
      'aws_security_group_rule.example_rule_22': [ADMIN, WEB],
      'aws_security_group_rule.example_rule_3389': [ADMIN, WEB],
    },
    checked: 9,
  },
  // One egress rule, to a group created in the same plan: its destination is known only after apply.
  'terraform-compliance__tests_functional_test_issue_522_plan.out.json': { violations: { 'aws_security_group_rule.task_sg_egress_rule': [KNOWN] }, checked: 1 },
  // HTTP from anywhere, inline and as a rule, no descriptions.
  'terraform-compliance__tests_functional_test_multiple_failures_plan.out.json': {
    violations: noDescription('aws_security_group.failure', 'aws_security_group_rule.another_failure'),
    checked: 3,
  },
  // 443 and 0-65535 from 10/8, no descriptions.
  'terraform-compliance__tests_functional_test_pull_330_plan.out.json': {
    violations: noDescription('aws_security_group.allow_tls', 'aws_security_group_rule.allow_all'),
    warnings: ['aws_security_group.allow_tls', 'aws_security_group_rule.allow_all'],
    checked: 3,
  },
  // 443 from anywhere, no description; egress to anywhere and a prefix list.
  'terraform-compliance__tests_functional_test_referencing_terraform_addresses_on_resource_mounting_plan.out.json': {
    violations: noDescription('aws_security_group.test_sg'),
    checked: 3,
  },
  'trivy__pkg_iac_scanners_terraformplan_tfjson_testdata_plan.json': TRIVY_HTTP,
  'trivy__pkg_iac_scanners_terraformplan_tfjson_testdata_plan_with_template.json': TRIVY_HTTP,
};

interface Report {
  compliant: boolean;
  checked: number;
  violations: Array<{ policy: string; resource: string }>;
  warnings: Array<{ policy: string; resource: string }>;
}
interface Summary {
  rules: Array<{ resource: string; direction: string; source: string | null }>;
}

/** Policies by resource, sorted, as the expectations are written. */
function byResource(findings: Report['violations']): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const f of findings) (out[f.resource] ??= new Set()).add(f.policy);
  return Object.fromEntries(Object.entries(out).map(([r, p]) => [r, [...p].sort()]));
}

const sorted = (record: Record<string, string[]>) => Object.fromEntries(Object.entries(record).map(([r, p]) => [r, [...p].sort()]));

function assertOneLineAtMost(stderr: string) {
  assert.ok(stderr === '' || /^[^\n]*\n$/.test(stderr), `more than one line on stderr: ${JSON.stringify(stderr)}`);
  assert.doesNotMatch(stderr, /[\u0000-\u0009\u000b-\u001f\ufeff\ufffd]|\n\s+at /, 'raw bytes or a stack trace on stderr');
}

if (!existsSync(CORPUS)) {
  test(`real-plans conformance skipped: ${path.relative(ROOT, CORPUS)} not found`, { skip: true }, () => {});
} else {
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.json')).sort();

  describe('the corpus is the one these expectations were written for', () => {
    test('every file SOURCES.tsv names is present, and every expectation names a file', () => {
      const listed = readFileSync(path.join(CORPUS, 'SOURCES.tsv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split('\t')[0]!);
      assert.deepEqual([...listed].sort(), files);
      for (const name of [...Object.keys(NOT_PLANS), ...Object.keys(EXPECTED)]) assert.ok(files.includes(name), name);
    });
  });

  describe('every real plan through portcullis compliance and plan-summary', () => {
    for (const file of files) {
      const full = path.join(CORPUS, file);
      const notPlan = NOT_PLANS[file];
      test(file, async () => {
        const compliance = await runCli('compliance', '--plan', full, '--format', 'json');
        const summary = await runCli('plan-summary', full, '--format', 'json');
        assertOneLineAtMost(compliance.stderr);
        assertOneLineAtMost(summary.stderr);

        if (notPlan) {
          for (const [name, r] of [['compliance', compliance], ['plan-summary', summary]] as const) {
            assert.equal(r.code, 2, `${name} exit`);
            assert.equal(r.stdout, '');
            assert.match(r.stderr, new RegExp(`^portcullis ${name}: `));
            assert.match(r.stderr, notPlan);
          }
          return;
        }

        assert.equal(summary.code, 0, `plan-summary exit; stderr: ${summary.stderr}`);
        assert.equal(summary.stderr, '');
        assert.ok(compliance.code === 0 || compliance.code === 1, `compliance exit ${compliance.code}; stderr: ${compliance.stderr}`);
        assert.equal(compliance.stderr, '');
        const report = JSON.parse(compliance.stdout) as Report;
        const rules = (JSON.parse(summary.stdout) as Summary).rules;
        // Every other plan changes no AWS security-group rule (Azure NSG and GCP firewall
        // rules are not what Portcullis gates): nothing judged, exit 0.
        const expected = EXPECTED[file] ?? { violations: {}, checked: 0 };

        assert.deepEqual(byResource(report.violations), sorted(expected.violations));
        assert.equal(compliance.code, Object.keys(expected.violations).length > 0 ? 1 : 0, 'exit 1 exactly when a policy is violated');
        assert.equal(report.compliant, compliance.code === 0);
        assert.equal(report.checked, expected.checked, 'rules judged');
        const warned = [...new Set(report.warnings.map((w) => w.resource))].sort();
        assert.deepEqual(warned, [...(expected.warnings ?? [])].sort(), 'warnings');
        // An ingress rule reads "from (known after apply)" only where the plan really does
        // not know its source: exactly the resources denied as known-at-plan-time here.
        const unknownSource = [...new Set(rules.filter((r) => r.source === null).map((r) => r.resource))].sort();
        const deniedUnknown = Object.entries(expected.violations).filter(([, p]) => p.includes(KNOWN)).map(([r]) => r).sort();
        assert.deepEqual(unknownSource, deniedUnknown, 'rules with a source (or destination) known only after apply');
      });
    }
  });

  describe('the installed executable', () => {
    // Built as the image builds it, and run with plain node as the pipeline's jobs run it.
    let build: { dir: string; remove(): void } | undefined;
    before(async () => {
      build = await buildCopy();
    });
    after(() => build?.remove());
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, [path.join(build!.dir, 'bin', 'portcullis.js'), ...args]).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );

    test('reads a UTF-16 plan (PowerShell); a state and garbage exit 2 with one line, no stack trace', async () => {
      const utf16 = files.find((f) => readFileSync(path.join(CORPUS, f)).subarray(0, 2).equals(Buffer.from([0xff, 0xfe])));
      assert.ok(utf16, 'a UTF-16 plan in the corpus');
      const state = 'terraform-json__testdata_no_changes_state.json';
      const garbage = 'infracost__cmd_infracost_testdata_plan_with_terraform_wrapper.json';
      const [plan, ...bad] = await Promise.all([utf16, state, garbage].map((f) => run('compliance', '--plan', path.join(CORPUS, f))));
      assert.deepEqual([plan!.code, plan!.stderr], [0, ''], utf16);
      assert.match(plan!.stdout, /^Compliance PASSED/);
      for (const [r, file] of bad.map((r, i) => [r, [state, garbage][i]!] as const)) {
        assert.equal(r.code, 2, file);
        assertOneLineAtMost(r.stderr);
        assert.match(r.stderr, NOT_PLANS[file]!);
      }
    });
  });
}
