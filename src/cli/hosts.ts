import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_HOST = 'unix:///run/berth.sock';

export interface TlsOptions {
  verify: boolean;
  caCert?: string;
  cert?: string;
  key?: string;
}

export interface Endpoint {
  /** As the user wrote it, for messages: unix:///run/berth.sock, tcp://1.2.3.4:2376 */
  address: string;
  socketPath?: string;
  host?: string;
  port?: number;
  tls?: TlsOptions;
}

/**
 * Picks the daemon to talk to: -H, then BERTH_HOST, then DOCKER_HOST, then the
 * default socket. TLS follows docker's flags and DOCKER_TLS_VERIFY / DOCKER_CERT_PATH.
 */
export function resolveEndpoint(options: {
  host?: string | undefined;
  env?: NodeJS.ProcessEnv;
  tls?: boolean | undefined;
  tlsVerify?: boolean | undefined;
  tlsCaCert?: string | undefined;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
}): Endpoint {
  const env = options.env ?? process.env;
  const address = options.host || env.BERTH_HOST || env.DOCKER_HOST || DEFAULT_HOST;
  if (address.startsWith('unix://')) return { address, socketPath: address.slice(7) };
  if (address.startsWith('/')) return { address: `unix://${address}`, socketPath: address };
  const m = /^(?:tcp|https?):\/\/\[?([^\]/]*?)\]?(?::(\d+))?\/?$/.exec(address);
  if (!m) throw new Error(`unable to parse docker host \`${address}\``);
  const verify = options.tlsVerify ?? (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '');
  const useTls = verify || options.tls === true || address.startsWith('https://');
  const certDir = env.DOCKER_CERT_PATH || join(homedir(), '.docker');
  const endpoint: Endpoint = {
    address,
    host: m[1] || '127.0.0.1',
    port: Number(m[2] ?? (useTls ? 2376 : 2375)),
  };
  if (useTls) {
    endpoint.tls = {
      verify,
      caCert: options.tlsCaCert ?? join(certDir, 'ca.pem'),
      cert: options.tlsCert ?? join(certDir, 'cert.pem'),
      key: options.tlsKey ?? join(certDir, 'key.pem'),
    };
  }
  return endpoint;
}
