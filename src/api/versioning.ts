/** The Engine API versions this daemon speaks. */
export const API_VERSION = '1.45';
export const MIN_API_VERSION = '1.24';

const PREFIX = /^\/v(\d+)\.(\d+)(\/.*)?$/;

export interface VersionedPath {
  /** The path without its /vX.Y prefix. */
  path: string;
  /** The requested version, or undefined for an unversioned path (meaning the current one). */
  version: string | undefined;
}

export function splitVersion(url: string): VersionedPath {
  const q = url.indexOf('?');
  const pathname = q < 0 ? url : url.slice(0, q);
  const m = PREFIX.exec(pathname);
  if (!m) return { path: url, version: undefined };
  const rest = (m[3] ?? '/') + (q < 0 ? '' : url.slice(q));
  return { path: rest, version: `${Number(m[1])}.${Number(m[2])}` };
}

export function compareVersions(a: string, b: string): number {
  const [amaj = 0, amin = 0] = a.split('.').map(Number);
  const [bmaj = 0, bmin = 0] = b.split('.').map(Number);
  return amaj - bmaj || amin - bmin;
}

/** dockerd's messages for a version outside the supported range, or undefined when it is fine. */
export function versionError(version: string): string | undefined {
  if (compareVersions(version, API_VERSION) > 0) {
    return `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`;
  }
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    return `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`;
  }
  return undefined;
}
