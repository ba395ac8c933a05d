import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Logger } from '../../core/logger.js';

const run = promisify(execFile);

export interface HostPreparation {
  ipForward: boolean;
  bridgeNfIptables: boolean;
  bridgeNfIp6tables: boolean;
  /** Messages for `info`'s Warnings, in dockerd's words. */
  warnings: string[];
}

async function readFlag(path: string): Promise<boolean> {
  return (await readFile(path, 'utf8').catch(() => '0')).trim() === '1';
}

async function enable(path: string, log: Logger): Promise<boolean> {
  if (await readFlag(path)) return true;
  try {
    await writeFile(path, '1\n');
  } catch (err) {
    log.warn(`could not enable ${path}`, { error: err });
  }
  return readFlag(path);
}

/**
 * Prepares the host as dockerd does at start: IP forwarding for NAT, and
 * br_netfilter so iptables sees bridged traffic. Failures are warnings, never fatal.
 */
export async function prepareHost(options: { ipForward: boolean; log: Logger }): Promise<HostPreparation> {
  const { log } = options;
  const warnings: string[] = [];
  const ipForward = options.ipForward
    ? await enable('/proc/sys/net/ipv4/ip_forward', log)
    : await readFlag('/proc/sys/net/ipv4/ip_forward');
  if (!ipForward) warnings.push('WARNING: IPv4 forwarding is disabled');

  const nfPath = '/proc/sys/net/bridge/bridge-nf-call-iptables';
  if (
    !(await readFile(nfPath).then(
      () => true,
      () => false,
    ))
  ) {
    await run('modprobe', ['br_netfilter']).catch((err: unknown) => {
      log.warn('br_netfilter module could not be loaded', { error: err });
    });
  }
  const bridgeNfIptables = await enable(nfPath, log);
  const bridgeNfIp6tables = await enable('/proc/sys/net/bridge/bridge-nf-call-ip6tables', log);
  if (!bridgeNfIptables) warnings.push('WARNING: bridge-nf-call-iptables is disabled');
  if (!bridgeNfIp6tables) warnings.push('WARNING: bridge-nf-call-ip6tables is disabled');
  return { ipForward, bridgeNfIptables, bridgeNfIp6tables, warnings };
}
