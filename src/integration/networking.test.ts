import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chainPrefixOf } from '../engine/network-stores.js';
import { hostAddress, networkTestsUnavailable } from '../network/testing.js';
import { startDaemon, type TestDaemon } from '../testing/daemon.js';
import { bin, dockerCli, fixturesDir, fixturesMissing } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const docker = dockerCli();
const busybox = join(fixturesDir, 'images', 'busybox.docker-archive.tar');

/** A TCP port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '0.0.0.0', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

async function httpGet(port: number): Promise<string> {
  const r = await runCommand('curl', ['-s', '--max-time', '5', `http://127.0.0.1:${port}/`]);
  return r.stdout;
}

/** The page served on `port` once the server is up (httpd starts a moment after `run -d` returns). */
async function firstPage(port: number): Promise<string> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    const page = await httpGet(port);
    if (page) return page;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return '';
}

const HTTPD = 'mkdir -p /www && echo "$PAGE" > /www/index.html && exec httpd -f -p 80 -h /www';

describe('networks and volumes with the real Docker CLI', {
  skip: fixturesMissing || (docker ? await networkTestsUnavailable() : 'no docker CLI on this machine'),
}, () => {
  let daemon: TestDaemon;
  let dir: string;
  const run = (...args: string[]) => runCommand(docker!, ['-H', daemon.host, ...args], { timeoutMs: 60_000 });
  const ok = async (...args: string[]) => {
    const r = await run(...args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  /** What this daemon has on the host: veths on its bridges, container namespaces, its rules, its leases. */
  async function hostState(): Promise<Record<string, number>> {
    const bridges = JSON.parse(
      await ok('network', 'ls', '--format', '{{json .ID}}', '--no-trunc').then(
        (out) => `[${out.trim().split('\n').join(',')}]`,
      ),
    ) as string[];
    let veths = 0;
    for (const id of bridges) {
      const name = (
        await ok('network', 'inspect', id, '--format', '{{index .Options "com.docker.network.bridge.name"}}')
      ).trim();
      const driver = (await ok('network', 'inspect', id, '--format', '{{.Driver}}')).trim();
      if (driver !== 'bridge') continue;
      // A user network's own bridge name is not among its options (as in dockerd).
      const bridge = name && name !== '<no value>' ? name : `br-${id.slice(0, 12)}`;
      const links = await runCommand('ip', ['-o', 'link', 'show', 'master', bridge]);
      veths += links.stdout.split('\n').filter(Boolean).length;
    }
    // Only this daemon's containers: other daemons on the machine make and drop namespaces meanwhile.
    const ours = new Set(
      (
        await ok(
          'events',
          '--since',
          '0',
          '--until',
          String(Math.ceil(Date.now() / 1000)),
          '--filter',
          'type=container',
          '--filter',
          'event=create',
          '--format',
          '{{.Actor.ID}}',
        )
      )
        .split('\n')
        .filter(Boolean),
    );
    const netns = (await runCommand('ip', ['netns', 'list'])).stdout
      .split('\n')
      .filter((l) => l.startsWith('berth-') && ours.has(l.slice('berth-'.length).split(' ')[0]!)).length;
    const saved = (await runCommand('iptables-save', [])).stdout;
    const rules = saved.split('\n').filter((l) => l.includes(chainPrefixOf(daemon.dataRoot))).length;
    const endpointsDir = join(daemon.dataRoot, 'network', 'endpoints');
    let leases = 0;
    for (const net of await readdir(endpointsDir).catch(() => [] as string[]))
      leases += (await readdir(join(endpointsDir, net))).length;
    return { veths, netns, rules, leases };
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-net-'));
    daemon = await startDaemon();
    await ok('load', '-i', busybox);
  });
  after(async () => {
    if (daemon) {
      const all = await run('ps', '-aq');
      for (const id of all.stdout.split('\n').filter(Boolean)) await run('rm', '-f', '-v', id);
      await daemon.stop();
      // After the restart test the daemon runs on a reused dir, which stop() keeps.
      await rm(daemon.dir, { recursive: true, force: true });
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a published port serves from the host, docker port and ps show it', async () => {
    const port = await freePort();
    const id = (
      await ok('run', '-d', '-e', 'PAGE=published', '-p', `${port}:80`, 'busybox', 'sh', '-c', HTTPD)
    ).trim();
    try {
      const page = await firstPage(port);
      assert.equal(page, 'published\n');
      assert.equal(await ok('port', id), `80/tcp -> 0.0.0.0:${port}\n`);
      // Hairpin: another container reaches the published port through the host's address.
      const address = await hostAddress();
      if (address) {
        const viaHost = await ok(
          'run',
          '--rm',
          'busybox',
          'sh',
          '-c',
          `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc ${address} ${port}`,
        );
        assert.match(viaHost, /published/);
      }
      assert.match(
        await ok('ps', '--format', '{{.Ports}}', '--filter', `id=${id}`),
        new RegExp(`0\\.0\\.0\\.0:${port}->80/tcp`),
      );
      const settings = JSON.parse(await ok('inspect', id, '--format', '{{json .NetworkSettings}}'));
      assert.match(settings.IPAddress, /^10\./);
      assert.equal(settings.Networks.bridge.IPAddress, settings.IPAddress);
      assert.equal(settings.Networks.bridge.Gateway, settings.Gateway);
      assert.deepEqual(settings.Ports, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: String(port) }] });
    } finally {
      await run('rm', '-f', id);
    }
    assert.equal(await httpGet(port), '');
  });

  it('containers on a user network find each other by name; the default bridge does not resolve names', async () => {
    await ok('network', 'create', 'app');
    await ok(
      'run',
      '-d',
      '--network',
      'app',
      '--name',
      'db',
      '-e',
      'PAGE=from-db',
      'busybox',
      'sh',
      '-c',
      HTTPD,
    );
    try {
      const fetched = await ok(
        'run',
        '--rm',
        '--network',
        'app',
        'busybox',
        'sh',
        '-c',
        "for i in $(seq 100); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc db 80 && break; sleep 0.2; done",
      );
      assert.match(fetched, /from-db/);
      const dbIp = (
        await ok('inspect', 'db', '--format', '{{.NetworkSettings.Networks.app.IPAddress}}')
      ).trim();
      assert.match(
        await ok('run', '--rm', '--network', 'app', 'busybox', 'nslookup', 'db'),
        new RegExp(`Address: ${dbIp.replaceAll('.', '\\.')}`),
      );
      const onBridge = await run('run', '--rm', 'busybox', 'nslookup', 'db');
      assert.notEqual(onBridge.code, 0);
      const rm409 = await run('network', 'rm', 'app');
      assert.notEqual(rm409.code, 0);
      assert.match(rm409.stderr, /has active endpoints/);
    } finally {
      await run('rm', '-f', 'db');
    }
    await ok('network', 'rm', 'app');
  });

  it('--link on the default bridge: hosts line, variables, a second name, inspect, rm --link; on a user network a private alias', async () => {
    await ok(
      'run',
      '-d',
      '--name',
      'lk-db',
      '-e',
      'PASSWORD=secret',
      '--expose',
      '5432',
      'busybox',
      'sleep',
      '300',
    );
    try {
      const dbIp = (await ok('inspect', 'lk-db', '--format', '{{.NetworkSettings.IPAddress}}')).trim();
      const dbHost = (await ok('inspect', 'lk-db', '--format', '{{.Config.Hostname}}')).trim();
      await ok(
        'create',
        '--name',
        'lk-web',
        '--link',
        'lk-db:db',
        'busybox',
        'sh',
        '-c',
        'cat /etc/hosts; env; ping -c3 -W2 db >/dev/null && echo reached',
      );
      assert.equal(
        (await ok('inspect', 'lk-web', '--format', '{{json .HostConfig.Links}}')).trim(),
        '["/lk-db:/lk-web/db"]',
      );
      await ok('start', 'lk-web');
      assert.equal((await ok('wait', 'lk-web')).trim(), '0');
      const out = await ok('logs', 'lk-web');
      assert.match(out, new RegExp(`^${dbIp.replaceAll('.', '\\.')}\tdb ${dbHost} lk-db$`, 'm'));
      for (const line of [
        `DB_PORT=tcp://${dbIp}:5432`,
        `DB_PORT_5432_TCP_ADDR=${dbIp}`,
        'DB_PORT_5432_TCP_PROTO=tcp',
        'DB_NAME=/lk-web/db',
        'DB_ENV_PASSWORD=secret',
      ])
        assert.ok(out.split('\n').includes(line), `${line} in:\n${out}`);
      // The child has a second name, /lk-web/db: ps --no-trunc lists it, and it finds the container.
      const names = await ok('ps', '--no-trunc', '--filter', 'name=lk-db', '--format', '{{.Names}}');
      assert.equal(names.trim(), 'lk-db,lk-web/db');
      assert.equal((await ok('ps', '--filter', 'name=lk-db', '--format', '{{.Names}}')).trim(), 'lk-db');
      for (const flags of [['--no-trunc'], []]) {
        const args = ['ps', ...flags, '--filter', 'name=lk-db', '--format', '{{.Names}}'];
        const berth = await runCommand(process.execPath, [bin('berth'), '-H', daemon.host, ...args]);
        assert.equal(berth.stdout, await ok(...args), `berth ${args.join(' ')}`);
      }
      assert.equal((await ok('inspect', '-f', '{{.Name}}', 'lk-web/db')).trim(), '/lk-db');
      // A running parent's /etc/hosts follows the child to the address it gets when it starts again.
      await ok('run', '-d', '--name', 'lk-app', '--link', 'lk-db:db', 'busybox', 'sleep', '300');
      await ok('restart', '-t', '0', 'lk-db');
      const movedIp = (await ok('inspect', 'lk-db', '--format', '{{.NetworkSettings.IPAddress}}')).trim();
      const hosts = await ok('exec', 'lk-app', 'cat', '/etc/hosts');
      assert.match(hosts, new RegExp(`^${movedIp.replaceAll('.', '\\.')}\tdb `, 'm'));
      await ok('rm', '-f', 'lk-app');
      const hostMode = await run('run', '--rm', '--network', 'host', '--link', 'lk-db:x', 'busybox', 'true');
      assert.match(hostMode.stderr, /conflicting options: host type networking can't be used with links/);
      // A parent whose child is down does not start; a link to nothing is refused at create.
      await ok('stop', '-t', '0', 'lk-db');
      const down = await run('start', 'lk-web');
      assert.notEqual(down.code, 0);
      assert.match(down.stderr, /Cannot link to a non running container: \/lk-db AS \/lk-web\/db/);
      const missing = await run('run', '--link', 'lk-none:x', 'busybox');
      assert.equal(missing.code, 125);
      assert.match(missing.stderr, /could not get container for lk-none/);
      // rm --link drops the link; both containers stay.
      const refused = await run('rm', '--link', 'lk-web');
      assert.match(refused.stderr, /Conflict, cannot remove the default link name of the container/);
      await ok('rm', '--link', '/lk-web/db');
      assert.equal((await ok('inspect', 'lk-web', '--format', '{{json .HostConfig.Links}}')).trim(), 'null');
      assert.equal((await ok('ps', '-a', '-q', '--filter', 'name=lk-db')).trim().length, 12);
      await ok('start', 'lk-db');
      // On a user network a link is an alias only the linking container resolves.
      await ok('network', 'create', 'lk-net');
      await ok('network', 'connect', 'lk-net', 'lk-db');
      const netIp = (
        await ok('inspect', 'lk-db', '--format', '{{(index .NetworkSettings.Networks "lk-net").IPAddress}}')
      ).trim();
      const viaAlias = await ok(
        'run',
        '--rm',
        '--network',
        'lk-net',
        '--link',
        'lk-db:store',
        'busybox',
        'nslookup',
        'store',
      );
      assert.match(viaAlias, new RegExp(`Address: ${netIp.replaceAll('.', '\\.')}`));
      const other = await run('run', '--rm', '--network', 'lk-net', 'busybox', 'nslookup', 'store');
      assert.notEqual(other.code, 0);
    } finally {
      await run('rm', '-f', 'lk-web', 'lk-db', 'lk-app');
      await run('network', 'rm', 'lk-net');
    }
  });

  it('20 run-and-remove cycles leave links, namespaces, rules and leases as they were', async () => {
    const port = await freePort();
    const before = await hostState();
    for (let i = 0; i < 20; i++) await ok('run', '--rm', '-p', `${port}:80`, 'busybox', 'true');
    assert.deepEqual(await hostState(), before);
  });

  it('volume and network events carry what dockerd says, in its order', async () => {
    const since = new Date().toISOString();
    const net = `evnet-${process.pid}`;
    const vol = `evvol-${process.pid}`;
    await ok('network', 'create', net);
    await ok('volume', 'create', vol);
    const id = (await ok('run', '-d', '-v', `${vol}:/data:ro`, '--network', net, 'busybox', 'true')).trim();
    await ok('wait', id);
    await ok('rm', id);
    await ok('volume', 'rm', vol);
    await ok('network', 'rm', net);
    const until = new Date(Date.now() + 1000).toISOString();
    const out = await ok('events', '--since', since, '--until', until, '--format', '{{json .}}');
    type Ev = { Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> } };
    const events = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Ev)
      .filter((e) => e.Type !== 'container' || e.Actor.ID === id);
    const netId = (events.find((e) => e.Type === 'network') as Ev).Actor.ID;
    const show = (e: Ev) => `${e.Type} ${e.Action}`;
    assert.deepEqual(events.map(show), [
      'network create',
      'volume create',
      'volume create', // again when the container names it, as dockerd does
      'container create',
      'network connect',
      'volume mount',
      'container start',
      'container die',
      'network disconnect',
      'volume unmount',
      'container destroy',
      'volume destroy',
      'network destroy',
    ]);
    const attrs = (action: string, type: string) =>
      events.find((e) => e.Action === action && e.Type === type)!.Actor;
    assert.deepEqual(attrs('connect', 'network'), {
      ID: netId,
      Attributes: { container: id, name: net, type: 'bridge' },
    });
    assert.deepEqual(attrs('disconnect', 'network').Attributes, { container: id, name: net, type: 'bridge' });
    assert.deepEqual(attrs('mount', 'volume'), {
      ID: vol,
      Attributes: {
        container: id,
        destination: '/data',
        driver: 'local',
        propagation: '',
        'read/write': 'false',
      },
    });
    assert.deepEqual(attrs('unmount', 'volume').Attributes, { container: id, driver: 'local' });
    assert.deepEqual(attrs('destroy', 'volume'), { ID: vol, Attributes: { driver: 'local' } });
    assert.deepEqual(attrs('destroy', 'network').Attributes, { name: net, type: 'bridge' });
  });

  it('a named volume keeps data across containers; a read-only bind refuses writes', async () => {
    await ok('run', '--rm', '-v', 'keep:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f');
    assert.equal(await ok('run', '--rm', '-v', 'keep:/data', 'busybox', 'cat', '/data/f'), 'kept\n');
    const holder = (await ok('run', '-d', '-v', 'keep:/data', 'busybox', 'sleep', '60')).trim();
    const inUse = await run('volume', 'rm', 'keep');
    assert.match(inUse.stderr, /volume is in use/);
    await ok('rm', '-f', holder);
    await ok('volume', 'rm', 'keep');
    const host = join(dir, 'ro');
    await rm(host, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(host));
    await writeFile(join(host, 'a'), 'x');
    const write = await run('run', '--rm', '-v', `${host}:/ro:ro`, 'busybox', 'sh', '-c', 'echo y > /ro/a');
    assert.notEqual(write.code, 0);
    assert.match(write.stderr, /Read-only file system/);
  });

  it('an internal network keeps its containers in: no way out, but they reach each other', async () => {
    await ok('network', 'create', '--internal', 'sealed');
    const peer = (
      await ok('run', '-d', '--network', 'sealed', '--name', 'inside', 'busybox', 'sleep', '60')
    ).trim();
    try {
      const gateway = (
        await ok('network', 'inspect', 'bridge', '--format', '{{(index .IPAM.Config 0).Gateway}}')
      ).trim();
      const out = await run(
        'run',
        '--rm',
        '--network',
        'sealed',
        'busybox',
        'ping',
        '-c',
        '1',
        '-W',
        '1',
        gateway,
      );
      assert.notEqual(out.code, 0, 'the default bridge gateway is out of reach');
      await ok('run', '--rm', '--network', 'sealed', 'busybox', 'ping', '-c', '1', '-W', '2', 'inside');
    } finally {
      await run('rm', '-f', peer);
      await run('network', 'rm', 'sealed');
    }
  });

  it('host, none and container:<name> modes, and --dns/--add-host/--hostname/--mac-address in the files', async () => {
    const host = await ok('run', '--rm', '--network', 'host', 'busybox', 'cat', '/etc/hostname');
    assert.equal(host, `${(await import('node:os')).hostname()}\n`);
    assert.doesNotMatch(await ok('run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link'), /eth0/);
    const base = (await ok('run', '-d', 'busybox', 'sleep', '60')).trim();
    try {
      const ip = (await ok('inspect', base, '--format', '{{.NetworkSettings.IPAddress}}')).trim();
      const joined = await ok(
        'run',
        '--rm',
        '--network',
        `container:${base}`,
        'busybox',
        'ip',
        '-o',
        '-4',
        'addr',
        'show',
        'eth0',
      );
      assert.match(joined, new RegExp(`inet ${ip.replaceAll('.', '\\.')}/`));
    } finally {
      await run('rm', '-f', base);
    }
    const files = await ok(
      'run',
      '--rm',
      '--dns',
      '192.0.2.53',
      '--dns-search',
      'example.test',
      '--dns-option',
      'ndots:2',
      '--add-host',
      'gw.test:192.0.2.1',
      '--hostname',
      'box',
      '--mac-address',
      '02:42:aa:bb:cc:dd',
      'busybox',
      'sh',
      '-c',
      'cat /etc/resolv.conf /etc/hosts /etc/hostname; cat /sys/class/net/eth0/address',
    );
    assert.match(files, /nameserver 192\.0\.2\.53\nsearch example\.test\noptions ndots:2/);
    assert.match(files, /192\.0\.2\.1\tgw\.test/);
    assert.match(files, /\tbox\nbox\n02:42:aa:bb:cc:dd\n$/);
  });

  it('connect and disconnect a running container, -P and ps filters', async () => {
    await ok('network', 'create', 'side');
    const id = (await ok('run', '-d', '--expose', '80', '-P', 'busybox', 'sleep', '60')).trim();
    try {
      assert.match(await ok('port', id, '80'), /^0\.0\.0\.0:\d+\n$/);
      assert.equal((await ok('ps', '-q', '--no-trunc', '--filter', 'publish=80')).trim(), id);
      await ok('network', 'connect', '--alias', 'extra', 'side', id);
      const found = await ok('run', '--rm', '--network', 'side', 'busybox', 'nslookup', 'extra');
      const sideIp = (
        await ok('inspect', id, '--format', '{{.NetworkSettings.Networks.side.IPAddress}}')
      ).trim();
      assert.match(found, new RegExp(`Address: ${sideIp.replaceAll('.', '\\.')}`));
      assert.equal((await ok('ps', '-q', '--no-trunc', '--filter', 'network=side')).trim(), id);
      await ok('network', 'disconnect', 'side', id);
      assert.equal((await ok('network', 'inspect', 'side', '--format', '{{len .Containers}}')).trim(), '0');
    } finally {
      await run('rm', '-f', id);
      await run('network', 'rm', 'side');
    }
  });

  it('a berthd restarted after kill -9 re-creates the rules of running containers', async () => {
    const port = await freePort();
    const id = (
      await ok('run', '-d', '-e', 'PAGE=again', '-p', `${port}:80`, 'busybox', 'sh', '-c', HTTPD)
    ).trim();
    try {
      const page = await firstPage(port);
      assert.equal(page, 'again\n');
      daemon.process.kill('SIGKILL');
      await new Promise((resolve) => daemon.process.once('exit', resolve));
      // What a crash may leave half done: the rules gone.
      await runCommand('iptables', ['-t', 'nat', '-F', `${chainPrefixOf(daemon.dataRoot)}-DNAT`]);
      daemon = await startDaemon({ dir: daemon.dir });
      assert.equal(await httpGet(port), 'again\n');
    } finally {
      await run('rm', '-f', id);
    }
    assert.equal((await hostState()).leases, 0);
  });
});

describe('berthd -b none', {
  skip: fixturesMissing || (docker ? await networkTestsUnavailable() : 'no docker CLI on this machine'),
}, () => {
  it('has no default bridge: containers get loopback only unless they name a network', async () => {
    const daemon = await startDaemon({ args: ['-b', 'none'] });
    try {
      const cli = (...args: string[]) =>
        runCommand(docker!, ['-H', daemon.host, ...args], { timeoutMs: 60_000 });
      assert.equal((await cli('load', '-i', busybox)).code, 0);
      assert.doesNotMatch((await cli('network', 'ls')).stdout, / bridge /);
      const links = await cli('run', '--rm', 'busybox', 'ip', '-o', 'link');
      assert.equal(links.code, 0, links.stderr);
      assert.doesNotMatch(links.stdout, /eth0/);
      assert.equal((await cli('network', 'create', 'own')).code, 0);
      assert.match(
        (await cli('run', '--rm', '--network', 'own', 'busybox', 'ip', '-o', 'link')).stdout,
        /eth0/,
      );
    } finally {
      await daemon.stop();
    }
  });
});
