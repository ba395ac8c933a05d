import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BerthError, ErrorKind } from '../../core/errors.js';
import { buildDaemonConfig, loadDaemonConfig } from './load.js';
import { assertConfigError, assertFileError, loadWith, withTempDir } from './test-helpers.js';

describe('loadDaemonConfig: the file', () => {
  it('uses dockerd defaults with berth paths when no file exists', () => {
    const config = buildDaemonConfig({ flags: {}, systemdIsPid1: false, file: undefined });
    assert.equal(config.configFile, undefined);
    assert.equal(config.dataRoot, '/var/lib/berth');
    assert.equal(config.execRoot, '/run/berth');
    assert.equal(config.pidfile, '/run/berth.pid');
    assert.deepEqual(config.hosts, ['unix:///run/berth.sock']);
    assert.equal(config.logDriver, 'json-file');
    assert.equal(config.cgroupDriver, 'cgroupfs');
    assert.equal(config.storageDriver, 'overlay2');
    assert.equal(config.ipForward, true);
    assert.equal(config.iptables, true);
    assert.equal(config.mtu, 1500);
    assert.equal(config.maxConcurrentDownloads, 3);
    assert.equal(config.maxConcurrentUploads, 5);
    assert.equal(config.shutdownTimeout, 15);
    assert.equal(config.defaultShmSize, 64 * 1024 * 1024);
    assert.equal(config.group, 'berth');
    assert.equal(config.liveRestore, false);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.defaultRuntime, 'runc');
    assert.deepEqual(config.sources, {});
  });

  it('fails when the file named by --config-file is missing', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'missing.json');
      const err = await loadDaemonConfig({ flags: { configFile: path }, systemdIsPid1: true }).catch(
        (e) => e,
      );
      assertConfigError(err, [
        `unable to configure the daemon with file ${path}: open ${path}: no such file or directory`,
      ]);
    });
  });

  it('fails when the file is a directory', async () => {
    await withTempDir(async (dir) => {
      const err = await loadDaemonConfig({ flags: { configFile: dir }, systemdIsPid1: true }).catch((e) => e);
      assertConfigError(err, [dir, 'is a directory']);
    });
  });

  it('reads every modelled directive by its dockerd key', async () => {
    const config = await loadWith({
      'data-root': '/srv/berth',
      'exec-root': '/run/b',
      pidfile: '/run/b.pid',
      hosts: ['unix:///run/b.sock', 'fd://'],
      debug: true,
      'log-level': 'WARN',
      'exec-opts': ['native.cgroupdriver=systemd'],
      'log-driver': 'local',
      'log-opts': { 'max-size': '10m', 'max-file': '3' },
      'insecure-registries': ['http://registry.local:5000', '10.0.0.0/8'],
      'registry-mirrors': ['https://mirror.example.com'],
      'default-runtime': 'fast',
      runtimes: { fast: { path: '/usr/bin/fast', runtimeArgs: ['--debug'] } },
      bip: '192.168.50.1/24',
      'default-address-pools': [{ base: '10.10.0.0/16', size: 24 }],
      dns: ['1.1.1.1', '2606:4700:4700::1111'],
      'dns-search': ['example.com'],
      'dns-opts': ['ndots:2'],
      'live-restore': true,
      'storage-driver': 'vfs',
      'storage-opts': ['size=10G'],
      'userns-remap': 'default',
      'ip-forward': false,
      iptables: false,
      ip6tables: false,
      ipv6: true,
      mtu: 9000,
      labels: ['env=prod'],
      experimental: true,
      'max-concurrent-downloads': 6,
      'max-concurrent-uploads': 2,
      'max-download-attempts': 9,
      'shutdown-timeout': 30,
      'default-ulimits': { nofile: { Name: 'nofile', Soft: 1024, Hard: 4096 } },
      'default-shm-size': '128M',
      init: true,
      'init-path': '/usr/libexec/berth-init',
      'no-new-privileges': true,
      'seccomp-profile': 'unconfined',
      group: 'docker',
      features: { 'containerd-snapshotter': true },
      icc: true,
      'default-cgroupns-mode': 'host',
      proxies: { 'http-proxy': 'http://proxy:3128' },
    });
    assert.equal(config.dataRoot, '/srv/berth');
    assert.equal(config.execRoot, '/run/b');
    assert.equal(config.pidfile, '/run/b.pid');
    assert.deepEqual(config.hosts, ['fd://', 'unix:///run/b.sock']);
    assert.equal(config.debug, true);
    assert.equal(config.logLevel, 'warn');
    assert.equal(config.cgroupDriver, 'systemd');
    assert.equal(config.logDriver, 'local');
    assert.deepEqual(config.logOpts, { 'max-size': '10m', 'max-file': '3' });
    assert.deepEqual(config.insecureRegistries, ['registry.local:5000', '10.0.0.0/8']);
    assert.deepEqual(config.registryMirrors, ['https://mirror.example.com/']);
    assert.equal(config.defaultRuntime, 'fast');
    assert.deepEqual(config.runtimes, { fast: { path: '/usr/bin/fast', runtimeArgs: ['--debug'] } });
    assert.equal(config.bip, '192.168.50.1/24');
    assert.deepEqual(config.defaultAddressPools, [{ base: '10.10.0.0/16', size: 24 }]);
    assert.deepEqual(config.dns, ['1.1.1.1', '2606:4700:4700::1111']);
    assert.deepEqual([config.dnsSearch, config.dnsOpts], [['example.com'], ['ndots:2']]);
    assert.deepEqual(
      [config.liveRestore, config.storageDriver, config.storageOpts],
      [true, 'vfs', ['size=10G']],
    );
    assert.equal(config.usernsRemap, 'default');
    assert.deepEqual(
      [config.ipForward, config.iptables, config.ip6tables, config.ipv6],
      [false, false, false, true],
    );
    assert.deepEqual([config.mtu, config.labels, config.experimental], [9000, ['env=prod'], true]);
    assert.deepEqual(
      [config.maxConcurrentDownloads, config.maxConcurrentUploads, config.maxDownloadAttempts],
      [6, 2, 9],
    );
    assert.equal(config.shutdownTimeout, 30);
    assert.deepEqual(config.defaultUlimits, { nofile: { name: 'nofile', soft: 1024, hard: 4096 } });
    assert.equal(config.defaultShmSize, 128 * 1024 * 1024);
    assert.deepEqual(
      [config.init, config.initPath, config.noNewPrivileges],
      [true, '/usr/libexec/berth-init', true],
    );
    assert.deepEqual([config.seccompProfile, config.group], ['unconfined', 'docker']);
    assert.deepEqual(config.features, { 'containerd-snapshotter': true });
    assert.deepEqual(config.extraOptions, {
      icc: true,
      'default-cgroupns-mode': 'host',
      proxies: { 'http-proxy': 'http://proxy:3128' },
    });
    assert.equal(config.sources['data-root'], 'file');
    assert.equal(config.sources['icc'], 'file');
  });

  it('reports a JSON syntax error with line and column', async () => {
    await assertFileError('{\n  "debug": true\n  "hosts": []\n}\n', ['invalid JSON at line 3, column 3']);
  });

  it('treats an empty file as no settings', async () => {
    const config = await loadWith('');
    assert.equal(config.dataRoot, '/var/lib/berth');
  });

  it('lists every unknown directive, like dockerd', async () => {
    await assertFileError({ foo: 1, debug: true, 'data-rooot': '/x' }, [
      "the following directives don't match any configuration option: data-rooot, foo",
    ]);
  });

  it('rejects flag-only names and berthd internals as directives', async () => {
    await assertFileError({ 'config-file': '/x' }, ['config-file']);
    await assertFileError({ insecureTcp: true }, ['insecureTcp']);
    await assertFileError({ constructor: {} }, ['constructor']);
  });

  it('names the key, the expected type and what it got', async () => {
    const err = await assertFileError({ debug: 'yes' }, ['debug', 'boolean', 'string "yes"']);
    assert.equal(err.kind, ErrorKind.InvalidArgument);
    await assertFileError({ hosts: 'unix:///x' }, ['hosts', 'expected an array', 'string']);
    await assertFileError({ mtu: 1.5 }, ['mtu', 'integer', 'number 1.5']);
    await assertFileError({ 'log-opts': { 'max-file': 3 } }, [
      'log-opts.max-file',
      'expected a string',
      'number 3',
    ]);
    await assertFileError({ dns: ['1.1.1.1', 8] }, ['dns[1]', 'expected a string']);
    await assertFileError({ 'default-shm-size': 67108864 }, ['default-shm-size', 'expected a string']);
    await assertFileError({ proxies: { 'ftp-proxy': 'x' } }, ['proxies.ftp-proxy', 'unknown field']);
  });

  it('leaves a directive set to null at its default, as Go does', async () => {
    const config = await loadWith({ debug: null, 'data-root': null });
    assert.equal(config.debug, false);
    assert.equal(config.dataRoot, '/var/lib/berth');
  });

  it('requires absolute daemon paths', async () => {
    await assertFileError({ 'data-root': 'var/lib/berth' }, ['data-root', 'absolute path']);
  });

  it('is a BerthError even for unreadable input', async () => {
    const err = await loadWith(Buffer.from([0xc3, 0x28])).catch((e) => e);
    assert.ok(err instanceof BerthError);
  });
});
