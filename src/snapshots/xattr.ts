import { getAttribute, listAttributes, setAttribute } from '@napi-rs/xattr';
import { wrap } from '../core/errors.js';

/*
 * Node has no xattr API. We use @napi-rs/xattr: a Node-API addon (stable ABI,
 * so one build serves Node 20 and later) whose prebuilt Linux binaries come
 * from the npm registry itself, with no compiler or download at install. It
 * calls lgetxattr/lsetxattr, so a symlink's own attributes are read and
 * written, never its target's, and runs them on libuv's thread pool.
 */

/** Marks an overlayfs upper directory as opaque: lower directories are not merged into it. */
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

/** File capabilities; the one attribute Docker carries in layers. */
export const CAPABILITY_XATTR = 'security.capability';

/** Sets an extended attribute on `path` itself (a symlink is not followed). */
export async function setXattr(path: string, name: string, value: Buffer): Promise<void> {
  try {
    await setAttribute(path, name, value);
  } catch (err) {
    throw wrap(err, `failed to set extended attribute ${name} on ${path}`);
  }
}

/** An extended attribute of `path` itself, or undefined when it has none by that name. */
export async function getXattr(path: string, name: string): Promise<Buffer | undefined> {
  return (await getAttribute(path, name)) ?? undefined;
}

/** Names of the extended attributes of `path` itself. */
export async function listXattrs(path: string): Promise<string[]> {
  try {
    return await listAttributes(path);
  } catch (err) {
    throw wrap(err, `failed to list extended attributes of ${path}`);
  }
}
