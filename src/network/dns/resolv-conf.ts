import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';

/** The parts of a resolv.conf that Berth reads and writes. */
export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

/** The systemd-resolved stub listener, which only the host itself can reach. */
const RESOLVED_STUB = '127.0.0.53';
/** Where systemd-resolved lists the real upstream servers. */
const RESOLVED_UPSTREAM_FILE = '/run/systemd/resolve/resolv.conf';
/** Docker's fallback when the host has no resolver a container can reach. */
export const FALLBACK_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

/** Parses resolv.conf text; the last `search`/`domain` line wins, as in glibc. */
export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [keyword, ...values] = line.split(/\s+/);
    if (keyword === 'nameserver' && values[0] && isIP(values[0].split('%')[0] ?? '')) {
      conf.nameservers.push(values[0]);
    } else if (keyword === 'search' || keyword === 'domain') {
      conf.search = values;
    } else if (keyword === 'options') {
      conf.options.push(...values);
    }
  }
  return conf;
}

/**
 * The host's resolver configuration. When /etc/resolv.conf only points at
 * systemd-resolved's stub (127.0.0.53), the real upstream list is read from
 * resolved's own file, as dockerd does.
 */
export async function readHostResolvConf(
  path = '/etc/resolv.conf',
  resolvedUpstreamFile = RESOLVED_UPSTREAM_FILE,
): Promise<ResolvConf> {
  const conf = parseResolvConf(await readFile(path, 'utf8').catch(() => ''));
  const onlyStub =
    conf.nameservers.length > 0 && conf.nameservers.every((server) => server === RESOLVED_STUB);
  if (!onlyStub) return conf;
  const upstream = parseResolvConf(await readFile(resolvedUpstreamFile, 'utf8').catch(() => ''));
  return upstream.nameservers.length > 0 ? { ...conf, nameservers: upstream.nameservers } : conf;
}

/**
 * The nameservers a container in its own network namespace can use: the
 * host's minus loopback ones (they would be the container's own loopback),
 * or Docker's public fallback when none is left.
 */
export function reachableNameservers(nameservers: readonly string[]): string[] {
  const reachable = nameservers.filter((server) => !isLoopback(server));
  return reachable.length > 0 ? reachable : [...FALLBACK_NAMESERVERS];
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}

/** Renders a resolv.conf. */
export function renderResolvConf(conf: ResolvConf, header: string): string {
  const lines = [header, ...conf.nameservers.map((server) => `nameserver ${server}`)];
  if (conf.search.length > 0) lines.push(`search ${conf.search.join(' ')}`);
  if (conf.options.length > 0) lines.push(`options ${conf.options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}
