// terraform/groups.json as Portcullis reads it: the repository's own file, the service
// settings of a group, and a precise refusal (file, group, key) of every malformed field.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { GroupsFileError, normalizeHostName, parseGroupsFile } from '../../src/domain/groups.ts';

const file = (groups: unknown) => JSON.stringify(groups);
const front = (extra: Record<string, unknown>) => file({ 'sg-front': { description: 'web', service_ports: [443], ...extra } });

describe('parseGroupsFile', () => {
  test("accepts the repository's groups.json as it is", async () => {
    const groups = parseGroupsFile(await readFile(new URL('../../terraform/groups.json', import.meta.url), 'utf8'));
    assert.deepEqual([...groups.keys()], ['sg-front', 'sg-backend']);
    assert.deepEqual(groups.get('sg-front'), { description: 'Public web front end', servicePorts: [80, 443], service: {} });
  });

  test('reads a service host name, path and healthy statuses; each is optional', () => {
    const groups = parseGroupsFile(
      file({
        'sg-front': { description: 'web', service_ports: [443], service: { host: 'Shop.Example.com', path: '/healthz?deep=1&x=%20', expect: [200, 204, 204] } },
        'sg-api': { description: 'api', service_ports: [8443], service: { path: '/status' } },
        'sg-old': { description: 'no ports listed' },
      }),
    );
    assert.deepEqual(groups.get('sg-front')?.service, { host: 'shop.example.com', path: '/healthz?deep=1&x=%20', expect: [200, 204] });
    assert.deepEqual(groups.get('sg-api')?.service, { path: '/status' });
    assert.deepEqual(groups.get('sg-old'), { description: 'no ports listed', servicePorts: [], service: {} });
  });

  test('a group made elsewhere is named by id or looked up by name and tags; its description is optional', () => {
    const groups = parseGroupsFile(
      file({
        'sg-db': { id: 'sg-0123456789abcdef0' },
        'sg-app': { lookup: { name: 'app-servers', tags: { team: 'payments' } }, description: 'app tier' },
        'sg-cache': { lookup: { tags: { role: 'cache' } } },
      }),
    );
    assert.deepEqual(groups.get('sg-db'), { description: '', servicePorts: [], service: {}, existing: { id: 'sg-0123456789abcdef0' } });
    assert.deepEqual(groups.get('sg-app')?.existing, { name: 'app-servers', tags: { team: 'payments' } });
    assert.deepEqual(groups.get('sg-cache')?.existing, { tags: { role: 'cache' } });
  });

  const refusals: Array<[string, string, RegExp]> = [
    ['an id that is no group id', front({ id: 'sg-xyz' }), /^groups\.json: group "sg-front": id: "sg-xyz" is not a security group id/],
    ['both id and lookup', front({ id: 'sg-0123456789abcdef0', lookup: { name: 'x' } }), /^groups\.json: group "sg-front": id: give "id" or "lookup", not both$/],
    ['an empty lookup', front({ lookup: {} }), /^groups\.json: group "sg-front": lookup: give a name, tags or both/],
    ['a misspelt lookup key', front({ lookup: { nmae: 'x' } }), /^groups\.json: group "sg-front": lookup\.nmae: unknown key/],
    ['a key that looks like a group id', file({ 'sg-0123abcd': { description: 'x' } }), /\(key\): a group key must not look like a security group id/],
    ['not JSON', '{"sg-front": ', /^groups\.json: not JSON \(/],
    ['a list', '[]', /^groups\.json: expected an object of groups by key/],
    ['a bad group key', file({ 'SG Front': { description: 'x' } }), /^groups\.json: group "SG Front": \(key\): a group key is lower-case/],
    ['a group that is not an object', file({ 'sg-front': 'web' }), /^groups\.json: group "sg-front": \(group\): expected an object/],
    ['an unknown group key', front({ servce: { host: 'shop.example.com' } }), /^groups\.json: group "sg-front": servce: unknown key \(a group has description, id, lookup, service_ports, service\)$/],
    ['no description', file({ 'sg-front': { service_ports: [80] } }), /^groups\.json: group "sg-front": description: required/],
    ['service_ports not a list', front({ service_ports: 443 }), /^groups\.json: group "sg-front": service_ports: expected a list of ports/],
    ['a port out of range', front({ service_ports: [443, 70000] }), /^groups\.json: group "sg-front": service_ports: 70000 is not a port 1-65535$/],
    ['service not an object', front({ service: 'shop.example.com' }), /^groups\.json: group "sg-front": service: expected an object with host, path, expect/],
    ['an unknown service key', front({ service: { hostname: 'shop.example.com' } }), /^groups\.json: group "sg-front": service\.hostname: unknown key \(a service has host, path, expect\)$/],
    ['an IP address as host', front({ service: { host: '203.0.113.5' } }), /^groups\.json: group "sg-front": service\.host: "203\.0\.113\.5" is not a DNS host name/],
    ['a host with a port', front({ service: { host: 'shop.example.com:443' } }), /service\.host: "shop\.example\.com:443" is not a DNS host name/],
    ['a URL as host', front({ service: { host: 'https://shop.example.com' } }), /service\.host: "https:\/\/shop\.example\.com" is not a DNS host name/],
    ['a wildcard host', front({ service: { host: '*.example.com' } }), /service\.host: "\*\.example\.com" is not a DNS host name/],
    ['a single-label host', front({ service: { host: 'localhost' } }), /service\.host: "localhost" is not a DNS host name/],
    ['a host that is not a string', front({ service: { host: 42 } }), /service\.host: 42 is not a DNS host name/],
    ['a path without a leading slash', front({ service: { path: 'healthz' } }), /^groups\.json: group "sg-front": service\.path: "healthz" is not a request path/],
    ['a path with a space', front({ service: { path: '/health check' } }), /service\.path: "\/health check" is not a request path/],
    ['a path with a fragment', front({ service: { path: '/health#x' } }), /service\.path: "\/health#x" is not a request path/],
    ['a path with a broken escape', front({ service: { path: '/a%2' } }), /service\.path: "\/a%2" is not a request path/],
    ['expect not a list', front({ service: { expect: 200 } }), /^groups\.json: group "sg-front": service\.expect: expected a non-empty list of HTTP statuses/],
    ['an empty expect', front({ service: { expect: [] } }), /service\.expect: expected a non-empty list/],
    ['a status out of range', front({ service: { expect: [200, 600] } }), /^groups\.json: group "sg-front": service\.expect: 600 is not an HTTP status 100-599$/],
    ['a status as text', front({ service: { expect: ['200'] } }), /service\.expect: "200" is not an HTTP status/],
  ];
  for (const [what, text, message] of refusals) {
    test(`refuses ${what}, naming file, group and key`, () => {
      assert.throws(() => parseGroupsFile(text, 'groups.json'), (err: unknown) => err instanceof GroupsFileError && message.test(err.message));
    });
  }
});

describe('normalizeHostName', () => {
  test('lower-cases a DNS name and refuses what SNI cannot carry', () => {
    assert.equal(normalizeHostName('API.Example.COM'), 'api.example.com');
    assert.equal(normalizeHostName('a-1.b2.example'), 'a-1.b2.example');
    for (const bad of ['', 'example', '-a.example.com', 'a-.example.com', 'a..example.com', 'example.com.', '10.0.0.1', `${'a'.repeat(64)}.com`, 'ex ample.com', 'shop_1.example.com']) {
      assert.equal(normalizeHostName(bad), null, bad);
    }
  });
});
