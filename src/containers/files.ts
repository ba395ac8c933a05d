import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Nameservers from the host's resolv.conf that work inside a network namespace (not loopback). */
async function hostResolvConf(): Promise<string> {
  const text = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  const lines = text.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1)/.test(l));
  const hasNameserver = lines.some((l) => /^\s*nameserver\s/.test(l));
  // Docker's fallback when the host has none usable.
  if (!hasNameserver) lines.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4');
  return `${lines.join('\n').trim()}\n`;
}

export interface ContainerFilePaths {
  hostname: string;
  hosts: string;
  resolvConf: string;
}

/**
 * Writes /etc/hostname, /etc/hosts and /etc/resolv.conf for a container
 * into its directory; the spec bind-mounts them.
 */
export async function writeContainerFiles(
  dir: string,
  options: {
    hostname: string;
    extraHosts: string[];
    dns: string[];
    dnsSearch: string[];
    dnsOptions: string[];
    hostNetwork: boolean;
  },
): Promise<ContainerFilePaths> {
  const paths = {
    hostname: join(dir, 'hostname'),
    hosts: join(dir, 'hosts'),
    resolvConf: join(dir, 'resolv.conf'),
  };
  await writeFile(paths.hostname, `${options.hostname}\n`);
  const hosts = options.hostNetwork
    ? await readFile('/etc/hosts', 'utf8').catch(() => '127.0.0.1\tlocalhost\n')
    : [
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        'fe00::0\tip6-localnet',
        'ff00::0\tip6-mcastprefix',
        'ff02::1\tip6-allnodes',
        'ff02::2\tip6-allrouters',
        ...options.extraHosts.map((h) => {
          const i = h.indexOf(':');
          return `${h.slice(i + 1)}\t${h.slice(0, i)}`;
        }),
        '',
      ].join('\n');
  await writeFile(paths.hosts, hosts);
  let resolv = await hostResolvConf();
  if (options.dns.length || options.dnsSearch.length || options.dnsOptions.length) {
    resolv = [
      ...options.dns.map((d) => `nameserver ${d}`),
      ...(options.dnsSearch.length ? [`search ${options.dnsSearch.join(' ')}`] : []),
      ...(options.dnsOptions.length ? [`options ${options.dnsOptions.join(' ')}`] : []),
      '',
    ].join('\n');
  }
  await writeFile(paths.resolvConf, resolv);
  return paths;
}
