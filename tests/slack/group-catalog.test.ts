// The group catalog the bot reads terraform/groups.json through: service settings as the
// service checks need them, and a malformed file refused whole, naming group and key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VcsPort } from '../../src/core/ports.ts';
import { GroupsFileError } from '../../src/domain/groups.ts';
import { GroupCatalog } from '../../src/slack/sg-request/groups.ts';

/** A VcsPort that only serves groups.json on main (the catalog calls nothing else). */
function vcsWith(text: string | null): VcsPort {
  return { defaultBranch: async () => 'main', readFile: async (_ref: string, path: string) => (path === 'terraform/groups.json' ? text : null) } as unknown as VcsPort;
}

test('reads each group’s service ports and service settings from the default branch', async () => {
  const text = JSON.stringify({
    'sg-front': { description: 'web', service_ports: [80, 443], service: { host: 'shop.example.com', path: '/healthz', expect: [200] } },
    'sg-backend': { description: 'internal', service_ports: [] },
  });
  const catalog = new GroupCatalog(vcsWith(text), () => new Date());
  assert.deepEqual(await catalog.current(), ['sg-backend', 'sg-front']);
  assert.deepEqual((await catalog.details()).get('sg-front'), {
    description: 'web',
    servicePorts: [80, 443],
    service: { host: 'shop.example.com', path: '/healthz', expect: [200] },
  });
});

test('refuses a malformed groups.json whole rather than dropping what it cannot read', async () => {
  const text = JSON.stringify({ 'sg-front': { description: 'web', service_ports: [443], service: { host: 'shop.example.com', expect: 200 } } });
  const catalog = new GroupCatalog(vcsWith(text), () => new Date());
  await assert.rejects(catalog.details(), (err: unknown) =>
    err instanceof GroupsFileError && /^terraform\/groups\.json on main: group "sg-front": service\.expect: expected a non-empty list/.test(err.message));
  await assert.rejects(new GroupCatalog(vcsWith(null), () => new Date()).current(), /terraform\/groups\.json on main: the file does not exist/);
});
