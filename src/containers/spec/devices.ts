import type { BigIntStats } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { BerthError, ErrorKind, errnoCode, invalidArgument } from '../../core/errors.js';
import type { OciBlockIO, OciDevice, OciDeviceRule } from './oci.js';
import type { DeviceMapping } from './request.js';
import type { BlockDeviceLimits } from './resources.js';

const rule = (major: number, minor: number, allow = true): OciDeviceRule => ({
  allow,
  type: 'c',
  major,
  minor,
  access: 'rwm',
});

/**
 * Docker's default device cgroup rules: deny everything, then allow the
 * basic character devices (zero, null, urandom, random, tty, console) and
 * deny /dev/fuse. The runtime adds its own defaults for the nodes it creates
 * (null, zero, full, random, urandom, tty, ptmx and /dev/pts).
 */
export function defaultDeviceRules(): OciDeviceRule[] {
  return [
    { allow: false, access: 'rwm' },
    rule(1, 5),
    rule(1, 3),
    rule(1, 9),
    rule(1, 8),
    rule(5, 0),
    rule(5, 1),
    rule(10, 229, false),
  ];
}

/** The format of a `--device-cgroup-rule`: type, major:minor (either `*`), access. */
export const DEVICE_CGROUP_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/**
 * A `--device-cgroup-rule` ("c 1:3 rwm", "a *:* m"): one more allowed device
 * class in the cgroup, Docker's format and message.
 */
export function deviceCgroupRule(text: string): OciDeviceRule {
  const m = DEVICE_CGROUP_RULE.exec(text);
  if (!m) throw invalidArgument(`invalid device cgroup format '${text}'`);
  const number = (v: string) => (v === '*' ? undefined : Number(v));
  const major = number(m[2]!);
  const minor = number(m[3]!);
  return {
    allow: true,
    type: m[1] as 'a' | 'b' | 'c',
    ...(major === undefined ? {} : { major }),
    ...(minor === undefined ? {} : { minor }),
    access: m[4]!,
  };
}

/** The rule that lets a privileged container use every device. */
export const ALLOW_ALL_DEVICES: OciDeviceRule = { allow: true, access: 'rwm' };

/** Linux's dev_t encoding (glibc gnu_dev_major / gnu_dev_minor). */
function splitDeviceNumber(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

function deviceFromStats(path: string, st: BigIntStats): OciDevice | undefined {
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
  if (!type) return undefined;
  return {
    path,
    type,
    ...splitDeviceNumber(st.rdev),
    fileMode: Number(st.mode & 0o777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
  };
}

/** Character and block devices at or below `dir` (a file or directory), following `--device` semantics. */
async function devicesUnder(dir: string, skip: ReadonlySet<string> = new Set()): Promise<string[]> {
  const st = await lstat(dir);
  if (!st.isDirectory()) return [dir];
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (skip.has(path)) continue;
    if (entry.isDirectory()) found.push(...(await devicesUnder(path, skip)));
    else if (entry.isCharacterDevice() || entry.isBlockDevice()) found.push(path);
  }
  return found;
}

/** Devices and cgroup rules for the `--device` mappings (a directory maps every device below it). */
export async function mappedDevices(
  mappings: readonly DeviceMapping[],
): Promise<{ devices: OciDevice[]; rules: OciDeviceRule[] }> {
  const devices: OciDevice[] = [];
  const rules: OciDeviceRule[] = [];
  for (const mapping of mappings) {
    const access = mapping.cgroupPermissions || 'rwm';
    if (!/^[rwm]{1,3}$/.test(access)) throw invalidArgument(`invalid device mode: ${access}`);
    const target = mapping.pathInContainer || mapping.pathOnHost;
    const paths = await devicesUnder(mapping.pathOnHost).catch((err: unknown) => {
      throw invalidArgument(
        `error gathering device information while adding custom device "${mapping.pathOnHost}": ${errnoCode(err) ?? err}`,
      );
    });
    for (const path of paths) {
      const device = deviceFromStats(
        join(target, relative(mapping.pathOnHost, path)),
        await stat(path, { bigint: true }),
      );
      if (!device) throw invalidArgument(`${mapping.pathOnHost} is not a device node`);
      devices.push(device);
      rules.push({
        allow: true,
        type: device.type === 'b' ? 'b' : 'c',
        major: device.major,
        minor: device.minor,
        access,
      });
    }
  }
  return { devices, rules };
}

/**
 * The spec's per-device block I/O lists: each device path as its numbers,
 * read when the container starts, as dockerd does (a missing device fails
 * the start with stat's error).
 */
export async function blockDeviceNumbers(limits: BlockDeviceLimits): Promise<Omit<OciBlockIO, 'weight'>> {
  const numbered: Record<string, unknown[]> = {};
  for (const [key, entries] of Object.entries(limits)) {
    numbered[key] = await Promise.all(
      entries.map(async ({ path, value }) => {
        const st = await stat(path, { bigint: true }).catch((err: unknown) => {
          const reason = errnoCode(err) === 'ENOENT' ? 'no such file or directory' : (err as Error).message;
          throw new BerthError(ErrorKind.Internal, `stat ${path}: ${reason}`);
        });
        return { ...splitDeviceNumber(st.rdev), [key === 'weightDevice' ? 'weight' : 'rate']: value };
      }),
    );
  }
  return numbered as Omit<OciBlockIO, 'weight'>;
}

/** /dev entries a privileged container does not get as nodes: the runtime mounts its own there. */
const HOST_DEVICE_SKIP = new Set([
  '/dev/pts',
  '/dev/shm',
  '/dev/mqueue',
  '/dev/fd',
  '/dev/console',
  '/dev/ptmx',
]);

/** Every device node of the host's /dev, for privileged containers (containerd's `HostDevices`). */
export async function hostDevices(devRoot = '/dev'): Promise<OciDevice[]> {
  const devices: OciDevice[] = [];
  for (const path of await devicesUnder(devRoot, HOST_DEVICE_SKIP)) {
    const st = await stat(path, { bigint: true }).catch(() => undefined);
    const device = st && deviceFromStats(path, st);
    if (device) devices.push(device);
  }
  return devices;
}
