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
  // Every optional field of a rule file has a default, so each.value.<field> always exists.
  const defaults = module.locals.get('rule_defaults') as Record<string, unknown>;
  for (const [field, value] of Object.entries({ direction: 'ingress', cidr: null, peer_group: null, prefix_list: null })) assert.equal(defaults[field], value, field);

  assert.equal(resource('aws_security_group.group').for_each, '${local.created_groups}');
  assert.equal(module.dataSources.get('aws_security_group.existing')?.for_each, '${local.existing_groups}');
  assert.equal(resource('aws_vpc_security_group_ingress_rule.rule').for_each, '${local.ingress_rules}');
  assert.equal(resource('aws_vpc_security_group_egress_rule.rule').for_each, '${local.egress_rules}');
  assert.match(local('ingress_rules'), /if rule\.direction == "ingress"/);
  assert.match(local('egress_rules'), /if rule\.direction != "ingress"/);
});

test('a group with an id or a lookup is found in the VPC, never created; every group id is in local.group_ids', () => {
  assert.match(local('created_groups'), /if try\(group\.id, null\) == null && try\(group\.lookup, null\) == null/);
  assert.match(local('existing_groups'), /if !contains\(keys\(local\.created_groups\), key\)/);
  const existing = module.dataSources.get('aws_security_group.existing');
  assert.ok(existing, 'data "aws_security_group" "existing"');
  assert.equal(existing.id, '${try(each.value.id, null)}');
  assert.equal(existing.name, '${try(each.value.lookup.name, null)}');
  assert.equal(existing.tags, '${try(each.value.lookup.tags, null)}');
  assert.equal(existing.vpc_id, '${data.aws_vpc.selected.id}', 'only a group of the selected VPC is found');
  const ids = local('group_ids');
  assert.ok(ids.includes('for key, group in aws_security_group.group : key => group.id'), ids);
  assert.ok(ids.includes('for key, group in data.aws_security_group.existing : key => group.id'), ids);
  assert.equal(resource('aws_vpc_security_group_egress_rule.all_outbound').for_each, '${aws_security_group.group}', 'the allow-all egress is put back on created groups only');
});

test('a security group per key of groups.json, named and tagged by its key', () => {
  const group = resource('aws_security_group.group');
  assert.equal(group.name, '${each.key}');
  assert.equal(group.description, '${each.value.description}');
  assert.deepEqual(group.tags, { Name: '${each.key}', 'portcullis:group': '${each.key}' });
});

for (const direction of ['ingress', 'egress']) {
  const address = `aws_vpc_security_group_${direction}_rule.rule`;

  test(`the ${direction} rule carries every field of the rule file, as the contract names them`, () => {
    const rule = resource(address);
    assert.equal(rule.security_group_id, '${local.group_ids[each.value.group]}');
    assert.equal(rule.ip_protocol, '${each.value.protocol}');
    assert.equal(rule.description, '${each.value.description == "" ? null : each.value.description}');
    assert.deepEqual(rule.tags, {
      Name: '${each.key}',
      'portcullis:request': '${each.key}',
      'portcullis:group': '${each.value.group}',
      'portcullis:requester': '${each.value.requester}',
      'portcullis:ticket': '${each.value.ticket == null ? "" : each.value.ticket}',
      'portcullis:expires_at': '${each.value.expires_at == null ? "" : each.value.expires_at}',
    });
  });

  test(`${direction}: ports are null for all protocols ("-1") and passed through otherwise`, async () => {
    const rule = resource(address);
    for (const port of ['from_port', 'to_port']) {
      assert.deepEqual(await conditionalParts(String(rule[port])), {
        condition: 'each.value.protocol == "-1"',
        whenTrue: 'null',
        whenFalse: `each.value.${port}`,
      }, port);
    }
  });

  test(`${direction}: the peer is a CIDR by family, a group (key resolved to its id, or an sg- id) or a prefix list`, async () => {
    const rule = resource(address);
    assert.deepEqual(await conditionalParts(String(rule.cidr_ipv4)), { condition: 'try(strcontains(each.value.cidr, ":"), true)', whenTrue: 'null', whenFalse: 'each.value.cidr' });
    assert.deepEqual(await conditionalParts(String(rule.cidr_ipv6)), { condition: 'try(strcontains(each.value.cidr, ":"), false)', whenTrue: 'each.value.cidr', whenFalse: 'null' });
    assert.deepEqual(await conditionalParts(String(rule.referenced_security_group_id)), {
      condition: 'each.value.peer_group == null',
      whenTrue: 'null',
      whenFalse: 'lookup(local.group_ids, each.value.peer_group, each.value.peer_group)',
    });
    assert.equal(rule.prefix_list_id, '${each.value.prefix_list}');
  });

  test(`${direction}: a misnamed file, an unknown group, not exactly one peer or an unknown peer group stops the plan`, () => {
    const [lifecycle] = resource(address).lifecycle as HclBody[];
    const conditions = ((lifecycle?.precondition ?? []) as HclBody[]).map((p) => squash(String(p.condition)));
    assert.ok(conditions.includes('${each.value.id == each.key}'), conditions.join('\n'));
    assert.ok(conditions.includes('${contains(keys(local.groups), each.value.group)}'), conditions.join('\n'));
    assert.ok(conditions.includes('${length(compact([each.value.cidr, each.value.peer_group, each.value.prefix_list])) == 1}'), conditions.join('\n'));
    assert.ok(conditions.some((c) => c.includes('contains(keys(local.group_ids), coalesce(each.value.peer_group, "-"))')), conditions.join('\n'));
  });
}

test('the demo front instance is off by default and sits in sg-front when on', () => {
  const front = resource('aws_instance.front');
  assert.equal(front.count, '${var.demo_front_instance ? 1 : 0}');
  assert.equal(module.variables.get('demo_front_instance')?.default, false);
  assert.equal(local('front_group'), 'sg-front');
  assert.deepEqual(front.vpc_security_group_ids, ['${local.group_ids[local.front_group]}']);
  assert.equal(front.associate_public_ip_address, true);
});

test('the outputs the bot reads exist and come from the right resources', () => {
  const value = (name: string) => squash(String(module.outputs.get(name)?.value));
  assert.equal(value('security_group_ids'), '${local.group_ids}');
  assert.equal(value('front_public_ip'), '${one(aws_instance.front[*].public_ip)}');
  assert.ok(value('rule_ids').includes('for id, rule in aws_vpc_security_group_ingress_rule.rule : id => rule.security_group_rule_id'));
  assert.ok(value('rule_ids').includes('for id, rule in aws_vpc_security_group_egress_rule.rule : id => rule.security_group_rule_id'));
});

test("a named environment's provider acts only in its account, through its own deploy role", () => {
  const aws = module.providers.get('aws');
  assert.ok(aws, 'provider "aws" is configured');
  assert.equal(squash(String(aws.allowed_account_ids)), '${var.aws_account_id == null ? null : [var.aws_account_id]}');
  const assume = (aws.assume_role as HclBody[] | undefined)?.[0];
  assert.equal(assume?.role_arn, '${var.aws_role_arn}');
  for (const name of ['environment', 'aws_account_id', 'aws_role_arn']) assert.equal(module.variables.get(name)?.default, null, `var.${name} defaults to null: the single environment is unchanged`);
});
