import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertFileError, loadWith } from './test-helpers.js';

describe('loadDaemonConfig: log-opts', () => {
  it('accepts the sizes json-file accepts', async () => {
    for (const size of ['10k', '100m', '1g', '1024', '1.5m', '10MB', '2 GiB']) {
      const config = await loadWith({ 'log-opts': { 'max-size': size } });
      assert.equal(config.logOpts['max-size'], size);
    }
  });

  it('rejects a bad size, naming log-opts.max-size', async () => {
    await assertFileError({ 'log-opts': { 'max-size': '10zb' } }, [
      'log-opts.max-size',
      'invalid size',
      '10zb',
    ]);
    await assertFileError({ 'log-opts': { 'max-size': '0' } }, ['log-opts.max-size', 'positive']);
  });

  it('requires max-file to be a positive integer', async () => {
    for (const maxFile of ['0', '-1', 'three', '1.5']) {
      await assertFileError({ 'log-opts': { 'max-file': maxFile } }, [
        'log-opts.max-file',
        'positive integer',
      ]);
    }
  });

  it('rejects unknown options and impossible combinations for json-file', async () => {
    await assertFileError({ 'log-opts': { 'max-szie': '1m' } }, [
      'log-opts.max-szie',
      "unknown log opt 'max-szie'",
    ]);
    await assertFileError({ 'log-opts': { compress: 'true' } }, ['log-opts.compress', 'max-file']);
    await assertFileError({ 'log-opts': { compress: 'yes' } }, ['log-opts.compress', 'boolean']);
    await assertFileError({ 'log-opts': { mode: 'fast' } }, ['log-opts.mode', 'not supported']);
    await assertFileError({ 'log-opts': { 'max-buffer-size': '4m' } }, [
      'log-opts.max-buffer-size',
      'non-blocking',
    ]);
    const config = await loadWith({
      'log-opts': {
        'max-size': '10m',
        'max-file': '3',
        compress: 'true',
        mode: 'non-blocking',
        'max-buffer-size': '4m',
      },
    });
    assert.equal(config.logOpts['compress'], 'true');
  });

  it('leaves other drivers options to the driver', async () => {
    const config = await loadWith({
      'log-driver': 'syslog',
      'log-opts': { 'syslog-address': 'udp://1.2.3.4:514' },
    });
    assert.equal(config.logDriver, 'syslog');
  });
});

describe('loadDaemonConfig: exec-opts and the cgroup driver', () => {
  it('rejects unknown options and drivers', async () => {
    await assertFileError({ 'exec-opts': ['native.foo=bar'] }, [
      'exec-opts[0]',
      "unknown option: 'native.foo'",
    ]);
    await assertFileError({ 'exec-opts': ['isolation=hyperv'] }, [
      'exec-opts[0]',
      'only supported on windows',
    ]);
    await assertFileError({ 'exec-opts': ['native.cgroupdriver'] }, ['exec-opts[0]', "'opt=value'"]);
    await assertFileError({ 'exec-opts': ['native.cgroupdriver=lxc'] }, [
      'exec-opts[0]',
      'lxc not supported',
    ]);
    await assertFileError({ 'exec-opts': ['native.cgroupdriver=none'] }, ['exec-opts[0]', 'internally used']);
  });

  it('needs systemd as PID 1 for the systemd driver', async () => {
    const opts = { 'exec-opts': ['native.cgroupdriver=systemd'] };
    await assertFileError(
      opts,
      ['exec-opts', 'systemd is not running as PID 1', 'systemd cgroup driver cannot be used'],
      {},
      {
        systemdIsPid1: false,
      },
    );
    const config = await loadWith(opts, {}, { systemdIsPid1: true });
    assert.equal(config.cgroupDriver, 'systemd');
    assert.equal(
      (await loadWith({ 'exec-opts': [' Native.CgroupDriver = cgroupfs '] })).cgroupDriver,
      'cgroupfs',
    );
  });

  it('needs a .slice cgroup-parent with the systemd driver', async () => {
    const opts = { 'exec-opts': ['native.cgroupdriver=systemd'], 'cgroup-parent': '/berth' };
    await assertFileError(opts, ['cgroup-parent', '.slice']);
  });
});

describe('loadDaemonConfig: networking', () => {
  it('validates bip', async () => {
    await assertFileError({ bip: '192.168.1.1' }, ['bip', 'invalid CIDR', 'missing']);
    await assertFileError({ bip: '192.168.1.300/24' }, ['bip', 'not an IP address']);
    await assertFileError({ bip: '192.168.1.1/40' }, ['bip', 'prefix length']);
    await assertFileError({ bip: 'fd00::1/64' }, ['bip', 'IPv4', 'bip6']);
    await assertFileError({ bip: '192.168.1.1/24', bridge: 'br0' }, ['bip', 'bridge', 'mutually exclusive']);
  });

  it('validates default-address-pools', async () => {
    await assertFileError({ 'default-address-pools': { base: '10.0.0.0/8', size: 24 } }, [
      'default-address-pools',
      'expected an array',
    ]);
    await assertFileError({ 'default-address-pools': [{ base: '10.0.0.0', size: 24 }] }, [
      'default-address-pools[0].base',
      'invalid CIDR',
    ]);
    await assertFileError({ 'default-address-pools': [{ base: '10.0.0.0/16', size: 8 }] }, [
      'default-address-pools[0].size',
      'prefix length (16)',
    ]);
    await assertFileError({ 'default-address-pools': [{ base: '10.0.0.0/16', size: 33 }] }, [
      'default-address-pools[0].size',
    ]);
    await assertFileError({ 'default-address-pools': [{ base: '10.0.0.0/16' }] }, [
      'default-address-pools[0].size',
    ]);
    await assertFileError({ 'default-address-pools': [{ base: '10.0.0.0/16', size: 24, scope: 'local' }] }, [
      'default-address-pools[0].scope',
      'unknown field',
    ]);
    const config = await loadWith({ 'default-address-pools': [{ Base: 'fd00::/48', Size: 64 }] });
    assert.deepEqual(config.defaultAddressPools, [{ base: 'fd00::/48', size: 64 }]);
  });

  it('validates dns and dns-search', async () => {
    await assertFileError({ dns: ['8.8.8.8', 'dns.google'] }, [
      'dns[1]',
      'IP address is not correctly formatted',
    ]);
    await assertFileError({ 'dns-search': ['-bad-'] }, ['dns-search[0]', 'not a valid domain']);
  });

  it('validates the other bridge settings it keeps', async () => {
    await assertFileError({ 'fixed-cidr': '10.0.0.0/33' }, ['fixed-cidr', 'prefix length']);
    await assertFileError({ 'default-gateway': 'fd00::1' }, ['default-gateway', 'IPv4']);
    await assertFileError({ icc: false, iptables: false }, ['icc', 'iptables']);
    await assertFileError({ mtu: -1 }, ['mtu', 'out of range']);
  });
});

describe('loadDaemonConfig: registries', () => {
  it('validates mirrors like dockerd', async () => {
    await assertFileError({ 'registry-mirrors': ['mirror.example.com'] }, [
      'registry-mirrors[0]',
      'no scheme',
    ]);
    await assertFileError({ 'registry-mirrors': ['https://m.example.com/path'] }, [
      'registry-mirrors[0]',
      'path',
    ]);
    await assertFileError({ 'registry-mirrors': ['ftp://m.example.com'] }, ['registry-mirrors[0]', 'scheme']);
  });

  it('validates insecure registries and strips an http(s) scheme', async () => {
    await assertFileError({ 'insecure-registries': ['bad host'] }, [
      'insecure-registries[0]',
      'invalid host',
    ]);
    await assertFileError({ 'insecure-registries': ['ssh://r.local'] }, ['insecure-registries[0]', "'://'"]);
    const config = await loadWith({
      'insecure-registries': ['https://r.local:5000', 'r.local:5000', '10.1.0.0/16'],
    });
    assert.deepEqual(config.insecureRegistries, ['r.local:5000', '10.1.0.0/16']);
  });
});

describe('loadDaemonConfig: runtimes and containers', () => {
  it('needs a path for each runtime and refuses to redefine runc', async () => {
    await assertFileError({ runtimes: { fast: {} } }, ['runtimes.fast.path', 'path']);
    await assertFileError({ runtimes: { fast: { path: '/x', runtimeArgs: '--debug' } } }, [
      'runtimes.fast.runtimeArgs',
    ]);
    await assertFileError({ runtimes: { runc: { path: '/x' } } }, ['runtimes.runc', 'reserved']);
    await assertFileError({ runtimes: { shim: { runtimeType: 'io.containerd.kata.v2' } } }, [
      'runtimes.shim',
      'runtimeType',
    ]);
  });

  it('requires default-runtime to be known', async () => {
    await assertFileError({ 'default-runtime': 'kata' }, ['default-runtime', "'kata' does not exist"]);
    assert.equal((await loadWith({ 'default-runtime': 'crun' })).defaultRuntime, 'crun');
  });

  it('validates log-level, labels, ulimits, shm size and counters', async () => {
    await assertFileError({ 'log-level': 'verbose' }, ['log-level', 'invalid logging level: verbose']);
    await assertFileError({ labels: ['novalue'] }, ['labels[0]', 'bad attribute format']);
    await assertFileError({ labels: ['com.docker.x=1'] }, ['labels[0]', 'reserved']);
    await assertFileError({ labels: ['a=1', 'a=2'] }, ['labels', 'conflict labels']);
    await assertFileError({ 'default-ulimits': { nofile: { Soft: 10, Hard: 5 } } }, [
      'default-ulimits.nofile',
      'soft limit',
    ]);
    await assertFileError({ 'default-ulimits': { files: { Soft: 1, Hard: 1 } } }, [
      'invalid ulimit type: files',
    ]);
    await assertFileError({ 'default-shm-size': '64x' }, ['default-shm-size', 'invalid suffix']);
    await assertFileError({ 'max-concurrent-downloads': 0 }, ['max-concurrent-downloads', 'out of range']);
    await assertFileError({ 'shutdown-timeout': -2 }, ['shutdown-timeout', 'out of range']);
    await assertFileError({ features: { cdi: 'yes' } }, ['features.cdi', 'boolean']);
  });
});
