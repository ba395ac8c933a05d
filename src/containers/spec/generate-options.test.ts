import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateSpec } from './generate.js';
import { serializeSpec } from './oci.js';
import { BOUNDING, host, ID, input, mountAt } from './spec-fixtures.js';

describe('generateSpec: options', () => {
  it('privileged: the daemon bounding set, every device, no masks, writable /sys, no seccomp', async () => {
    const { spec } = await generateSpec(input({ privileged: true }), host());
    assert.deepEqual(spec.process.capabilities?.bounding, BOUNDING);
    assert.ok(!spec.process.capabilities?.effective.includes('CAP_SYS_RESOURCE'));
    assert.equal(spec.linux.maskedPaths, undefined);
    assert.equal(spec.linux.readonlyPaths, undefined);
    assert.equal(spec.linux.seccomp, undefined);
    assert.deepEqual(spec.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
    assert.ok(spec.linux.devices.some((d) => d.path === '/dev/null'));
    assert.deepEqual(mountAt(spec, '/sys')?.options, ['nosuid', 'noexec', 'nodev']);
    assert.deepEqual(mountAt(spec, '/sys/fs/cgroup')?.options, ['nosuid', 'noexec', 'nodev']);
  });
  it('cap-add and cap-drop, ALL included; the profile follows the capabilities', async () => {
    const added = await generateSpec(
      input({ capAdd: ['sys_admin', 'CAP_NET_ADMIN'], capDrop: ['MKNOD'] }),
      host(),
    );
    const caps = added.spec.process.capabilities!.effective;
    assert.ok(
      caps.includes('CAP_SYS_ADMIN') && caps.includes('CAP_NET_ADMIN') && !caps.includes('CAP_MKNOD'),
    );
    assert.ok(added.spec.linux.seccomp!.syscalls!.some((r) => r.names.includes('mount')));
    const none = await generateSpec(input({ capDrop: ['ALL'], capAdd: ['chown'] }), host());
    assert.deepEqual(none.spec.process.capabilities!.effective, ['CAP_CHOWN']);
    const all = await generateSpec(input({ capAdd: ['ALL'], capDrop: ['NET_RAW'] }), host());
    assert.equal(all.spec.process.capabilities!.effective.length, BOUNDING.length - 1);
    const unheld = await generateSpec(input({ capAdd: ['SYS_RESOURCE'] }), host());
    assert.ok(!unheld.spec.process.capabilities!.effective.includes('CAP_SYS_RESOURCE'));
    assert.equal(unheld.warnings.length, 1);
    await assert.rejects(generateSpec(input({ capAdd: ['NOPE'] }), host()), { kind: 'InvalidArgument' });
  });
  it('read-only rootfs, shm size, ipc none, tmpfs and init', async () => {
    const { spec } = await generateSpec(
      input({ readonlyRootfs: true, shmSize: 1 << 20, tmpfs: { '/run': 'size=1m,exec' }, init: true }),
      host(),
    );
    assert.equal(spec.root.readonly, true);
    assert.deepEqual(mountAt(spec, '/etc/hosts')?.options, ['rbind', 'ro', 'rprivate']);
    assert.ok(mountAt(spec, '/sys/fs/cgroup')?.options?.includes('ro'));
    assert.ok(!mountAt(spec, '/dev/shm')?.options?.includes('ro'));
    assert.ok(mountAt(spec, '/dev/shm')?.options?.includes('size=1048576'));
    assert.deepEqual(mountAt(spec, '/run')?.options, ['nosuid', 'nodev', 'rprivate', 'size=1m', 'exec']);
    assert.deepEqual(mountAt(spec, '/sbin/docker-init'), {
      destination: '/sbin/docker-init',
      type: 'bind',
      source: '/usr/local/bin/docker-init',
      options: ['bind', 'ro'],
    });
    assert.deepEqual(spec.process.args, ['/sbin/docker-init', '--', 'sh']);
    const noShm = await generateSpec(input({ ipc: 'none' }), host());
    assert.equal(mountAt(noShm.spec, '/dev/shm'), undefined);
  });
  it('host and joined namespaces, cgroup namespace on v2, user namespace mappings', async () => {
    const { spec } = await generateSpec(
      input({ network: 'host', pid: { path: '/proc/42/ns/pid' }, uts: 'host', ipc: 'host' }),
      host({ cgroupVersion: 2 }),
    );
    assert.deepEqual(spec.linux.namespaces, [
      { type: 'mount' },
      { type: 'pid', path: '/proc/42/ns/pid' },
      { type: 'cgroup' },
    ]);
    assert.equal(spec.hostname, undefined);
    assert.deepEqual(spec.linux.sysctl, {});
    const mapping = [{ containerID: 0, hostID: 100000, size: 65536 }];
    const userns = await generateSpec(
      input({ userns: { uidMappings: mapping, gidMappings: mapping } }),
      host(),
    );
    assert.ok(userns.spec.linux.namespaces.some((ns) => ns.type === 'user'));
    assert.deepEqual(userns.spec.linux.uidMappings, mapping);
    assert.ok(!mountAt(userns.spec, '/sys/fs/cgroup')?.options?.includes('ro'));
    assert.equal(userns.spec.linux.sysctl?.['net.ipv4.ping_group_range'], undefined);
    assert.equal(mountAt(userns.spec, '/sys')?.type, 'sysfs');
    // Joining a user namespace made with the network namespace: both by path, sysfs mounted as usual.
    const joined = await generateSpec(
      input({
        network: { path: '/run/netns/x' },
        userns: { uidMappings: mapping, gidMappings: mapping, path: '/proc/7/ns/user' },
      }),
      host(),
    );
    assert.deepEqual(
      joined.spec.linux.namespaces.find((ns) => ns.type === 'user'),
      { type: 'user', path: '/proc/7/ns/user' },
    );
    assert.equal(mountAt(joined.spec, '/sys')?.type, 'sysfs');
    // A new user namespace in a network namespace it does not own cannot mount sysfs: the host's, read-only.
    const foreign = await generateSpec(
      input({ network: { path: '/run/netns/x' }, userns: { uidMappings: mapping, gidMappings: mapping } }),
      host(),
    );
    assert.equal(mountAt(foreign.spec, '/sys')?.type, 'bind');
    assert.equal(mountAt(foreign.spec, '/sys')?.source, '/sys');
    assert.ok(mountAt(foreign.spec, '/sys')?.options?.includes('ro'));
    // The host's IPC namespace: a user namespace cannot mount mqueue for it.
    const hostIpc = await generateSpec(
      input({ ipc: 'host', userns: { uidMappings: mapping, gidMappings: mapping } }),
      host(),
    );
    assert.equal(mountAt(hostIpc.spec, '/dev/mqueue'), undefined);
    assert.equal(mountAt(userns.spec, '/dev/mqueue')?.type, 'mqueue');
  });
  it('maps resources like dockerd, dropping what the host cannot enforce', async () => {
    const { spec, warnings } = await generateSpec(
      input({
        resources: {
          memory: 64 << 20,
          memoryReservation: 32 << 20,
          nanoCpus: 1.5e9,
          cpuShares: 512,
          cpusetCpus: '0',
          pidsLimit: 20,
          blkioWeight: 300,
          oomKillDisable: true,
        },
      }),
      host(),
    );
    assert.deepEqual(spec.linux.resources.memory, {
      limit: 64 << 20,
      reservation: 32 << 20,
      swap: 128 << 20,
      disableOOMKiller: true,
    });
    assert.deepEqual(spec.linux.resources.cpu, { shares: 512, cpus: '0', period: 100000, quota: 150000 });
    assert.deepEqual(spec.linux.resources.pids, { limit: 20 });
    assert.equal(spec.linux.resources.blockIO, undefined);
    assert.deepEqual(warnings, [
      'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.',
    ]);
    const unlimited = await generateSpec(
      input({ resources: { memory: 64 << 20, memorySwap: -1, pidsLimit: 0 } }),
      host(),
    );
    assert.equal(unlimited.spec.linux.resources.memory?.swap, -1);
    assert.deepEqual(unlimited.spec.linux.resources.pids, { limit: -1 });
    await assert.rejects(generateSpec(input({ resources: { memory: 1 << 20 } }), host()), {
      kind: 'InvalidArgument',
    });
    await assert.rejects(generateSpec(input({ resources: { nanoCpus: 1e9, cpuQuota: 5000 } }), host()), {
      kind: 'InvalidArgument',
    });
  });
  it('per-device block I/O limits name the device by its numbers; a kind the host lacks is dropped with a warning', async () => {
    // /dev/null is 1:3 on every Linux; /dev/zero 1:5.
    const rates = (rate: number) => [{ path: '/dev/null', rate }];
    const { spec, warnings } = await generateSpec(
      input({
        resources: {
          blkioWeightDevice: [{ path: '/dev/zero', weight: 300 }],
          blkioDeviceReadBps: rates(1 << 20),
          blkioDeviceWriteBps: rates(2 << 20),
          blkioDeviceReadIOps: rates(100),
          blkioDeviceWriteIOps: [...rates(200), { path: '/dev/zero', rate: 50 }],
        },
      }),
      host(),
    );
    assert.deepEqual(spec.linux.resources.blockIO, {
      throttleReadBpsDevice: [{ major: 1, minor: 3, rate: 1 << 20 }],
      throttleWriteBpsDevice: [{ major: 1, minor: 3, rate: 2 << 20 }],
      throttleReadIOPSDevice: [{ major: 1, minor: 3, rate: 100 }],
      throttleWriteIOPSDevice: [
        { major: 1, minor: 3, rate: 200 },
        { major: 1, minor: 5, rate: 50 },
      ],
    });
    assert.deepEqual(warnings, [
      'Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.',
    ]);
    const features = {
      ...host().cgroupFeatures,
      blkioWeight: true,
      blkioWeightDevice: true,
      blkioThrottle: false,
    };
    const weighted = await generateSpec(
      input({
        resources: {
          blkioWeight: 500,
          blkioWeightDevice: [{ path: '/dev/zero', weight: 300 }],
          blkioDeviceReadBps: rates(1),
        },
      }),
      host({ cgroupFeatures: features }),
    );
    assert.deepEqual(weighted.spec.linux.resources.blockIO, {
      weight: 500,
      weightDevice: [{ major: 1, minor: 5, weight: 300 }],
    });
    assert.deepEqual(weighted.warnings, [
      'Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded.',
    ]);
    // dockerd reads the device when the container starts: a missing one fails the start with stat's words.
    await assert.rejects(
      generateSpec(
        input({ resources: { blkioDeviceReadIOps: [{ path: '/dev/berth-none', rate: 1 }] } }),
        host(),
      ),
      { message: 'stat /dev/berth-none: no such file or directory' },
    );
  });
  it('systemd driver cgroupsPath', async () => {
    const { spec } = await generateSpec(input(), host({ cgroupDriver: 'systemd' }));
    assert.equal(spec.linux.cgroupsPath, `system.slice:berth:${ID}`);
  });
  it("lowers rlimits to the daemon's hard limits without CAP_SYS_RESOURCE", async () => {
    const ulimits = [
      { name: 'nofile', soft: 1_000_000, hard: 1_000_000 },
      { name: 'nproc', soft: 100, hard: Infinity },
    ];
    const { spec, warnings } = await generateSpec(input({ ulimits }), host());
    assert.deepEqual(spec.process.rlimits, [
      { type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 },
      { type: 'RLIMIT_NPROC', soft: 100, hard: Infinity },
    ]);
    assert.equal(warnings.length, 1);
    assert.match(serializeSpec(spec), /"hard": 18446744073709551615/);
    const root = await generateSpec(input({ ulimits }), host({ canRaiseRlimits: true }));
    assert.equal(root.spec.process.rlimits?.[0]?.hard, 1_000_000);
  });
  it('seccomp unconfined and a custom profile in Docker format', async () => {
    const unconfined = await generateSpec(input({ seccomp: 'unconfined' }), host());
    assert.equal(unconfined.spec.linux.seccomp, undefined);
    const json = JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
      syscalls: [
        { names: ['chmod'], action: 'SCMP_ACT_ERRNO' },
        { names: ['mount'], action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN'] } },
      ],
    });
    const custom = await generateSpec(input({ seccomp: { json } }), host());
    assert.deepEqual(custom.spec.linux.seccomp, {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      syscalls: [{ names: ['chmod'], action: 'SCMP_ACT_ERRNO' }],
    });
  });
  it('user, working dir, env merge and sysctls', async () => {
    const { spec } = await generateSpec(
      {
        ...input({ env: ['A=1'], workingDir: '/tmp', tty: true, sysctls: { 'kernel.shmmax': '1000' } }),
        image: { cmd: ['id'], env: ['A=0', 'B=2'], user: '65534' },
      },
      host(),
    );
    assert.deepEqual(spec.process.user, { uid: 65534, gid: 0, additionalGids: [0] });
    assert.equal(spec.process.cwd, '/tmp');
    assert.equal(spec.process.terminal, true);
    assert.deepEqual(spec.process.env.slice(2), ['TERM=xterm', 'A=1', 'B=2']);
    assert.equal(spec.linux.sysctl?.['kernel.shmmax'], '1000');
    await assert.rejects(generateSpec(input({ sysctls: { 'kernel.hostname': 'x' } }), host()), {
      kind: 'InvalidArgument',
    });
    await assert.rejects(generateSpec(input({ workingDir: 'relative' }), host()), {
      kind: 'InvalidArgument',
    });
  });
  it("network sysctls: Docker's defaults in a namespace of the container's own, none on the host's", async () => {
    const tuned = { 'net.ipv4.tcp_syncookies': '0' };
    const defaults = {
      'net.ipv4.ping_group_range': '0 2147483647',
      'net.ipv4.ip_unprivileged_port_start': '0',
    };
    // A bridge container's namespace, made for it by berthd and joined by path.
    const bridged = await generateSpec(
      input({ network: { path: '/run/netns/berth-x', own: true }, sysctls: tuned }),
      host(),
    );
    assert.deepEqual(bridged.spec.linux.sysctl, { ...defaults, ...tuned });
    const none = await generateSpec(input({ network: 'private' }), host());
    assert.deepEqual(none.spec.linux.sysctl, defaults);
    // `--network container:X`: that container's namespace keeps its settings; it may be tuned.
    const joined = await generateSpec(input({ network: { path: '/proc/7/ns/net' }, sysctls: tuned }), host());
    assert.deepEqual(joined.spec.linux.sysctl, tuned);
    await assert.rejects(generateSpec(input({ network: 'host', sysctls: tuned }), host()), {
      kind: 'InvalidArgument',
      message: "sysctl 'net.ipv4.tcp_syncookies' not allowed in host network namespace",
    });
  });
  it("daemon.json's defaults: ulimits under the container's, no-new-privileges, seccomp profile, init", async () => {
    const defaults = {
      ulimits: [
        { name: 'nofile', soft: 100, hard: 200 },
        { name: 'nproc', soft: 50, hard: 60 },
      ],
      noNewPrivileges: true,
      seccomp: 'unconfined' as const,
      init: true,
    };
    const { spec } = await generateSpec(
      input({ ulimits: [{ name: 'nofile', soft: 10, hard: 20 }], cmd: ['sh'] }),
      host({ defaults }),
    );
    assert.deepEqual(spec.process.rlimits, [
      { type: 'RLIMIT_NOFILE', soft: 10, hard: 20 },
      { type: 'RLIMIT_NPROC', soft: 50, hard: 60 },
    ]);
    assert.equal(spec.process.noNewPrivileges, true);
    assert.equal(spec.linux.seccomp, undefined);
    assert.deepEqual(spec.process.args, ['/sbin/docker-init', '--', 'sh']);
    assert.equal(mountAt(spec, '/sbin/docker-init')?.source, '/usr/local/bin/docker-init');
    // The container's own choices win.
    const own = await generateSpec(
      input({ init: false, seccomp: 'default', cmd: ['sh'] }),
      host({ defaults }),
    );
    assert.deepEqual(own.spec.process.args, ['sh']);
    assert.equal(mountAt(own.spec, '/sbin/docker-init'), undefined);
    assert.equal(own.spec.linux.seccomp, undefined, "'default' means none given: the daemon's profile");
    const json = JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW' });
    const named = await generateSpec(input({ seccomp: { json } }), host({ defaults }));
    assert.equal(named.spec.linux.seccomp?.defaultAction, 'SCMP_ACT_ALLOW');
  });
});
