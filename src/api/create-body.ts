/**
 * Type checks of a POST /containers/create body, as Go's encoding/json does them in
 * dockerd: a field of the wrong JSON type is a 400 naming the field and its type,
 * never a crash further in. Unknown fields are ignored and names match
 * case-insensitively, as in Go; null leaves a field unset.
 */
import { invalidArgument } from '../core/errors.js';

type Shape =
  | 'string'
  | 'bool'
  | 'int'
  | 'strslice'
  | { array: Shape }
  | { map: Shape }
  | { object: Record<string, Shape> };

const strings: Shape = { array: 'string' };
const stringMap: Shape = { map: 'string' };
const anyObject: Shape = { object: {} };
const throttleDevices: Shape = { array: { object: { Path: 'string', Rate: 'int' } } };

const HEALTHCHECK: Shape = {
  object: {
    Test: strings,
    Interval: 'int',
    Timeout: 'int',
    StartPeriod: 'int',
    StartInterval: 'int',
    Retries: 'int',
  },
};

const HOST_CONFIG: Shape = {
  object: {
    Binds: strings,
    ContainerIDFile: 'string',
    LogConfig: { object: { Type: 'string', Config: stringMap } },
    NetworkMode: 'string',
    PortBindings: { map: { array: { object: { HostIp: 'string', HostPort: 'string' } } } },
    RestartPolicy: { object: { Name: 'string', MaximumRetryCount: 'int' } },
    AutoRemove: 'bool',
    VolumeDriver: 'string',
    VolumesFrom: strings,
    ConsoleSize: { array: 'int' },
    Annotations: stringMap,
    CapAdd: 'strslice',
    CapDrop: 'strslice',
    CgroupnsMode: 'string',
    Dns: strings,
    DnsOptions: strings,
    DnsSearch: strings,
    ExtraHosts: strings,
    GroupAdd: strings,
    IpcMode: 'string',
    Cgroup: 'string',
    Links: strings,
    OomScoreAdj: 'int',
    PidMode: 'string',
    Privileged: 'bool',
    PublishAllPorts: 'bool',
    ReadonlyRootfs: 'bool',
    SecurityOpt: strings,
    StorageOpt: stringMap,
    Tmpfs: stringMap,
    UTSMode: 'string',
    UsernsMode: 'string',
    ShmSize: 'int',
    Sysctls: stringMap,
    Runtime: 'string',
    Isolation: 'string',
    CpuShares: 'int',
    Memory: 'int',
    NanoCpus: 'int',
    CgroupParent: 'string',
    BlkioWeight: 'int',
    BlkioWeightDevice: { array: { object: { Path: 'string', Weight: 'int' } } },
    BlkioDeviceReadBps: throttleDevices,
    BlkioDeviceWriteBps: throttleDevices,
    BlkioDeviceReadIOps: throttleDevices,
    BlkioDeviceWriteIOps: throttleDevices,
    CpuPeriod: 'int',
    CpuQuota: 'int',
    CpuRealtimePeriod: 'int',
    CpuRealtimeRuntime: 'int',
    CpusetCpus: 'string',
    CpusetMems: 'string',
    Devices: {
      array: { object: { PathOnHost: 'string', PathInContainer: 'string', CgroupPermissions: 'string' } },
    },
    DeviceCgroupRules: strings,
    DeviceRequests: { array: anyObject },
    MemoryReservation: 'int',
    MemorySwap: 'int',
    MemorySwappiness: 'int',
    OomKillDisable: 'bool',
    PidsLimit: 'int',
    Ulimits: { array: { object: { Name: 'string', Hard: 'int', Soft: 'int' } } },
    Mounts: { array: anyObject },
    MaskedPaths: strings,
    ReadonlyPaths: strings,
    Init: 'bool',
  },
};

const CREATE_REQUEST: Shape = {
  object: {
    Hostname: 'string',
    Domainname: 'string',
    User: 'string',
    AttachStdin: 'bool',
    AttachStdout: 'bool',
    AttachStderr: 'bool',
    ExposedPorts: { map: anyObject },
    Tty: 'bool',
    OpenStdin: 'bool',
    StdinOnce: 'bool',
    Env: strings,
    Cmd: 'strslice',
    Healthcheck: HEALTHCHECK,
    ArgsEscaped: 'bool',
    Image: 'string',
    Volumes: { map: anyObject },
    WorkingDir: 'string',
    Entrypoint: 'strslice',
    NetworkDisabled: 'bool',
    MacAddress: 'string',
    OnBuild: strings,
    Labels: stringMap,
    StopSignal: 'string',
    StopTimeout: 'int',
    Shell: strings,
    HostConfig: HOST_CONFIG,
    NetworkingConfig: { object: { EndpointsConfig: { map: anyObject } } },
  },
};

/** Go's name for a JSON value's kind in its unmarshal errors. */
function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return `number ${value}`;
  if (typeof value === 'boolean') return 'bool';
  return typeof value === 'object' ? 'object' : 'string';
}

const goType = (shape: Shape): string =>
  typeof shape === 'string'
    ? { string: 'string', bool: 'bool', int: 'int64', strslice: 'strslice.StrSlice' }[shape]
    : 'array' in shape
      ? `[]${goType(shape.array)}`
      : 'map' in shape
        ? `map[string]${goType(shape.map)}`
        : 'struct';

function mismatch(value: unknown, shape: Shape, field: string): never {
  throw invalidArgument(
    `json: cannot unmarshal ${jsonKind(value)} into Go struct field ${field} of type ${goType(shape)}`,
  );
}

function check(value: unknown, shape: Shape, field: string): void {
  if (value === null) return;
  if (shape === 'string') {
    if (typeof value !== 'string') mismatch(value, shape, field);
  } else if (shape === 'bool') {
    if (typeof value !== 'boolean') mismatch(value, shape, field);
  } else if (shape === 'int') {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) mismatch(value, shape, field);
  } else if (shape === 'strslice') {
    if (typeof value === 'string') return;
    if (!Array.isArray(value)) mismatch(value, shape, field);
    for (const item of value) check(item, 'string', field);
  } else if ('array' in shape) {
    if (!Array.isArray(value)) mismatch(value, shape, field);
    for (const item of value) check(item, shape.array, field);
  } else if ('map' in shape) {
    if (typeof value !== 'object' || Array.isArray(value)) mismatch(value, shape, field);
    for (const item of Object.values(value as object)) check(item, shape.map, field);
  } else {
    if (typeof value !== 'object' || Array.isArray(value)) mismatch(value, shape, field);
    const fields = new Map(
      Object.entries(shape.object).map(([name, s]) => [name.toLowerCase(), [name, s] as const]),
    );
    for (const [key, item] of Object.entries(value as object)) {
      const known = fields.get(key.toLowerCase());
      if (known) check(item, known[1], `${field}.${known[0]}`);
    }
  }
}

/** Throws InvalidArgument, in dockerd's words, for a create body with a field of the wrong type. */
export function checkCreateBody(body: unknown): void {
  if (body === undefined || body === null) return;
  if (typeof body !== 'object' || Array.isArray(body))
    throw invalidArgument(
      `json: cannot unmarshal ${jsonKind(body)} into Go value of type container.CreateRequest`,
    );
  check(body, CREATE_REQUEST, 'CreateRequest');
}
