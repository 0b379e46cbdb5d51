/**
 * terraform/*.tf checked with a real HCL parser, since no terraform binary runs here: the
 * references resolve, and the names, wiring and attribute shapes of the cross-team
 * contract (the bot, the consistency check and the fake pipeline rely on them) hold.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { conditionalParts, loadTerraformModule, squash, unresolvedReferences } from './hcl-module.ts';
import type { HclBody, TerraformModule } from './hcl-module.ts';

const TERRAFORM_DIR = new URL('../../terraform/', import.meta.url).pathname;

let module: TerraformModule;
before(async () => {
  module = await loadTerraformModule(TERRAFORM_DIR);
});

function resource(address: string): HclBody {
  const body = module.resources.get(address);
  assert.ok(body, `terraform/ declares ${address}`);
  return body;
}

function local(name: string): string {
  const value = module.locals.get(name);
  assert.equal(typeof value, 'string', `local.${name} is an expression`);
  return squash(value as string);
}

test('every variable, local, resource and data source referenced is declared', async () => {
  assert.deepEqual(await unresolvedReferences(module), []);
});

test('every variable says what it is for and has a type', () => {
  assert.ok(module.variables.size > 0);
  for (const [name, body] of module.variables) {
    assert.equal(typeof body.description, 'string', `variable ${name} has a description`);
    assert.ok((body.description as string).length > 10, `variable ${name}'s description says something`);
    assert.ok(body.type, `variable ${name} has a type`);
  }
});

test('state lives in the HTTP backend, configured only by the pipeline', () => {
  const [settings] = module.terraformBlocks;
  assert.ok(settings, 'a terraform block exists');
  assert.deepEqual(settings.backend, { http: [{}] }, 'backend "http" {} with no address or credential in the code');
  assert.match(String(settings.required_version), /^>= ?1\.(6|[7-9]|\d\d)/);
  const [providers] = settings.required_providers as HclBody[];
  const aws = providers?.aws as HclBody | undefined;
  assert.equal(aws?.source, 'hashicorp/aws');
  assert.match(String(aws?.version), /^~> [56]\.\d+$/, 'the AWS provider is pinned to one major version');
});

test('groups.json and every rule file under rules/ feed the for_each of their resources', () => {
  assert.equal(local('groups'), '${jsondecode(file("${local.config_dir}/groups.json"))}');
  const rules = local('rules');
  assert.ok(rules.includes('for file_name in fileset("${local.config_dir}/rules", "*.json")'), rules);
  assert.ok(rules.includes('trimsuffix(file_name, ".json") =>'), 'rules are keyed by file name');
  assert.ok(rules.includes('jsondecode(file("${local.config_dir}/rules/${file_name}"))'), rules);
  // The single environment's files where they always were; a named one's in its own folder.
  assert.equal(local('config_dir'), '${var.environment == null ? path.module : "${path.module}/environments/${var.environment}"}');

  assert.equal(resource('aws_security_group.group').for_each, '${local.groups}');
  assert.equal(resource('aws_vpc_security_group_ingress_rule.rule').for_each, '${local.rules}');
});

test('a security group per key of groups.json, named and tagged by its key', () => {
  const group = resource('aws_security_group.group');
  assert.equal(group.name, '${each.key}');
  assert.equal(group.description, '${each.value.description}');
  assert.deepEqual(group.tags, { Name: '${each.key}', 'portcullis:group': '${each.key}' });
});

test('the ingress rule carries every field of the rule file, as the contract names them', () => {
  const rule = resource('aws_vpc_security_group_ingress_rule.rule');
  assert.equal(rule.security_group_id, '${aws_security_group.group[each.value.group].id}');
  assert.equal(rule.ip_protocol, '${each.value.protocol}');
  assert.equal(rule.description, '${each.value.description}');
  assert.deepEqual(rule.tags, {
    Name: '${each.key}',
    'portcullis:request': '${each.key}',
    'portcullis:group': '${each.value.group}',
    'portcullis:requester': '${each.value.requester}',
    'portcullis:ticket': '${each.value.ticket == null ? "" : each.value.ticket}',
    'portcullis:expires_at': '${each.value.expires_at == null ? "" : each.value.expires_at}',
  });
});

test('ports are null for all protocols ("-1") and passed through otherwise', async () => {
  const rule = resource('aws_vpc_security_group_ingress_rule.rule');
  for (const port of ['from_port', 'to_port']) {
    assert.deepEqual(await conditionalParts(String(rule[port])), {
      condition: 'each.value.protocol == "-1"',
      whenTrue: 'null',
      whenFalse: `each.value.${port}`,
    }, port);
  }
});

test('the source goes to cidr_ipv6 when it contains ":" and to cidr_ipv4 otherwise, never both', async () => {
  const rule = resource('aws_vpc_security_group_ingress_rule.rule');
  const isIpv6 = 'strcontains(each.value.cidr, ":")';
  assert.deepEqual(await conditionalParts(String(rule.cidr_ipv4)), { condition: isIpv6, whenTrue: 'null', whenFalse: 'each.value.cidr' });
  assert.deepEqual(await conditionalParts(String(rule.cidr_ipv6)), { condition: isIpv6, whenTrue: 'each.value.cidr', whenFalse: 'null' });
});

test('a rule file whose name is not its id, or whose group is unknown, stops the plan', () => {
  const [lifecycle] = resource('aws_vpc_security_group_ingress_rule.rule').lifecycle as HclBody[];
  const conditions = ((lifecycle?.precondition ?? []) as HclBody[]).map((p) => squash(String(p.condition)));
  assert.ok(conditions.includes('${each.value.id == each.key}'), conditions.join('\n'));
  assert.ok(conditions.includes('${contains(keys(local.groups), each.value.group)}'), conditions.join('\n'));
});

test('the front instance sits in sg-front with a public address', () => {
  const front = resource('aws_instance.front');
  assert.equal(local('front_group'), 'sg-front');
  assert.deepEqual(front.vpc_security_group_ids, ['${aws_security_group.group[local.front_group].id}']);
  assert.equal(front.associate_public_ip_address, true);
});

test('the outputs the bot reads exist and come from the right resources', () => {
  const value = (name: string) => squash(String(module.outputs.get(name)?.value));
  assert.equal(value('security_group_ids'), '${{ for key, group in aws_security_group.group : key => group.id }}');
  assert.equal(value('front_public_ip'), '${aws_instance.front.public_ip}');
  assert.equal(value('rule_ids'), '${{ for id, rule in aws_vpc_security_group_ingress_rule.rule : id => rule.security_group_rule_id }}');
});

test("a named environment's provider acts only in its account, through its own deploy role", () => {
  const aws = module.providers.get('aws');
  assert.ok(aws, 'provider "aws" is configured');
  assert.equal(squash(String(aws.allowed_account_ids)), '${var.aws_account_id == null ? null : [var.aws_account_id]}');
  const assume = (aws.assume_role as HclBody[] | undefined)?.[0];
  assert.equal(assume?.role_arn, '${var.aws_role_arn}');
  for (const name of ['environment', 'aws_account_id', 'aws_role_arn']) assert.equal(module.variables.get(name)?.default, null, `var.${name} defaults to null: the single environment is unchanged`);
});
