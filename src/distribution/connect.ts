/**
 * Choosing the endpoint of an operation: each endpoint of the registry is
 * tried in order (mirrors, then the registry; HTTPS, then HTTP for an
 * insecure one) until one answers the operation's first step. Mirrors fall
 * back on any failure; the registry itself only on failures to connect.
 * The error after the last endpoint names what was tried.
 */
import { ErrorKind, isAbortError, isKind, unavailable } from '../core/errors.js';
import type { AuthConfig } from './auth-config.js';
import type { Endpoint, RegistryHosts } from './endpoints.js';
import { RepositoryClient } from './repository.js';
import { RegistrySession, type SessionShared } from './session.js';

/** What an operation works on. */
export interface RepositoryTarget {
  /** `docker.io`, `localhost:5000`. */
  registry: string;
  /** `library/busybox`. */
  path: string;
}

/** How long an endpoint that could not be reached is tried last. */
const UNREACHABLE_MEMORY_MS = 60_000;

/** Opens repository clients on the first endpoint that works. */
export class RegistryConnector {
  private readonly unreachable = new Map<string, number>();

  constructor(
    readonly hosts: RegistryHosts,
    private readonly shared: SessionShared,
  ) {}

  /**
   * Runs `first` against each endpoint until one succeeds; returns its result
   * and the client to carry on with. `actions` are the token scope's (`pull`,
   * `pull,push`); `extraScopes` add others (a mount's source repository).
   */
  async open<T>(
    target: RepositoryTarget,
    auth: AuthConfig,
    options: { forPull: boolean; actions: string; extraScopes?: string[] },
    first: (repo: RepositoryClient) => Promise<T>,
  ): Promise<{ repo: RepositoryClient; value: T }> {
    const endpoints = this.ordered(await this.hosts.endpoints(target.registry, { forPull: options.forPull }));
    const scopes = [
      ...(target.path ? [`repository:${target.path}:${options.actions}`] : []),
      ...(options.extraScopes ?? []),
    ];
    const failures: { endpoint: Endpoint; error: unknown }[] = [];
    for (const [index, endpoint] of endpoints.entries()) {
      const repo = new RepositoryClient(
        new RegistrySession(endpoint, auth, scopes, this.shared),
        target.path,
      );
      try {
        return { repo, value: await first(repo) };
      } catch (err) {
        if (isAbortError(err) || isKind(err, ErrorKind.Canceled)) throw err;
        const last = index === endpoints.length - 1;
        const connectFailure = isConnectFailure(err);
        if (connectFailure) this.unreachable.set(endpoint.url.href, Date.now());
        if (last || !(endpoint.mirror || connectFailure)) throw withTried(err, endpoint, failures);
        failures.push({ endpoint, error: err });
      }
    }
    throw unavailable(`no endpoint for registry ${target.registry}`);
  }

  /** Endpoints that failed to connect lately go last (an insecure registry's HTTPS, a dead mirror). */
  private ordered(endpoints: Endpoint[]): Endpoint[] {
    const now = Date.now();
    const recentlyDown = (e: Endpoint) =>
      now - (this.unreachable.get(e.url.href) ?? 0) < UNREACHABLE_MEMORY_MS;
    // Mirrors keep their configured order; only an insecure registry's https/http pair is swapped.
    return endpoints
      .filter((e) => e.mirror || !recentlyDown(e))
      .concat(endpoints.filter((e) => !e.mirror && recentlyDown(e)));
  }
}

/** Errors below HTTP: refused, reset, DNS, TLS. */
export function isConnectFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (
    typeof code === 'string' &&
    /^(E[A-Z_]+|ERR_SSL_.*|ERR_TLS_.*|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_.*|CERT_.*)$/.test(
      code,
    )
  )
    return true;
  return err instanceof Error && /timeout talking to|socket hang up|wrong version number/i.test(err.message);
}

function isTlsFailure(err: unknown): boolean {
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  return (
    /SSL|TLS|CERT|SELF_SIGNED|UNABLE_TO/.test(code) ||
    /wrong version number|certificate/i.test(String((err as Error)?.message))
  );
}

/** The final error, with the registry named, a TLS hint and the mirrors that were tried. */
function withTried(
  err: unknown,
  endpoint: Endpoint,
  failures: readonly { endpoint: Endpoint; error: unknown }[],
): unknown {
  if (!isConnectFailure(err)) return err;
  const message = (err as Error).message;
  let text = `Get "${new URL('/v2/', endpoint.url).href}": ${message}`;
  if (isTlsFailure(err) && !endpoint.insecure) {
    text += ` (if ${endpoint.registry} uses plain HTTP or a certificate you do not trust, add it to "insecure-registries" in daemon.json, or put its CA in certs.d/${endpoint.url.host}/ca.crt)`;
  }
  const mirrors = failures.filter((f) => f.endpoint.mirror);
  if (mirrors.length > 0) {
    text += `; mirrors tried: ${mirrors.map((f) => `${f.endpoint.url.href} (${(f.error as Error).message})`).join(', ')}`;
  }
  return unavailable(text, err);
}
