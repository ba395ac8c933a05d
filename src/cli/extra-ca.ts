import { readFileSync } from 'node:fs';

/**
 * bin/berth moves NODE_EXTRA_CA_CERTS to this variable before it starts
 * Node: Node 20 reads and parses that file at start-up, before any code
 * runs (~40 ms for a distribution's whole CA bundle), though only a TLS
 * connection needs it. The CLI puts the variable back for the processes it
 * starts and adds the certificates itself when it opens a TLS connection.
 */
const DEFERRED = 'BERTH_DEFERRED_NODE_EXTRA_CA_CERTS';

let deferredPath: string | undefined;

/** Restores NODE_EXTRA_CA_CERTS in the environment, remembering that Node has not loaded it. */
export function restoreExtraCaCerts(): void {
  const path = process.env[DEFERRED];
  if (path === undefined) return;
  delete process.env[DEFERRED];
  process.env['NODE_EXTRA_CA_CERTS'] = path;
  if (path !== '') deferredPath = path;
}

/**
 * The CA set a TLS connection without its own CA file trusts: Node's roots
 * plus the deferred extra certificates; undefined when Node loaded them
 * itself (or there are none), so its defaults apply.
 */
export function deferredCaSet(rootCertificates: readonly string[]): Array<string | Buffer> | undefined {
  if (deferredPath === undefined) return undefined;
  try {
    return [...rootCertificates, readFileSync(deferredPath)];
  } catch (err) {
    // Node's own words when it cannot load the file, and it goes on without it.
    process.emitWarning(
      `Ignoring extra certs from \`${deferredPath}\`, load failed: ${(err as Error).message}`,
    );
    deferredPath = undefined;
    return undefined;
  }
}
