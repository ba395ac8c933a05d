import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Paths Docker masks in every unprivileged container (moby
 * daemon/pkg/oci/defaults.go): the runtime bind-mounts /dev/null over files
 * and an empty read-only tmpfs over directories, so they leak nothing about
 * the host (kernel memory, keys, timers, hardware, firmware, power usage).
 */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/sys/devices/virtual/powercap',
  '/sys/firmware',
];

/** Paths Docker remounts read-only: kernel knobs a container must not change. */
export const DEFAULT_READONLY_PATHS: readonly string[] = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

/**
 * The per-CPU thermal_throttle directories of this host, which Docker masks
 * too (they expose CPU activity to other tenants; GHSA-6fw5-f8r9-fgfm).
 */
export async function hostThermalThrottlePaths(cpuRoot = '/sys/devices/system/cpu'): Promise<string[]> {
  const names = await readdir(cpuRoot).catch(() => [] as string[]);
  const cpus = names
    .filter((name) => /^cpu\d+$/.test(name))
    .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
  const paths = cpus.map((cpu) => join(cpuRoot, cpu, 'thermal_throttle'));
  const present = await Promise.all(
    paths.map((path) =>
      access(path).then(
        () => true,
        () => false,
      ),
    ),
  );
  return paths.filter((_, i) => present[i]);
}
