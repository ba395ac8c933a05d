/**
 * `run`'s and `create`'s resource, security, namespace, health and restart
 * flags, and the parts of the create body they fill, as docker's
 * cli/command/container/opts.go parses and words them.
 */
import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { DEVICE_CGROUP_RULE } from '../../../containers/spec/devices.js';
import { IPC_SYSCTLS } from '../../../containers/spec/namespaces.js';
import { ULIMIT_NAMES } from '../../../containers/spec/rlimits.js';
import { parseRamSize } from '../../../core/units.js';
import { collect } from '../../command-spec.js';
import { StatusError } from '../../errors.js';
import { bytes, durationNs, each, int } from './flag-values.js';
import { declareResourceFlags, type ResourceFlagOptions, resourceFields } from './resource-flags.js';
import { parseRestartPolicy } from './restart-flag.js';

export interface RuntimeFlagOptions extends ResourceFlagOptions {
  memorySwappiness?: number;
  oomKillDisable?: boolean;
  oomScoreAdj?: number;
  shmSize?: number;
  ulimit?: Ulimit[];
  device?: string[];
  deviceCgroupRule?: string[];
  blkioWeightDevice?: WeightDevice[];
  deviceReadBps?: ThrottleDevice[];
  deviceWriteBps?: ThrottleDevice[];
  deviceReadIops?: ThrottleDevice[];
  deviceWriteIops?: ThrottleDevice[];
  gpus?: Record<string, unknown>;
  storageOpt?: string[];
  cgroupParent?: string;
  capAdd?: string[];
  capDrop?: string[];
  securityOpt?: string[];
  readOnly?: boolean;
  groupAdd?: string[];
  sysctl?: string[];
  pid?: string;
  ipc?: string;
  uts?: string;
  userns?: string;
  cgroupns?: string;
  runtime?: string;
  domainname?: string;
  restart?: string;
  healthCmd?: string;
  healthInterval?: number;
  healthTimeout?: number;
  healthStartPeriod?: number;
  healthStartInterval?: number;
  healthRetries?: number;
  /** false with --no-healthcheck (commander's negated flag). */
  healthcheck?: boolean;
}

interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

interface WeightDevice {
  Path: string;
  Weight: number;
}

interface ThrottleDevice {
  Path: string;
  Rate: number;
}

interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

export function declareRuntimeFlags(cmd: Command): void {
  declareResourceFlags(cmd);
  cmd
    .option('--memory-swappiness <int>', 'Tune container memory swappiness (0 to 100)', int)
    .option('--oom-kill-disable', 'Disable OOM Killer')
    .option('--oom-score-adj <int>', "Tune host's OOM preferences (-1000 to 1000)", int)
    .option('--shm-size <bytes>', 'Size of /dev/shm', bytes)
    .option('--ulimit <ulimit>', 'Ulimit options', each(parseUlimit))
    .option('--device <list>', 'Add a host device to the container', collect)
    .option(
      '--device-cgroup-rule <list>',
      'Add a rule to the cgroup allowed devices list',
      each(deviceCgroupRule),
    )
    .option('--blkio-weight-device <list>', 'Block IO weight (relative device weight)', each(weightDevice))
    .option(
      '--device-read-bps <list>',
      'Limit read rate (bytes per second) from a device',
      each(throttleDevice('bytes')),
    )
    .option(
      '--device-read-iops <list>',
      'Limit read rate (IO per second) from a device',
      each(throttleDevice('iops')),
    )
    .option(
      '--device-write-bps <list>',
      'Limit write rate (bytes per second) to a device',
      each(throttleDevice('bytes')),
    )
    .option(
      '--device-write-iops <list>',
      'Limit write rate (IO per second) to a device',
      each(throttleDevice('iops')),
    )
    .option(
      '--gpus <gpu-request>',
      "GPU devices to add to the container ('all' to pass all GPUs)",
      gpuRequest,
    )
    .option('--storage-opt <list>', 'Storage driver options for the container', collect)
    .option('--cgroup-parent <string>', 'Optional parent cgroup for the container')
    .option('--cap-add <list>', 'Add Linux capabilities', collect)
    .option('--cap-drop <list>', 'Drop Linux capabilities', collect)
    .option('--security-opt <list>', 'Security Options', collect)
    .option('--read-only', "Mount the container's root filesystem as read only")
    .option('--group-add <list>', 'Add additional groups to join', collect)
    .option('--sysctl <map>', 'Sysctl options', each(sysctl))
    .option('--pid <string>', 'PID namespace to use')
    .option('--ipc <string>', 'IPC mode to use')
    .option('--uts <string>', 'UTS namespace to use')
    .option('--userns <string>', 'User namespace to use')
    .option('--cgroupns <string>', 'Cgroup namespace to use (host|private)')
    .option('--runtime <string>', 'Runtime to use for this container')
    .option('--domainname <string>', 'Container NIS domain name')
    .option('--restart <string>', 'Restart policy to apply when a container exits', 'no')
    .option('--health-cmd <string>', 'Command to run to check health')
    .option('--health-interval <duration>', 'Time between running the check (ms|s|m|h)', durationNs)
    .option('--health-timeout <duration>', 'Maximum time to allow one check to run (ms|s|m|h)', durationNs)
    .option(
      '--health-start-period <duration>',
      'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h)',
      durationNs,
    )
    .option(
      '--health-start-interval <duration>',
      'Time between running the check during the start period (ms|s|m|h)',
      durationNs,
    )
    .option('--health-retries <int>', 'Consecutive failures needed to report unhealthy', int)
    .option('--no-healthcheck', 'Disable any container-specified HEALTHCHECK');
}

/** A failure of the flags taken together, worded as docker's: "docker: …" and the pointer to the command's help. */
const usageOf = (command: string) => (message: string) =>
  new StatusError(`berth: ${message}\n\nRun 'berth ${command} --help' for more information`, 125);

/** "key=value" entries as a map; a missing "=" is an error in `what`'s words. */
function keyValueMap(entries: readonly string[], invalid: (entry: string) => Error): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of entries) {
    const i = entry.indexOf('=');
    if (i <= 0) throw invalid(entry);
    map[entry.slice(0, i)] = entry.slice(i + 1);
  }
  return map;
}

/** go-units ParseUlimit: "nofile=1024[:2048]". */
function parseUlimit(value: string): Ulimit {
  const i = value.indexOf('=');
  if (i < 0) throw new InvalidArgumentError(`invalid ulimit argument: ${value}`);
  const name = value.slice(0, i);
  if (!ULIMIT_NAMES.has(name)) throw new InvalidArgumentError(`invalid ulimit type: ${name}`);
  const limits = value.slice(i + 1).split(':');
  if (limits.length > 2)
    throw new InvalidArgumentError(
      `too many limit value arguments - ${value.slice(i + 1)}, can only have up to two, \`soft[:hard]\``,
    );
  for (const limit of limits) {
    if (!/^-?\d+$/.test(limit))
      throw new InvalidArgumentError(`strconv.ParseInt: parsing "${limit}": invalid syntax`);
  }
  const soft = Number(limits[0]);
  const hard = limits.length === 2 ? Number(limits[1]) : soft;
  if (hard !== -1 && soft > hard)
    throw new InvalidArgumentError(
      `ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`,
    );
  return { Name: name, Soft: soft, Hard: hard };
}

const DEVICE_MODE = /^[rwm]{1,3}$/;

/** docker's parseDevice: "/dev/x[:/dev/y][:rwm]", both paths absolute. */
function parseDevice(value: string): DeviceMapping {
  const parts = value.split(':');
  if (parts.length > 3) throw new InvalidArgumentError(`invalid device specification: ${value}`);
  const [src = '', second, third] = parts;
  let dst = '';
  let permissions = third ?? 'rwm';
  if (second !== undefined) {
    if (third === undefined && DEVICE_MODE.test(second)) permissions = second;
    else dst = second;
  }
  for (const path of [src, dst].filter(Boolean)) {
    if (!path.startsWith('/')) throw new InvalidArgumentError(`${path} is not an absolute path`);
  }
  if (!DEVICE_MODE.test(permissions)) throw new InvalidArgumentError(`bad mode specified: ${permissions}`);
  return { PathOnHost: src, PathInContainer: dst || src, CgroupPermissions: permissions };
}

/** --device-cgroup-rule: "c|b|a major|*:minor|* rwm". */
function deviceCgroupRule(rule: string): string {
  if (!DEVICE_CGROUP_RULE.test(rule))
    throw new InvalidArgumentError(`invalid device cgroup format '${rule}'`);
  return rule;
}

/** "<device-path>:<value>" as docker's opts split it: a path under /dev/ and the rest. */
function devicePathAnd(value: string): [string, string] {
  const i = value.indexOf(':');
  if (i <= 0) throw new InvalidArgumentError(`bad format: ${value}`);
  const path = value.slice(0, i);
  if (!path.startsWith('/dev/')) throw new InvalidArgumentError(`bad format for device path: ${value}`);
  return [path, value.slice(i + 1)];
}

/** docker's ValidateWeightDevice: "/dev/x:weight", weight 10 to 1000, or 0. */
function weightDevice(value: string): WeightDevice {
  const [path, text] = devicePathAnd(value);
  const weight = Number(text);
  if (!/^\d+$/.test(text) || weight > 0xffff || (weight > 0 && (weight < 10 || weight > 1000)))
    throw new InvalidArgumentError(`invalid weight for device: ${value}`);
  return { Path: path, Weight: weight };
}

/** docker's ValidateThrottleBpsDevice ("/dev/x:10mb") and ValidateThrottleIOpsDevice ("/dev/x:100"). */
const throttleDevice =
  (unit: 'bytes' | 'iops') =>
  (value: string): ThrottleDevice => {
    const [path, text] = devicePathAnd(value);
    if (unit === 'iops') {
      if (!/^\d+$/.test(text) || BigInt(text) >= 2n ** 64n)
        throw new InvalidArgumentError(
          `invalid rate for device: ${value}. The correct format is <device-path>:<number>. Number must be a positive integer`,
        );
      return { Path: path, Rate: Number(text) };
    }
    try {
      return { Path: path, Rate: parseRamSize(text) };
    } catch {
      throw new InvalidArgumentError(
        `invalid rate for device: ${value}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`,
      );
    }
  };

/** docker's ValidateSysctl: "key=value" with a namespaced key (IPC or network). */
function sysctl(value: string): string {
  const i = value.indexOf('=');
  if (i < 0) throw new InvalidArgumentError(`sysctl '${value}' is not allowed`);
  const key = value.slice(0, i);
  if (IPC_SYSCTLS.has(key) || key.startsWith('net.') || key.startsWith('fs.mqueue.')) return value;
  throw new InvalidArgumentError(`sysctl '${value}' is not allowed`);
}

/** --gpus "all" | N | "device=…" as a device request for the GPU capability. */
function gpuRequest(value: string): Record<string, unknown> {
  const request: Record<string, unknown> = { Driver: '', Count: 0, DeviceIDs: null, Capabilities: [['gpu']] };
  for (const field of value.split(',')) {
    const key = field.includes('=') ? field.slice(0, field.indexOf('=')) : field;
    if (field === 'all') request['Count'] = -1;
    else if (/^\d+$/.test(field)) request['Count'] = Number(field);
    else if (key === 'device') request['DeviceIDs'] = field.slice('device='.length).split(',');
    else if (key === 'driver') request['Driver'] = field.slice('driver='.length);
    else throw new InvalidArgumentError(`unexpected key '${key}' in '${value}'`);
  }
  return request;
}

/** docker's parseSecurityOpts: a seccomp profile file is read and sent compacted. */
async function securityOpts(entries: readonly string[], usage: (m: string) => Error): Promise<string[]> {
  const opts: string[] = [];
  for (const opt of entries) {
    if (opt === 'no-new-privileges') {
      opts.push(opt);
      continue;
    }
    let sep = opt.indexOf('=');
    if (sep < 0) sep = opt.indexOf(':');
    if (sep < 0) throw usage(`Invalid --security-opt: ${JSON.stringify(opt)}`);
    const key = opt.slice(0, sep);
    const value = opt.slice(sep + 1);
    if (key === 'seccomp' && value !== 'unconfined' && value !== 'builtin') {
      let text: string;
      try {
        text = await readFile(value, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const reason = code === 'ENOENT' ? 'no such file or directory' : (err as Error).message;
        throw usage(`opening seccomp profile (${value}) failed: open ${value}: ${reason}`);
      }
      try {
        opts.push(`seccomp=${JSON.stringify(JSON.parse(text))}`);
      } catch (err) {
        throw usage(`compacting json for seccomp profile (${value}) failed: ${(err as Error).message}`);
      }
      continue;
    }
    opts.push(opt);
  }
  return opts;
}

/** Docker's Healthcheck from the --health-* flags; undefined when none was given. */
function healthcheck(
  o: RuntimeFlagOptions,
  usage: (m: string) => Error,
): Record<string, unknown> | undefined {
  const durations = [o.healthInterval, o.healthTimeout, o.healthStartPeriod, o.healthStartInterval];
  const given = Boolean(o.healthCmd) || durations.some((d) => d) || Boolean(o.healthRetries);
  if (o.healthcheck === false) {
    if (given) throw usage('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!given) return undefined;
  const checks: [number | undefined, string][] = [
    [o.healthInterval, '--health-interval'],
    [o.healthTimeout, '--health-timeout'],
    [o.healthRetries, '--health-retries'],
    [o.healthStartPeriod, '--health-start-period'],
    [o.healthStartInterval, '--health-start-interval'],
  ];
  for (const [value, flag] of checks) if ((value ?? 0) < 0) throw usage(`${flag} cannot be negative`);
  return {
    ...(o.healthCmd ? { Test: ['CMD-SHELL', o.healthCmd] } : {}),
    Interval: o.healthInterval ?? 0,
    Timeout: o.healthTimeout ?? 0,
    StartPeriod: o.healthStartPeriod ?? 0,
    StartInterval: o.healthStartInterval ?? 0,
    Retries: o.healthRetries ?? 0,
  };
}

/**
 * The docker CLI's EffectiveCapAddCapDrop: names upper-cased with CAP_ (ALL
 * stays), duplicates gone, sorted; ALL trumps the rest of its list, and a
 * capability both added and dropped is added.
 */
function effectiveCaps(add: readonly string[], drop: readonly string[]): { add: string[]; drop: string[] } {
  const normalize = (caps: readonly string[]) => {
    const set = new Set(
      caps.map((c) => {
        const name = c.trim().toUpperCase();
        return name === 'ALL' || name.startsWith('CAP_') ? name : `CAP_${name}`;
      }),
    );
    return set.has('ALL') ? new Set(['ALL']) : set;
  };
  const added = normalize(add);
  const dropped = normalize(drop);
  return { add: [...added].sort(), drop: [...dropped].filter((c) => !added.has(c)).sort() };
}

function restartPolicy(
  value: string,
  usage: (m: string) => Error,
): { Name: string; MaximumRetryCount: number } {
  try {
    return parseRestartPolicy(value);
  } catch (err) {
    throw usage((err as Error).message);
  }
}

/** The Config and HostConfig fields these flags fill. */
export async function runtimeFlagsBody(
  o: RuntimeFlagOptions,
  command: 'run' | 'create',
): Promise<{ config: Record<string, unknown>; hostConfig: Record<string, unknown> }> {
  const usage = usageOf(command);
  if (o.cgroupns !== undefined && !['', 'host', 'private'].includes(o.cgroupns))
    throw usage('--cgroupns: invalid CGROUP mode');
  const health = healthcheck(o, usage);
  const caps = o.capAdd || o.capDrop ? effectiveCaps(o.capAdd ?? [], o.capDrop ?? []) : undefined;
  const defined = (fields: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  return {
    config: defined({ Healthcheck: health, Domainname: o.domainname }),
    hostConfig: defined({
      ...resourceFields(o),
      // The docker CLI's values for flags not given, which a HostConfig then shows.
      MemorySwappiness: o.memorySwappiness ?? -1,
      OomKillDisable: o.oomKillDisable ?? false,
      OomScoreAdj: o.oomScoreAdj,
      PidsLimit: o.pidsLimit ?? 0,
      ShmSize: o.shmSize,
      Ulimits: o.ulimit ?? [],
      // docker checks devices with the other flags taken together, not as flag values.
      Devices: (o.device ?? []).map((d) => {
        try {
          return parseDevice(d);
        } catch (err) {
          throw usage((err as Error).message);
        }
      }),
      DeviceCgroupRules: o.deviceCgroupRule,
      // The docker CLI sends these lists empty when not given.
      BlkioWeightDevice: o.blkioWeightDevice ?? [],
      BlkioDeviceReadBps: o.deviceReadBps ?? [],
      BlkioDeviceWriteBps: o.deviceWriteBps ?? [],
      BlkioDeviceReadIOps: o.deviceReadIops ?? [],
      BlkioDeviceWriteIOps: o.deviceWriteIops ?? [],
      DeviceRequests: o.gpus && [o.gpus],
      StorageOpt: o.storageOpt && keyValueMap(o.storageOpt, () => usage('invalid storage option')),
      CgroupParent: o.cgroupParent,
      CapAdd: caps?.add.length ? caps.add : undefined,
      CapDrop: caps?.drop.length ? caps.drop : undefined,
      SecurityOpt: o.securityOpt && (await securityOpts(o.securityOpt, usage)),
      ReadonlyRootfs: o.readOnly,
      GroupAdd: o.groupAdd,
      Sysctls: o.sysctl && keyValueMap(o.sysctl, (e) => usage(`sysctl '${e}' is not allowed`)),
      PidMode: o.pid,
      IpcMode: o.ipc,
      UTSMode: o.uts,
      UsernsMode: o.userns,
      CgroupnsMode: o.cgroupns,
      Runtime: o.runtime,
      RestartPolicy: o.restart === undefined ? undefined : restartPolicy(o.restart, usage),
    }),
  };
}
