import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkUnsupported, clearDropped, type HostConfigBody, toSpecRequest } from './create-request.js';
import { checkRequest, generateSpec } from './spec/generate.js';
import { host, ID, input } from './spec/spec-fixtures.js';

const requestOf = (HostConfig: HostConfigBody) =>
  toSpecRequest(ID, { Image: 'busybox', HostConfig }, () => 42);

describe('create body → spec request', () => {
  it('--device, --device-cgroup-rule, --cgroup-parent, --cgroupns and --memory-swappiness reach the spec', async () => {
    const container = requestOf({
      Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/other-null', CgroupPermissions: 'rw' }],
      DeviceCgroupRules: ['b 7:* rwm', 'c 1:11 r'],
      CgroupParent: '/tenant-a',
      CgroupnsMode: 'private',
      MemorySwappiness: 0,
    });
    const { spec } = await generateSpec({ ...input(), container }, host());
    assert.deepEqual(
      spec.linux.devices.map((d) => [d.path, d.type, d.major, d.minor]),
      [['/dev/other-null', 'c', 1, 3]],
    );
    const rules = spec.linux.resources.devices;
    assert.deepEqual(rules.slice(-3), [
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
      { allow: true, type: 'b', major: 7, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 11, access: 'r' },
    ]);
    assert.equal(spec.linux.cgroupsPath, `/tenant-a/${ID}`);
    assert.ok(spec.linux.namespaces.some((ns) => ns.type === 'cgroup'));
    assert.equal(spec.linux.resources.memory?.swappiness, 0);
  });

  it("the daemon's cgroup-parent and default-cgroupns-mode apply when the request names none", async () => {
    const { spec } = await generateSpec(
      { ...input(), container: requestOf({}) },
      host({ cgroupParent: '/from-daemon', defaults: { cgroupns: 'private' } }),
    );
    assert.equal(spec.linux.cgroupsPath, `/from-daemon/${ID}`);
    assert.ok(spec.linux.namespaces.some((ns) => ns.type === 'cgroup'));
    const host1 = await generateSpec(
      { ...input(), container: requestOf({ CgroupnsMode: 'host' }) },
      host({ defaults: { cgroupns: 'private' } }),
    );
    assert.ok(!host1.spec.linux.namespaces.some((ns) => ns.type === 'cgroup'));
  });

  it('systempaths=unconfined empties the masked and read-only paths; explicit lists replace them', async () => {
    const open = await generateSpec(
      { ...input(), container: requestOf({ SecurityOpt: ['systempaths=unconfined'] }) },
      host(),
    );
    assert.deepEqual(open.spec.linux.maskedPaths, []);
    assert.deepEqual(open.spec.linux.readonlyPaths, []);
    const listed = await generateSpec(
      { ...input(), container: requestOf({ MaskedPaths: ['/proc/keys'], ReadonlyPaths: ['/proc/sys'] }) },
      host(),
    );
    assert.deepEqual(listed.spec.linux.maskedPaths, ['/proc/keys']);
    assert.deepEqual(listed.spec.linux.readonlyPaths, ['/proc/sys']);
    assert.throws(() => requestOf({ SecurityOpt: ['systempaths=open'] }), {
      message: 'invalid --security-opt 2: "systempaths=open"',
    });
  });

  it("refuses at create what Docker refuses there, with dockerd's messages", () => {
    const check = (h: HostConfigBody, cgroupDriver?: 'systemd') =>
      checkRequest(requestOf(h), host(cgroupDriver ? { cgroupDriver } : {}));
    assert.throws(() => check({ Memory: 1 << 20 }), { message: 'Minimum memory limit allowed is 6MB' });
    assert.throws(() => check({ Sysctls: { 'kernel.hostname': 'x' } }), {
      message: "sysctl 'kernel.hostname' is not allowed",
    });
    assert.throws(() => check({ DeviceCgroupRules: ['x 1:3 rwm'] }), {
      message: "invalid device cgroup format 'x 1:3 rwm'",
    });
    assert.throws(() => check({ CgroupParent: 'tenant' }, 'systemd'), {
      message: 'cgroup-parent for systemd cgroup should be a valid slice named as "xxx.slice"',
    });
    assert.throws(() => requestOf({ CgroupnsMode: 'shared' }), {
      message: 'invalid cgroup namespace mode: shared',
    });
    assert.deepEqual(check({ OomKillDisable: true }), {
      warnings: [
        'OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.',
      ],
      dropped: [],
    });
    // The spec fixtures' host has no blkio weight: dockerd keeps the request with the weights cleared.
    const body: HostConfigBody = {
      BlkioWeight: 300,
      BlkioWeightDevice: [{ Path: '/dev/zero', Weight: 300 }],
    };
    const dropped = check(body).dropped;
    assert.deepEqual(dropped, ['blkioWeight', 'blkioWeightDevice']);
    clearDropped(body, dropped);
    assert.deepEqual(body, { BlkioWeight: 0, BlkioWeightDevice: [] });
    assert.throws(() => checkUnsupported({ StorageOpt: { size: '1G' } }), {
      message: "--storage-opt is supported only for overlay over xfs with 'pquota' mount option",
    });
    assert.throws(() => checkUnsupported({ DeviceRequests: [{ Driver: '', Capabilities: [['gpu']] }] }), {
      message: 'could not select device driver "" with capabilities: [[gpu]]',
    });
    assert.doesNotThrow(() => checkUnsupported({ StorageOpt: {}, DeviceRequests: [] }));
  });
});
