/**
 * Where a registry is reached: the endpoints of a registry name, in the
 * order dockerd tries them. docker.io goes through `registry-mirrors` first
 * (pull only) and Docker Hub last; a registry listed in
 * `insecure-registries` (by host[:port] or by an address in a CIDR, with
 * 127.0.0.0/8 and ::1 insecure by default) is tried over HTTPS without
 * verification, then plain HTTP; any other over verified HTTPS with the CA
 * and client certificate from certs.d/HOST[:PORT]/, as /etc/docker/certs.d.
 */
import { lookup } from 'node:dns/promises';
import { readdir, readFile } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_DOMAIN } from '../images/reference.js';

/** TLS settings for one endpoint, as node:https takes them. */
export interface EndpointTls {
  ca?: Buffer[];
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized?: boolean;
}

/** One base URL a registry answers on. */
export interface Endpoint {
  /** `https://host[:port]/` (a mirror's URL as configured). */
  url: URL;
  /** The registry name this endpoint serves (`docker.io`, `localhost:5000`). */
  registry: string;
  tls?: EndpointTls;
  /** A registry-mirror: tried first for docker.io pulls, never for pushes. */
  mirror: boolean;
  /** Plain HTTP or unverified TLS is allowed for it. */
  insecure: boolean;
}

/** The daemon's registry settings (daemon.json), read anew for each operation so a reload applies. */
export interface RegistrySettings {
  mirrors: readonly string[];
  insecureRegistries: readonly string[];
  /** `/etc/berth/certs.d` unless set otherwise. */
  certsDir: string;
}

/** Docker Hub's API host: the registry behind the name docker.io. */
export const DOCKER_HUB_ENDPOINT = 'https://registry-1.docker.io/';
const DEFAULT_INSECURE_CIDRS = ['127.0.0.0/8', '::1/128'];

/** Resolves registry names to endpoints under the current settings. */
export class RegistryHosts {
  constructor(private readonly settings: () => RegistrySettings) {}

  /**
   * Endpoints for `registry`, in the order to try them. Pushes and logins
   * (`forPull` false) never use mirrors.
   */
  async endpoints(registry: string, options: { forPull: boolean }): Promise<Endpoint[]> {
    const settings = this.settings();
    const endpoints: Endpoint[] = [];
    if (registry === DEFAULT_DOMAIN) {
      if (options.forPull) {
        for (const mirror of settings.mirrors) {
          const url = new URL(mirror);
          const insecure = await this.isInsecure(url.host);
          endpoints.push({
            url,
            registry,
            mirror: true,
            insecure,
            tls: await this.tlsFor(url.host, insecure),
          });
        }
      }
      endpoints.push({
        url: new URL(DOCKER_HUB_ENDPOINT),
        registry,
        mirror: false,
        insecure: false,
        tls: await this.tlsFor(registry, false),
      });
      return endpoints;
    }
    const insecure = await this.isInsecure(registry);
    const tls = await this.tlsFor(registry, insecure);
    endpoints.push({ url: new URL(`https://${registry}/`), registry, mirror: false, insecure, tls });
    if (insecure) endpoints.push({ url: new URL(`http://${registry}/`), registry, mirror: false, insecure });
    return endpoints;
  }

  /** Whether `host` (host[:port]) is an insecure registry: listed by name, or an address in a listed CIDR. */
  async isInsecure(host: string): Promise<boolean> {
    const { insecureRegistries } = this.settings();
    if (insecureRegistries.includes(host)) return true;
    const hostname = hostnameOf(host);
    if (insecureRegistries.includes(hostname)) return true;
    const blocks = new BlockList();
    for (const entry of [...DEFAULT_INSECURE_CIDRS, ...insecureRegistries]) {
      const slash = entry.indexOf('/');
      if (slash < 0) continue;
      const address = entry.slice(0, slash);
      const family = isIP(address);
      if (family === 0) continue;
      blocks.addSubnet(address, Number(entry.slice(slash + 1)), family === 6 ? 'ipv6' : 'ipv4');
    }
    const addresses = isIP(hostname)
      ? [{ address: hostname, family: isIP(hostname) }]
      : await lookup(hostname, { all: true }).catch(() => []);
    return addresses.some(({ address, family }) => blocks.check(address, family === 6 ? 'ipv6' : 'ipv4'));
  }

  /** CA certificates and a client certificate from certs.d/HOST[:PORT]/, if any. */
  private async tlsFor(host: string, insecure: boolean): Promise<EndpointTls> {
    const tls: EndpointTls = insecure ? { rejectUnauthorized: false } : {};
    const dir = join(this.settings().certsDir, host);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return tls;
    }
    const ca: Buffer[] = [];
    for (const name of names.sort()) {
      if (name.endsWith('.crt')) ca.push(await readFile(join(dir, name)));
      if (name.endsWith('.cert')) {
        const keyName = `${name.slice(0, -'.cert'.length)}.key`;
        if (!names.includes(keyName))
          throw new Error(`missing key ${keyName} for client certificate ${name}`);
        tls.cert = await readFile(join(dir, name));
        tls.key = await readFile(join(dir, keyName));
      }
    }
    if (ca.length > 0) {
      // A certs.d CA adds to the system's roots, as dockerd's does.
      const { rootCertificates } = await import('node:tls');
      tls.ca = [...rootCertificates.map((pem) => Buffer.from(pem)), ...ca];
    }
    return tls;
  }
}

function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon > 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}
