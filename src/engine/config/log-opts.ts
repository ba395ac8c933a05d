/**
 * The default log driver's options (log-opts), checked the way dockerd's
 * logger factory and the json-file/local drivers check them, but at daemon
 * start rather than at the first container start.
 */

import { parseHumanSize, parseRamSize } from '../../core/units.js';
import { ConfigValueError } from './config-error.js';

// Options every driver accepts (logger.ValidateLogOpts and the common attributes).
const COMMON_OPTS = ['mode', 'max-buffer-size', 'env', 'env-regex', 'labels', 'labels-regex', 'tag'];
// Drivers that rotate files themselves: json-file and local.
const FILE_DRIVER_OPTS = [...COMMON_OPTS, 'max-size', 'max-file', 'compress'];
const FILE_DRIVERS = new Set(['json-file', 'local']);

// strconv.ParseBool's accepted spellings.
const GO_BOOLEANS: Readonly<Record<string, boolean>> = {
  '1': true,
  t: true,
  T: true,
  TRUE: true,
  true: true,
  True: true,
  '0': false,
  f: false,
  F: false,
  FALSE: false,
  false: false,
  False: false,
};

/** Throws a ConfigValueError on log-opts.<name> for an invalid option of `driver`. */
export function validateLogOpts(driver: string, opts: Readonly<Record<string, string>>): void {
  if (driver === 'none') return;
  checkMode(opts);
  if (!FILE_DRIVERS.has(driver)) return;
  for (const name of Object.keys(opts)) {
    if (!FILE_DRIVER_OPTS.includes(name)) {
      throw new ConfigValueError(`log-opts.${name}`, `unknown log opt '${name}' for ${driver} log driver`);
    }
  }
  const maxSize = opts['max-size'] === undefined ? undefined : checkMaxSize(opts['max-size']);
  const maxFile = opts['max-file'] === undefined ? undefined : checkMaxFile(opts['max-file']);
  if (opts['compress'] !== undefined) checkCompress(opts['compress'], driver, maxSize, maxFile);
}

function checkMode(opts: Readonly<Record<string, string>>): void {
  const mode = opts['mode'] ?? '';
  if (mode !== '' && mode !== 'blocking' && mode !== 'non-blocking') {
    throw new ConfigValueError('log-opts.mode', `logging mode not supported: ${mode}`);
  }
  const bufferSize = opts['max-buffer-size'];
  if (bufferSize === undefined) return;
  if (mode !== 'non-blocking') {
    throw new ConfigValueError('log-opts.max-buffer-size', "only supported with 'mode=non-blocking'");
  }
  sizeOf('log-opts.max-buffer-size', bufferSize, parseRamSize);
}

// json-file and local parse max-size with go-units FromHumanSize (1k = 1000 bytes).
function checkMaxSize(text: string): number {
  const size = sizeOf('log-opts.max-size', text, parseHumanSize);
  if (size <= 0) throw new ConfigValueError('log-opts.max-size', `"${text}": must be a positive size`);
  return size;
}

function checkMaxFile(text: string): number {
  if (!/^[+-]?\d+$/.test(text) || Number(text) < 1) {
    throw new ConfigValueError('log-opts.max-file', `"${text}": must be a positive integer`);
  }
  return Number(text);
}

function checkCompress(text: string, driver: string, maxSize?: number, maxFile?: number): void {
  const compress = GO_BOOLEANS[text];
  if (compress === undefined) {
    throw new ConfigValueError('log-opts.compress', `"${text}": must be a boolean ("true" or "false")`);
  }
  if (!compress) return;
  // local rotates by default; json-file only rotates when both limits are set.
  const rotates = driver === 'local' ? (maxFile ?? 5) > 1 : (maxFile ?? 1) > 1 && maxSize !== undefined;
  if (!rotates) {
    throw new ConfigValueError(
      'log-opts.compress',
      'compression needs log rotation: set max-file to 2 or more (and max-size for json-file)',
    );
  }
}

function sizeOf(key: string, text: string, parse: (text: string) => number): number {
  try {
    return parse(text);
  } catch (err) {
    throw new ConfigValueError(key, `invalid size "${text}": ${err instanceof Error ? err.message : err}`);
  }
}
