import type { Stats } from 'node:fs';

/*
 * Whiteouts in the two forms a layer takes (OCI image spec, "Whiteouts"): in
 * a layer tar, `.wh.NAME` deletes NAME of lower layers and `.wh..wh..opq`
 * hides every lower entry of its directory; on an overlayfs upper directory,
 * a 0/0 character device and the `trusted.overlay.opaque=y` xattr do that.
 */

/** Prefix of a whiteout entry's base name in a layer tar. */
export const WHITEOUT_PREFIX = '.wh.';

/** Base name of the entry that makes its directory opaque. */
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

/** True for overlayfs's whiteout: a character device with device number 0/0. */
export function isOverlayWhiteout(stats: Stats): boolean {
  return stats.isCharacterDevice() && stats.rdev === 0;
}
