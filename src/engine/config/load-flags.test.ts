import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readDaemonJson } from './daemon-json.js';
import { buildDaemonConfig } from './load.js';
import { assertConfigError, assertFileError, loadWith, withTempDir } from './test-helpers.js';
import type { DaemonFlags } from './types.js';

function fromFlags(flags: DaemonFlags, systemdIsPid1 = true) {
  return buildDaemonConfig({ flags, systemdIsPid1, file: undefined });
}

function flagError(flags: DaemonFlags, parts: readonly string[]): void {
  assert.throws(
    () => fromFlags(flags),
    (err: unknown) => {
      assertConfigError(err, parts);
      return true;
    },
  );
}

describe('loadDaemonConfig: flags and the file', () => {
  it('ignores a missing file at the default path', async () => {
    await withTempDir(async (dir) => {
      assert.equal(await readDaemonJson(join(dir, 'daemon.json'), false), undefined);
    });
  });

  it('merges flags with the directives of the file', async () => {
    const config = await loadWith(
      { debug: true, labels: ['a=1'] },
      { dataRoot: '/srv/b', registryMirrors: ['https://m.example'] },
    );
    assert.equal(config.debug, true);
    assert.equal(config.dataRoot, '/srv/b');
    assert.deepEqual(config.registryMirrors, ['https://m.example/']);
    assert.deepEqual(config.sources, {
      debug: 'file',
      labels: 'file',
      'data-root': 'flag',
      'registry-mirrors': 'flag',
    });
  });

  it('refuses a directive set both ways, with both values, like dockerd', async () => {
    await assertFileError(
      { 'data-root': '/y' },
      [
        'the following directives are specified both as a flag and in the configuration file: data-root: (from flag: /x, from file: /y)',
      ],
      { dataRoot: '/x' },
    );
  });

  it('counts list and map flags as conflicts too, listing them all', async () => {
    await assertFileError(
      { hosts: ['unix:///a.sock'], 'log-opts': { 'max-size': '1m' }, debug: false },
      [
        'hosts: (from flag: [unix:///b.sock fd://], from file: [unix:///a.sock])',
        'log-opts: (from flag: map[max-file:2 max-size:2m], from file: map[max-size:1m])',
        'debug: (from flag: true, from file: false)',
      ],
      { hosts: ['unix:///b.sock', 'fd://'], logOpts: ['max-size=2m', 'max-file=2'], debug: true },
    );
  });

  it('checks every flag that has a directive for conflicts', async () => {
    const pairs: [DaemonFlags, Record<string, unknown>][] = [
      [{ execRoot: '/a' }, { 'exec-root': '/b' }],
      [{ pidfile: '/a' }, { pidfile: '/b' }],
      [{ logLevel: 'info' }, { 'log-level': 'debug' }],
      [{ tls: false }, { tls: false }],
      [{ bip: '10.1.0.1/16' }, { bip: '10.2.0.1/16' }],
      [{ group: 'a' }, { group: 'b' }],
      [{ ipForward: true }, { 'ip-forward': true }],
      [{ iptables: true }, { iptables: false }],
      [{ storageDriver: 'vfs' }, { 'storage-driver': 'overlay2' }],
      [{ defaultRuntime: 'runc' }, { 'default-runtime': 'crun' }],
      [{ liveRestore: true }, { 'live-restore': true }],
      [{ insecureRegistries: ['a.local'] }, { 'insecure-registries': ['b.local'] }],
      [{ execOpts: ['native.cgroupdriver=cgroupfs'] }, { 'exec-opts': [] }],
      [{ logDriver: 'local' }, { 'log-driver': 'json-file' }],
      [{ experimental: true }, { experimental: false }],
      [{ tlsVerify: true, tlsCaCert: '/c', tlsCert: '/a', tlsKey: '/b' }, { tlscacert: '/d' }],
    ];
    for (const [flags, file] of pairs) {
      const key = Object.keys(file)[0] ?? '';
      await assertFileError(
        file,
        ['specified both as a flag and in the configuration file', `${key}: (from flag:`],
        flags,
      );
    }
  });

  it('names the flag when a flag value is invalid', () => {
    flagError({ bip: 'nope' }, ['invalid value for flag --bip', 'bip', 'invalid CIDR']);
    flagError({ logOpts: ['max-size=1q'] }, ['--log-opt', 'log-opts.max-size', 'invalid size']);
    flagError({ hosts: ['udp://x:1'] }, ['--host', 'hosts[0]', "unsupported proto 'udp'"]);
    flagError({ logLevel: 'loud' }, ['--log-level', 'invalid logging level']);
    flagError({ insecureRegistries: ['-x'] }, ['--insecure-registry', 'hyphen']);
    assert.throws(
      () => fromFlags({ execOpts: ['native.cgroupdriver=systemd'] }, false),
      (err: unknown) => {
        assertConfigError(err, ['--exec-opt', 'exec-opts', 'systemd is not running as PID 1']);
        return true;
      },
    );
  });

  it('an empty list flag counts as not given', async () => {
    const config = await loadWith({ hosts: ['unix:///a.sock'] }, { hosts: [] });
    assert.deepEqual(config.hosts, ['unix:///a.sock']);
  });
});

describe('loadDaemonConfig: listening and TLS', () => {
  it('refuses plain TCP without TLS or an explicit opt-out', async () => {
    await assertFileError({ hosts: ['tcp://0.0.0.0:2375'] }, [
      'hosts',
      'tcp://0.0.0.0:2375',
      'listening on TCP without TLS is insecure; use --tlsverify or pass --tls=false explicitly',
    ]);
    flagError({ hosts: ['tcp://0.0.0.0:2375'] }, ['--host', 'without TLS']);
  });

  it('allows plain TCP with --tls=false or the insecure-TCP opt-in', async () => {
    assert.equal(fromFlags({ hosts: ['tcp://127.0.0.1:2375'], tls: false }).insecureTcp, true);
    assert.equal(fromFlags({ hosts: ['tcp://127.0.0.1:2375'], insecureTcp: true }).insecureTcp, true);
    const config = await loadWith({ hosts: ['tcp://127.0.0.1:2375'], tls: false });
    assert.deepEqual([config.tls, config.insecureTcp], [false, true]);
  });

  it('turns TLS on with tlsverify and needs the certificate files', async () => {
    await assertFileError({ tlsverify: true, tlscert: '/c.pem', tlskey: '/k.pem' }, [
      'tlscacert',
      'required',
      'tlsverify',
    ]);
    await assertFileError({ tls: true, tlscacert: '/ca.pem', tlskey: '/k.pem' }, ['tlscert', 'required']);
    await assertFileError({ tls: true, tlsverify: false, tlscert: '/c.pem' }, [
      'tlskey',
      'required when tls is enabled',
    ]);
    const config = await loadWith({
      tlsverify: true,
      tlscacert: '/ca.pem',
      tlscert: '/c.pem',
      tlskey: '/k.pem',
    });
    assert.deepEqual([config.tls, config.tlsVerify], [true, true]);
    assert.deepEqual(config.hosts, ['tcp://localhost:2376']);
  });

  it('verifies clients when TLS is on unless tlsverify is false', () => {
    const files = { tlsCaCert: '/ca.pem', tlsCert: '/c.pem', tlsKey: '/k.pem' };
    assert.equal(fromFlags({ tls: true, ...files }).tlsVerify, true);
    const noVerify = fromFlags({ tlsVerify: false, tlsCert: '/c.pem', tlsKey: '/k.pem' });
    assert.deepEqual([noVerify.tls, noVerify.tlsVerify], [true, false]);
    const tcp = fromFlags({ tlsVerify: true, hosts: ['tcp://0.0.0.0:2376', 'unix://'], ...files });
    assert.deepEqual(tcp.hosts, ['tcp://0.0.0.0:2376', 'unix:///run/berth.sock']);
  });
});
