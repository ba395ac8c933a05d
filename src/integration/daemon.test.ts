import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { groupId } from '../engine/listeners.js';
import { startDaemon, type TestDaemon, waitExit } from '../testing/daemon.js';
import { bin, dockerCli } from '../testing/paths.js';
import { runCommand } from '../testing/run.js';

const docker = dockerCli();
const CONFIG = {
  'exec-opts': ['native.cgroupdriver=cgroupfs'],
  'log-driver': 'json-file',
  'log-opts': { 'max-size': '100m' },
  'insecure-registries': ['https://hub.example.test'],
  'registry-mirrors': ['https://mirror.example.test'],
};

/** Sends raw bytes on the API socket and returns whatever comes back before the close. */
function sendRaw(path: string, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(path);
    let reply = '';
    sock.on('data', (d) => {
      reply += d.toString();
    });
    sock.on('error', () => resolve(reply));
    sock.on('close', () => resolve(reply));
    sock.on('connect', () => sock.end(bytes));
    setTimeout(() => sock.destroy(), 3000);
  });
}

describe('berthd with the real Docker CLI', {
  skip: docker ? false : 'no docker CLI on this machine',
}, () => {
  let daemon: TestDaemon;
  const dockerRun = (...args: string[]) => runCommand(docker!, ['-H', daemon.host, ...args]);
  const berth = (...args: string[]) => runCommand(bin('berth'), ['-H', daemon.host, ...args]);

  before(async () => {
    daemon = await startDaemon({ config: CONFIG });
  });
  after(async () => {
    await daemon?.stop();
  });

  it('docker version prints a Server section with the engine and API versions', async () => {
    const r = await dockerRun('version');
    assert.equal(r.code, 0, r.stderr);
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    assert.match(r.stdout, /^Server: Berth Engine$/m);
    assert.match(r.stdout, new RegExp(`^  Version:\\s+${pkg.version}$`, 'm'));
    assert.match(r.stdout, /^ {2}API version:\s+1\.45 \(minimum version 1\.24\)$/m);
    assert.match(r.stdout, /^ API version:\s+1\.45 \(downgraded from 1\.50\)$/m);
  });

  it('docker info shows the daemon.json settings', async () => {
    const r = await dockerRun('info');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ Logging Driver: json-file$/m);
    assert.match(r.stdout, /^ Cgroup Driver: cgroupfs$/m);
    assert.match(r.stdout, /^ Storage Driver: overlay2$/m);
    assert.match(
      r.stdout,
      / Insecure Registries:\n {2}hub\.example\.test\n {2}::1\/128\n {2}127\.0\.0\.0\/8\n/,
    );
    assert.match(r.stdout, / Registry Mirrors:\n {2}https:\/\/mirror\.example\.test\/\n/);
    assert.match(r.stdout, new RegExp(`^ Docker Root Dir: ${daemon.dataRoot}$`, 'm'));
    assert.match(r.stdout, /^ Default Runtime: (runc|crun)$/m);
  });

  it('berth version and berth info print the same server facts as docker', async () => {
    const [dv, bv] = await Promise.all([dockerRun('version'), berth('version')]);
    assert.equal(bv.code, 0, bv.stderr);
    const server = (s: string) =>
      s
        .slice(s.indexOf('\nServer:'))
        .replace(
          /^ Runtimes: (.*)$/m,
          (_m, names: string) => ` Runtimes: ${names.split(' ').sort().join(' ')}`,
        );
    assert.equal(server(bv.stdout), server(dv.stdout));
    const [di, bi] = await Promise.all([dockerRun('info'), berth('info')]);
    assert.equal(bi.code, 0, bi.stderr);
    const withoutTime = (s: string) => server(s).replace(/^ {2}System Time: .*$/m, '');
    assert.equal(withoutTime(bi.stdout), withoutTime(di.stdout));
    assert.equal(bi.stderr, di.stderr, 'the same warnings');
  });

  it('--format renders Go templates against the API objects', async () => {
    const r = await berth('version', '--format', '{{.Server.ApiVersion}}');
    assert.equal(r.stdout, '1.45\n');
    const d = await dockerRun('info', '--format', '{{.LoggingDriver}} {{.CgroupVersion}}');
    const b = await berth('info', '--format', '{{.LoggingDriver}} {{.CgroupVersion}}');
    assert.equal(b.stdout, d.stdout);
  });

  it('errors are JSON with the exact content type, so the CLI prints the message', async () => {
    const r = await dockerRun('events', '--filter', 'nonsense=1', '--until', '0s');
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), "Error response from daemon: invalid filter 'nonsense'");
  });

  it('garbage on the socket leaves the daemon serving', async () => {
    await sendRaw(daemon.socket, Buffer.from('GARBAGE \x00\x01\x02 not http\r\n\r\n'));
    await sendRaw(daemon.socket, Buffer.alloc(70_000, 0x41));
    await sendRaw(daemon.socket, Buffer.from('GET /_ping HTTP/1.1\r\nContent-Length: -5\r\n\r\n'));
    const r = await dockerRun('version', '--format', '{{.Server.Version}}');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(daemon.process.exitCode, null);
  });

  it('the socket is mode 0660, owned by root and the berth group when it exists', async () => {
    const st = await stat(daemon.socket);
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.uid, 0);
    const gid = await groupId('berth');
    assert.equal(st.gid, gid ?? 0);
  });

  it('a second berthd on the same pidfile or socket refuses to start', async () => {
    const second = await startDaemon({ dir: daemon.dir, expectExit: true });
    assert.notEqual(second.process.exitCode, 0);
    assert.match(second.output(), /pid file found, ensure berthd is not running|already listening/);
    const other = await startDaemon({ args: ['-H', daemon.host], expectExit: true });
    await other.stop();
    assert.notEqual(other.process.exitCode, 0);
    assert.match(other.output(), /another daemon is already listening on .*berth\.sock/);
    const r = await dockerRun('version', '--format', '{{.Server.Version}}');
    assert.equal(r.code, 0, 'the first daemon still serves');
  });

  it('SIGHUP reloads the configuration and emits a daemon reload event', async () => {
    // Absolute times: docker reads a duration in --until as that long *ago*. With --since the
    // event is replayed even if the CLI subscribes after the reload.
    const now = Math.floor(Date.now() / 1000);
    const range = ['--since', String(now - 1), '--until', String(now + 10)];
    const events = runCommand(docker!, ['-H', daemon.host, 'events', '--filter', 'type=daemon', ...range]);
    daemon.process.kill('SIGHUP');
    const r = await events;
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /daemon reload [0-9a-f-]{36} \(.*registry-mirrors=\["https:\/\/mirror\.example\.test\/?"\]/,
    );
  });
});

describe('berthd shutdown', () => {
  it('SIGTERM stops cleanly and removes the socket and pidfile', async () => {
    const daemon = await startDaemon();
    try {
      assert.equal(String(await readFile(daemon.pidfile, 'utf8')).trim(), String(daemon.process.pid));
      daemon.process.kill('SIGTERM');
      assert.equal(await waitExit(daemon.process), 0);
      await assert.rejects(stat(daemon.socket), { code: 'ENOENT' });
      await assert.rejects(stat(daemon.pidfile), { code: 'ENOENT' });
    } finally {
      await daemon.stop();
    }
  });
});
