import type { ContentReader } from '../../content/content.js';
import type { Descriptor } from '../../core/descriptor.js';
import type { Digest } from '../../core/digest.js';
import { invalidArgument } from '../../core/errors.js';
import type { ImageConfig } from '../config.js';
import type { Reference } from '../reference.js';
import type { ArchiveFile, ArchiveFiles } from './files.js';

/** One image found in an archive, before anything of it is stored. */
export interface ArchiveImage {
  configBytes: Buffer;
  configDigest: Digest;
  config: ImageConfig;
  /** The archive's own manifest for it (OCI layouts), or undefined when Berth must write one. */
  manifest?: { bytes: Buffer; descriptor: Descriptor };
  /** Layer files, bottom first, with their descriptors when a manifest gave them. */
  layers: { file: ArchiveFile; descriptor?: Descriptor }[];
  /** Names to give it, normalised and tagged. */
  tags: Reference[];
  /** The parent image ID a docker-save manifest names, if any. */
  parent?: Digest;
}

/** Where an OCI layout keeps the blob of `digest`. */
export function blobPath(digest: Digest): string {
  return `blobs/sha256/${digest.slice('sha256:'.length)}`;
}

/**
 * The bytes of a blob of an OCI layout, checked against its descriptor.
 * Blobs spooled into the content store were checked on the way in.
 */
export async function readLayoutBlob(
  files: ArchiveFiles,
  descriptor: Descriptor,
  content: ContentReader,
): Promise<Buffer> {
  const file = files.require(blobPath(descriptor.digest));
  if (file.digest !== descriptor.digest) {
    throw invalidArgument(`invalid archive: blob ${descriptor.digest} has digest ${file.digest}`);
  }
  const bytes = await files.bytes(blobPath(descriptor.digest), content);
  if (bytes.length !== descriptor.size) {
    throw invalidArgument(
      `invalid archive: blob ${descriptor.digest} is ${bytes.length} bytes, not ${descriptor.size}`,
    );
  }
  return bytes;
}
