import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conditionalParts, loadTerraformModule, unresolvedReferences } from './hcl-module.ts';

const BROKEN = new URL('./fixtures/broken-module/', import.meta.url).pathname;

test('the reference check names every dangling reference and nothing that resolves', async () => {
  const module = await loadTerraformModule(BROKEN);
  assert.deepEqual((await unresolvedReferences(module)).sort(), [
    'main.tf locals.dangling: var.undeclared is not declared',
    'main.tf output.by_key.description: var.undeclared_in_template is not declared',
    'main.tf output.by_key.value: local.gone is not defined',
    'main.tf resource.aws_vpc_security_group_ingress_rule.rule.cidr_ipv4: data.aws_vpc.other is not declared',
    'main.tf resource.aws_vpc_security_group_ingress_rule.rule.description: module.net is not declared',
    'main.tf resource.aws_vpc_security_group_ingress_rule.rule.for_each: local.missing is not defined',
    'main.tf resource.aws_vpc_security_group_ingress_rule.rule.security_group_id: aws_security_group.nope is not declared',
  ]);
});

test('the module model lists declarations by their Terraform address', async () => {
  const module = await loadTerraformModule(BROKEN);
  assert.deepEqual([...module.variables.keys()], ['declared']);
  assert.deepEqual([...module.locals.keys()].sort(), ['dangling', 'fine']);
  assert.deepEqual([...module.resources.keys()], ['aws_security_group.group', 'aws_vpc_security_group_ingress_rule.rule']);
  assert.deepEqual([...module.dataSources.keys()], ['aws_vpc.selected']);
});

test('conditionalParts splits a conditional and refuses anything else', async () => {
  assert.deepEqual(await conditionalParts('${each.value.protocol == "-1"   ? null : each.value.from_port}'), {
    condition: 'each.value.protocol == "-1"',
    whenTrue: 'null',
    whenFalse: 'each.value.from_port',
  });
  assert.equal(await conditionalParts('${each.value.from_port}'), null);
  assert.equal(await conditionalParts('${var.a}-${var.b}'), null);
  assert.equal(await conditionalParts('443'), null);
});
