import { invalidArgument } from '../core/errors.js';
import { parseHumanSize } from '../core/units.js';
import { keeperPipePath } from '../runtime/logs/keeper.js';
import { keptLog, type LogRotation, monitorLogSizeMax } from '../runtime/logs/rotation.js';

/** HostConfig.LogConfig as Docker stores it. */
export interface LogConfig {
  Type: string;
  Config: Record<string, string>;
}

/** The drivers Berth has; conmon writes the file for json-file and local, nothing for none. */
const DRIVERS = new Set(['json-file', 'local', 'none']);
const FILE_OPTS = [
  'max-size',
  'max-file',
  'compress',
  'labels',
  'labels-regex',
  'env',
  'env-regex',
  'tag',
  'mode',
  'max-buffer-size',
];
/** The local driver rotates by default (dockerd: 20 MB, 5 files); json-file grows without limit. */
const LOCAL_DEFAULT_MAX_SIZE = '20m';
const LOCAL_DEFAULT_MAX_FILE = '5';

/**
 * The log config a new container gets, as dockerd merges it: the request's
 * type, else the daemon's; the daemon's options only when the type is the
 * daemon's and the request gave none. Unknown drivers and options fail
 * with dockerd's messages.
 */
export function resolveLogConfig(requested: Partial<LogConfig> | undefined, daemon: LogConfig): LogConfig {
  const type = requested?.Type || daemon.Type;
  const requestedOpts = requested?.Config ?? {};
  const config =
    Object.keys(requestedOpts).length === 0 && type === daemon.Type
      ? { ...daemon.Config }
      : { ...requestedOpts };
  if (!DRIVERS.has(type))
    throw invalidArgument(`error looking up logging plugin ${type}: plugin "${type}" not found`);
  if (type !== 'none') {
    for (const name of Object.keys(config)) {
      if (!FILE_OPTS.includes(name))
        throw invalidArgument(`unknown log opt '${name}' for ${type} log driver`);
    }
    if (config['max-size'] !== undefined) maxSizeOf(config['max-size']);
    const maxFile = config['max-file'];
    if (maxFile !== undefined && (!/^\d+$/.test(maxFile) || Number(maxFile) < 1))
      throw invalidArgument(`max-file must be a positive integer`);
  }
  return { Type: type, Config: config };
}

function maxSizeOf(text: string): number {
  let size: number;
  try {
    size = parseHumanSize(text);
  } catch (err) {
    throw invalidArgument(`invalid max-size: ${text}`, err);
  }
  if (size <= 0) throw invalidArgument(`max-size must be a positive number`);
  return size;
}

/**
 * The rotation a file driver asks for: max-size (the local driver's default
 * when unset) and max-file (1 unless set; the local driver's default 5).
 * Undefined when there is no size limit.
 */
export function logRotationOf(config: LogConfig): LogRotation | undefined {
  if (config.Type === 'none') return undefined;
  const local = config.Type === 'local';
  const maxSize = config.Config['max-size'] ?? (local ? LOCAL_DEFAULT_MAX_SIZE : undefined);
  if (maxSize === undefined) return undefined;
  const maxFile = config.Config['max-file'] ?? (local ? LOCAL_DEFAULT_MAX_FILE : '1');
  return { maxSize: maxSizeOf(maxSize), maxFile: Number(maxFile) };
}

/**
 * What the monitor is told: no output kept for `none`; for the file drivers
 * with a max-size and one file, the bytes after which conmon starts the file
 * over (Docker truncates then too); with max-file ≥ 2, the FIFO of the log
 * keeper that writes and rotates the files (runtime/logs/rotation.ts).
 */
export function monitorLogOptions(
  config: LogConfig,
  logPath: string | undefined,
): {
  logDriver: 'k8s-file' | 'none';
  logPath?: string;
  logSizeMax?: number;
  syncLogOnExit?: boolean;
} {
  if (config.Type === 'none') return { logDriver: 'none' };
  const rotation = logRotationOf(config);
  if (!rotation) return { logDriver: 'k8s-file' };
  // conmon's fsync at the exit fails on a FIFO (EINVAL): the keeper syncs the file itself.
  if (logPath && keptLog(rotation))
    return { logDriver: 'k8s-file', logPath: keeperPipePath(logPath), syncLogOnExit: false };
  const logSizeMax = monitorLogSizeMax(rotation);
  return logSizeMax ? { logDriver: 'k8s-file', logSizeMax } : { logDriver: 'k8s-file' };
}
