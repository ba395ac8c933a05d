import { readFile } from 'node:fs/promises';
import { invalidArgument, wrap } from '../core/errors.js';
import { runCommand } from '../core/exec.js';

/** Options `docker volume create -d local -o …` accepts. */
const LOCAL_OPTIONS = new Set(['type', 'device', 'o']);

/**
 * Checks local driver options as dockerd does: only type, device and o;
 * a type needs a device and a device needs a type (tmpfs takes "tmpfs").
 */
export function checkLocalOptions(options: Record<string, string>): void {
  for (const key of Object.keys(options)) {
    if (!LOCAL_OPTIONS.has(key)) throw invalidArgument(`invalid option: "${key}"`);
  }
  const { type, device } = options;
  if (type && !device) throw invalidArgument('missing required option: "device"');
  if (device && !type) throw invalidArgument('missing required option: "type"');
  if (options['o']?.split(',').includes('bind') && device && !device.startsWith('/')) {
    throw invalidArgument(`invalid device for a bind volume: "${device}" is not an absolute path`);
  }
}

/** Whether the volume's data lives on a device mounted at first use. */
export function needsDeviceMount(options: Record<string, string>): boolean {
  return Boolean(options['type'] || options['device']);
}

/**
 * Mounts a volume's device on its data directory, as the local driver does:
 * `mount -t <type> -o <o> <device> <dir>` (type "none" with o=bind is a bind mount).
 */
export async function mountDevice(options: Record<string, string>, dir: string): Promise<void> {
  const args: string[] = [];
  if (options['type'] && options['type'] !== 'none') args.push('-t', options['type']);
  if (options['o']) args.push('-o', options['o']);
  if (options['type'] === 'none' && !options['o']?.split(',').includes('bind')) args.push('--bind');
  try {
    await runCommand('mount', [...args, options['device'] ?? '', dir]);
  } catch (err) {
    throw wrap(err, `failed to mount volume device ${options['device']} on ${dir}`);
  }
}

/** Unmounts whatever is mounted on `dir` (lazily if it is busy). */
export async function unmountDevice(dir: string): Promise<void> {
  if (!(await isMountPoint(dir))) return;
  await runCommand('umount', [dir]).catch(() => runCommand('umount', ['--lazy', dir]));
}

/** Whether something is mounted exactly at `path` (per /proc/self/mountinfo). */
export async function isMountPoint(path: string): Promise<boolean> {
  return (await mountPointsUnder(path)).includes(path);
}

/** Mount points at or below `path`. */
export async function mountPointsUnder(path: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info
    .split('\n')
    .map((line) => unescapeMountPath(line.split(' ')[4] ?? ''))
    .filter((point) => point === path || point.startsWith(`${path}/`));
}

// mountinfo escapes space, tab, newline and backslash as octal.
function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}
