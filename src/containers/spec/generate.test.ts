import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CAPABILITIES } from './capabilities.js';
import { generateSpec } from './generate.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from './paths.js';
import { host, ID, input, mountAt } from './spec-fixtures.js';

describe('generateSpec: Docker defaults', async () => {
  const { spec, warnings } = await generateSpec(input(), host());

  it('runs the command as root in / with Docker environment', () => {
    assert.deepEqual(spec.process.args, ['sh']);
    assert.equal(spec.process.cwd, '/');
    assert.deepEqual(spec.process.user, { uid: 0, gid: 0, additionalGids: [0] });
    assert.deepEqual(spec.process.env, [
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'HOSTNAME=c0ffee000000',
    ]);
    assert.equal(spec.hostname, 'c0ffee000000');
    assert.deepEqual(warnings, []);
  });
  it("grants exactly Docker's 14 capabilities, with no inheritable set", () => {
    const caps = spec.process.capabilities!;
    assert.deepEqual(caps.bounding, DEFAULT_CAPABILITIES);
    assert.deepEqual(caps.effective, DEFAULT_CAPABILITIES);
    assert.deepEqual(caps.permitted, DEFAULT_CAPABILITIES);
    assert.equal(caps.inheritable, undefined);
    assert.equal(spec.process.noNewPrivileges, false);
  });
  it('masks and write-protects the paths Docker does', () => {
    assert.deepEqual(spec.linux.maskedPaths, DEFAULT_MASKED_PATHS);
    assert.deepEqual(spec.linux.readonlyPaths, DEFAULT_READONLY_PATHS);
    assert.ok(spec.linux.maskedPaths?.includes('/proc/kcore'));
  });
  it('mounts the kernel filesystems, a 64 MiB /dev/shm and the container files', () => {
    assert.deepEqual(
      spec.mounts.map((m) => `${m.destination} ${m.type}`),
      [
        '/proc proc',
        '/dev tmpfs',
        '/dev/pts devpts',
        '/sys sysfs',
        '/sys/fs/cgroup cgroup',
        '/dev/mqueue mqueue',
        '/dev/shm tmpfs',
        '/etc/resolv.conf bind',
        '/etc/hostname bind',
        '/etc/hosts bind',
      ],
    );
    assert.deepEqual(mountAt(spec, '/dev/shm')?.options, [
      'nosuid',
      'noexec',
      'nodev',
      'mode=1777',
      'size=67108864',
    ]);
    assert.deepEqual(mountAt(spec, '/sys')?.options, ['nosuid', 'noexec', 'nodev', 'ro']);
    assert.deepEqual(mountAt(spec, '/etc/hosts')?.options, ['rbind', 'rprivate']);
  });
  it('creates mount, network, uts, pid and ipc namespaces (no cgroup namespace on v1)', () => {
    assert.deepEqual(
      spec.linux.namespaces.map((ns) => ns.type),
      ['mount', 'network', 'uts', 'pid', 'ipc'],
    );
  });
  it('puts the container in /berth/<id> with the default device rules and sysctls', () => {
    assert.equal(spec.linux.cgroupsPath, `/berth/${ID}`);
    assert.deepEqual(spec.linux.resources.devices[0], { allow: false, access: 'rwm' });
    assert.equal(spec.linux.resources.devices.length, 8);
    assert.deepEqual(spec.linux.devices, []);
    assert.deepEqual(spec.linux.sysctl, {
      'net.ipv4.ping_group_range': '0 2147483647',
      'net.ipv4.ip_unprivileged_port_start': '0',
    });
  });
  it('filters syscalls with the default profile', () => {
    const seccomp = spec.linux.seccomp!;
    assert.equal(seccomp.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(seccomp.defaultErrnoRet, 1);
    assert.deepEqual(seccomp.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    const allowed = seccomp
      .syscalls!.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args)
      .flatMap((r) => r.names);
    for (const name of ['read', 'execve', 'chroot', 'arch_prctl', 'ptrace'])
      assert.ok(allowed.includes(name), name);
    for (const name of ['mount', 'unshare', 'reboot', 'kexec_load', 'bpf'])
      assert.ok(!allowed.includes(name), name);
    assert.ok(seccomp.syscalls!.some((r) => r.names.includes('clone3') && r.errnoRet === 38));
  });
});
