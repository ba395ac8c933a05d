import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isKind } from '../core/errors.js';
import { readHostResolvConf } from './dns/resolv-conf.js';
import { numberToIp, parseSubnet } from './ipv4.js';
import { bringUpLoopback } from './loopback.js';
import { NetworkManager } from './manager.js';
import { runChecked } from './process.js';
import { freeSubnet, hostAddress, NetnsPool, networkTestsUnavailable, uniqueSuffix } from './testing.js';
import type { Endpoint } from './types.js';

const skip = await networkTestsUnavailable();
const BRIDGE_NAME = 'com.docker.network.bridge.name';

/** The n-th address of a subnet ("10.1.2.0/24", 1 → "10.1.2.1"). */
function nth(subnet: string, n: number): string {
  return numberToIp(parseSubnet(subnet).address + n);
}

describe('bridge networks on real namespaces and CNI plugins', { skip }, () => {
  const id = uniqueSuffix();
  const pool = new NetnsPool(`bt${id}`);
  const subnets: string[] = [];
  let dir = '';
  let manager: NetworkManager;
  let netA: string;
  let netB: string;
  let netInternal: string;
  const endpoints = new Map<string, Endpoint>();

  /** Makes a namespace and attaches it to a network under the same label. */
  async function container(
    label: string,
    network: string,
    extra: { aliases?: string[]; ports?: boolean } = {},
  ) {
    const netnsPath = await pool.create(label);
    const endpoint = await manager.attach(network, {
      containerId: `${id}${label}`.padEnd(64, '0'),
      containerName: `${label}-${id}`,
      aliases: extra.aliases,
      netnsPath,
      portMappings: extra.ports ? [{ containerPort: 80, protocol: 'tcp', hostIp: '', hostPort: 0 }] : [],
    });
    endpoints.set(label, endpoint);
    return endpoint;
  }

  const ping = async (from: string, ip: string) =>
    (await pool.exec(from, ['busybox', 'ping', '-c', '1', '-W', '1', ip])).code === 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-network-'));
    for (let i = 0; i < 5; i++) subnets.push(await freeSubnet(subnets));
    manager = await NetworkManager.open({
      stateDir: dir,
      chainPrefix: `BT${id.toUpperCase()}`,
      defaultBridge: { bridgeName: `bt${id}0`, bip: `${nth(subnets[0] ?? '', 1)}/24` },
    });
    const net = async (name: string, subnet: string, internal = false) =>
      (
        await manager.create({
          name: `bt${id}-${name}`,
          subnet,
          internal,
          options: { [BRIDGE_NAME]: `bt${id}${name}` },
        })
      ).name;
    netA = await net('a', subnets[1] ?? '');
    netB = await net('b', subnets[2] ?? '');
    netInternal = await net('i', subnets[3] ?? '', true);
    await container('a1', netA, { aliases: ['db'] });
    await container('a2', netA);
    await container('b1', netB);
    await container('i1', netInternal);
    await container('i2', netInternal);
    // "outside": a namespace behind a veth of its own, with no route back to
    // the container subnets, so only masqueraded traffic gets an answer.
    const outside = subnets[4] ?? '';
    await pool.create('out');
    await runChecked('ip', [
      'link',
      'add',
      `bt${id}o`,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      `bt${id}-out`,
    ]);
    await runChecked('ip', ['addr', 'add', `${nth(outside, 1)}/24`, 'dev', `bt${id}o`]);
    await runChecked('ip', ['link', 'set', `bt${id}o`, 'up']);
    await pool.exec('out', ['ip', 'addr', 'add', `${nth(outside, 2)}/24`, 'dev', 'eth0']);
    await pool.exec('out', ['ip', 'link', 'set', 'eth0', 'up']);
  });

  after(async () => {
    try {
      await manager?.teardown();
    } finally {
      await pool.removeAll();
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });

  it('lets containers of one network reach each other', async () => {
    assert.ok(await ping('a2', endpoints.get('a1')?.ipAddress ?? ''));
    assert.ok(await ping('i2', endpoints.get('i1')?.ipAddress ?? ''));
  });

  it('brings up a namespace loopback with the CNI loopback plugin', async () => {
    assert.equal(await ping('a1', '127.0.0.1'), false, 'lo starts down');
    await bringUpLoopback(endpoints.get('a1')?.netnsPath ?? '', endpoints.get('a1')?.containerId ?? '');
    assert.ok(await ping('a1', '127.0.0.1'));
  });

  it('isolates networks from each other', async () => {
    assert.equal(await ping('b1', endpoints.get('a1')?.ipAddress ?? ''), false);
    assert.equal(await ping('a1', endpoints.get('b1')?.ipAddress ?? ''), false);
  });

  it('masquerades outbound traffic of a normal network', async () => {
    assert.ok(await ping('a1', nth(subnets[4] ?? '', 2)));
  });

  it('gives an internal network no way out, even with a default route added by hand', async () => {
    const outsideIp = nth(subnets[4] ?? '', 2);
    assert.equal(await ping('i1', outsideIp), false, 'no route');
    await pool.exec('i1', ['ip', 'route', 'add', 'default', 'via', endpoints.get('i1')?.gateway ?? '']);
    assert.equal(await ping('i1', outsideIp), false, 'forwarding dropped');
    assert.equal(await ping('i1', endpoints.get('a1')?.ipAddress ?? ''), false);
  });

  it('connects a container to a second network, resolves names on both, and moves its default route', async () => {
    const first = await container('m1', netA);
    const second = await manager.attach(netB, {
      containerId: first.containerId,
      containerName: 'm1',
      netnsPath: first.netnsPath,
    });
    assert.deepEqual(
      [first.ifName, first.defaultRoute, second.ifName, second.defaultRoute],
      ['eth0', true, 'eth1', false],
    );
    assert.ok(await ping('m1', endpoints.get('b1')?.ipAddress ?? ''));
    const route = async () => (await pool.exec('m1', ['ip', 'route', 'show', 'default'])).stdout;
    assert.match(await route(), new RegExp(`via ${first.gateway} dev eth0`));
    const nslookup = await pool.exec('m1', ['busybox', 'nslookup', `b1-${id}`, first.gateway]);
    assert.match(nslookup.stdout.split('Name:')[1] ?? '', new RegExp(endpoints.get('b1')?.ipAddress ?? '-'));
    await manager.detach(netA, first.containerId);
    assert.match(await route(), new RegExp(`via ${second.gateway} dev eth1`));
    assert.equal(manager.endpointsOfContainer(first.containerId)[0]?.defaultRoute, true);
    await manager.detach(netB, first.containerId);
    endpoints.delete('m1');
  });

  it('refuses a second endpoint of the same container and a taken --ip', async () => {
    const a1 = endpoints.get('a1');
    await assert.rejects(
      manager.attach(netA, { containerId: a1?.containerId ?? '', netnsPath: a1?.netnsPath ?? '' }),
      (err) => isKind(err, 'PermissionDenied'),
    );
    await assert.rejects(
      manager.attach(netA, {
        containerId: 'f'.repeat(64),
        netnsPath: a1?.netnsPath ?? '',
        ip: a1?.ipAddress,
      }),
      (err) => isKind(err, 'PermissionDenied'),
    );
  });

  it('refuses a taken name, an overlapping subnet and a second host network', async () => {
    await assert.rejects(manager.create({ name: netA }), (err) => isKind(err, 'Conflict'));
    await assert.rejects(manager.create({ name: `bt${id}-x`, subnet: subnets[1] }), (err) =>
      isKind(err, 'PermissionDenied'),
    );
    await assert.rejects(manager.create({ name: `bt${id}-h`, driver: 'host' }), (err) =>
      isKind(err, 'PermissionDenied'),
    );
    assert.deepEqual(
      manager.list({ name: [`bt${id}-`] }).map((network) => network.name),
      [netA, netB, netInternal],
    );
  });

  it('refuses to remove a network with endpoints or a predefined one', async () => {
    await assert.rejects(manager.remove(netA), (err) => isKind(err, 'PermissionDenied'));
    await assert.rejects(manager.remove('bridge'), (err) => isKind(err, 'PermissionDenied'));
  });

  it('writes hosts, resolv.conf and hostname for a user network and for the default bridge', async () => {
    const a1 = endpoints.get('a1');
    const files = await manager.writeContainerFiles(join(dir, 'files-a1'), {
      containerId: a1?.containerId ?? '',
      mode: 'bridge',
      hostname: 'a1host',
      extraHosts: ['gw:host-gateway'],
    });
    const hosts = await readFile(files.hostsPath, 'utf8');
    assert.match(hosts, new RegExp(`^${a1?.ipAddress}\\ta1host$`, 'm'));
    assert.match(hosts, new RegExp(`^${nth(subnets[0] ?? '', 1)}\\tgw$`, 'm'));
    assert.equal(
      await readFile(files.resolvConfPath, 'utf8').then((t) => /^nameserver (\S+)$/m.exec(t)?.[1]),
      a1?.gateway,
    );
    assert.equal(await readFile(files.hostnamePath, 'utf8'), 'a1host\n');
    await container('d1', 'bridge');
    const bridgeFiles = await manager.writeContainerFiles(join(dir, 'files-d1'), {
      containerId: endpoints.get('d1')?.containerId ?? '',
      mode: 'bridge',
      hostname: 'd1',
      dns: ['192.0.2.53'],
    });
    assert.match(await readFile(bridgeFiles.resolvConfPath, 'utf8'), /^nameserver 192\.0\.2\.53$/m);
  });

  describe('DNS on the gateway', () => {
    /** The addresses busybox nslookup prints for a name (the server's own address comes before "Name:"). */
    async function lookup(from: string, name: string, server: string): Promise<string[]> {
      const outcome = await pool.exec(from, ['busybox', 'nslookup', '-timeout=2', name, server]);
      const answer = outcome.stdout
        .split(/^Name:/m)
        .slice(1)
        .join('\n');
      return [...answer.matchAll(/^Address(?: \d+)?:\s+(\S+)$/gm)].map((match) => match[1] ?? '');
    }

    it('answers container names, aliases and name.network with the right address', async () => {
      const a1 = endpoints.get('a1');
      const gateway = a1?.gateway ?? '';
      assert.deepEqual(await lookup('a2', `a1-${id}`, gateway), [a1?.ipAddress]);
      assert.deepEqual(await lookup('a2', 'db', gateway), [a1?.ipAddress]);
      assert.deepEqual(await lookup('a2', `a1-${id}.${netA}`, gateway), [a1?.ipAddress]);
      assert.deepEqual(await lookup('a2', a1?.containerId.slice(0, 12) ?? '', gateway), [a1?.ipAddress]);
    });

    it('does not resolve names of other networks, nor for clients of other networks', async () => {
      const gatewayA = endpoints.get('a1')?.gateway ?? '';
      assert.deepEqual(await lookup('a2', `b1-${id}`, gatewayA), []);
      assert.deepEqual(await lookup('b1', `a1-${id}`, gatewayA), []);
    });

    it('resolves names on an internal network but forwards nothing out of it', async () => {
      const i1 = endpoints.get('i1');
      assert.deepEqual(await lookup('i2', `i1-${id}`, i1?.gateway ?? ''), [i1?.ipAddress]);
      const known = await nameTheHostResolves();
      if (known) assert.deepEqual(await lookup('i2', known.name, i1?.gateway ?? ''), []);
    });

    it('has no DNS server on the default bridge', async () => {
      const d1 = endpoints.get('d1') ?? (await container('d1', 'bridge'));
      assert.deepEqual(await lookup('d1', `a1-${id}`, d1.gateway), []);
    });

    it('forwards other names to the host resolvers', async (t) => {
      const known = await nameTheHostResolves();
      if (!known) {
        t.skip('the host resolver answers none of the candidate names (no upstream DNS here)');
        return;
      }
      const answer = await lookup('a2', known.name, endpoints.get('a1')?.gateway ?? '');
      assert.ok(answer.length > 0 && answer.every((ip) => known.addresses.includes(ip)), answer.join(','));
    });
  });

  describe('published ports', () => {
    let port = 0;
    const nc = (ip: string, p: number) => ['busybox', 'nc', '-w', '3', ip, String(p)];
    const request = 'GET / HTTP/1.0\r\n\r\n';
    before(async () => {
      const web = await container('web', netA, { ports: true });
      port = web.ports[0]?.hostPort ?? 0;
      const www = join(dir, 'www');
      await rm(www, { recursive: true, force: true });
      await mkdir(www);
      await writeFile(join(www, 'index.html'), `hello from ${id}\n`);
      pool.start('web', ['busybox', 'httpd', '-f', '-p', '80', '-h', www]);
      await waitFor(async () => (await pool.exec('a2', nc(web.ipAddress, 80), request)).stdout.includes(id));
    });

    it('chooses a free host port when none is given', () => {
      assert.ok(port > 0);
      assert.equal(endpoints.get('web')?.ports[0]?.hostIp, '0.0.0.0');
    });

    it('serves on 127.0.0.1 and on the host address', async () => {
      assert.match(await (await fetch(`http://127.0.0.1:${port}/`)).text(), new RegExp(id));
      const address = await hostAddress();
      assert.ok(address, 'the host has an address');
      assert.match(await (await fetch(`http://${address}:${port}/`)).text(), new RegExp(id));
    });

    it('serves containers of the same and of another network through the host address (hairpin)', async () => {
      const address = (await hostAddress()) ?? '';
      for (const from of ['a2', 'b1', 'web']) {
        const outcome = await pool.exec(from, nc(address, port), request);
        assert.match(outcome.stdout, new RegExp(id), `from ${from}`);
      }
    });

    it('refuses a host port another endpoint holds', async () => {
      const netnsPath = await pool.create('web2');
      await assert.rejects(
        manager.attach(netB, {
          containerId: 'e'.repeat(64),
          netnsPath,
          portMappings: [{ containerPort: 80, protocol: 'tcp', hostIp: '', hostPort: port }],
        }),
        (err) => isKind(err, 'Conflict'),
      );
    });
  });
});

/** A name the host's own resolvers answer, with its addresses, or undefined (no upstream DNS). */
async function nameTheHostResolves(): Promise<{ name: string; addresses: string[] } | undefined> {
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers((await readHostResolvConf()).nameservers);
  for (const name of ['deb.debian.org', 'registry.npmjs.org', 'example.com', 'localhost.localdomain']) {
    const addresses = await resolver.resolve4(name).catch(() => []);
    if (addresses.length > 0) return { name, addresses };
  }
  return undefined;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
