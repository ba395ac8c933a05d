/**
 * `docker save` archives: a `manifest.json` listing each image's config file,
 * tags and layer files. Docker 20.10 names them `<hex>.json` and
 * `<v1 id>/layer.tar` (buildah makes those symlinks); Docker 25+ points into
 * an OCI layout (`blobs/sha256/<hex>`) stored beside it.
 */
import type { ContentReader } from '../../content/content.js';
import { type Digest, isDigest, sha256Of } from '../../core/digest.js';
import { invalidArgument } from '../../core/errors.js';
import { parseImageConfig } from '../config.js';
import { parseNormalizedNamed, type Reference } from '../reference.js';
import type { ArchiveImage } from './archive-image.js';
import type { ArchiveFiles } from './files.js';

/** The name of the file that makes an archive a docker-save archive. */
export const DOCKER_MANIFEST = 'manifest.json';

/** One entry of manifest.json. */
export interface DockerManifestItem {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
  Parent?: string;
}

/** Reads the images of a docker-save archive, in manifest order. */
export async function readDockerSave(files: ArchiveFiles, content: ContentReader): Promise<ArchiveImage[]> {
  const items = parseDockerManifest(await files.bytes(DOCKER_MANIFEST, content));
  const images: ArchiveImage[] = [];
  for (const item of items) images.push(await readItem(files, item, content));
  return images;
}

function parseDockerManifest(bytes: Buffer): DockerManifestItem[] {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw invalidArgument(`invalid manifest.json: ${err instanceof Error ? err.message : String(err)}`);
  }
  // dockerd's words: a null manifest usually means a bug, so it is not taken as empty.
  if (value === null) throw invalidArgument('invalid manifest, manifest cannot be null (but can be [])');
  if (!Array.isArray(value)) throw invalidArgument('invalid manifest.json: not a list');
  for (const item of value as Partial<DockerManifestItem>[]) {
    if (typeof item?.Config !== 'string')
      throw invalidArgument('invalid manifest.json: an entry has no Config');
    if (!Array.isArray(item.Layers) || !item.Layers.every((layer) => typeof layer === 'string')) {
      throw invalidArgument('invalid manifest.json: Layers must be a list of paths');
    }
    if (item.RepoTags != null && !Array.isArray(item.RepoTags)) {
      throw invalidArgument('invalid manifest.json: RepoTags must be a list');
    }
  }
  return value as DockerManifestItem[];
}

async function readItem(files: ArchiveFiles, item: DockerManifestItem, content: ContentReader) {
  const configBytes = await files.bytes(item.Config, content);
  const config = parseImageConfig(configBytes);
  if (item.Layers.length !== config.rootfs.diff_ids.length) {
    throw invalidArgument(
      `invalid manifest, layers length mismatch: expected ${item.Layers.length}, got ${config.rootfs.diff_ids.length}`,
    );
  }
  const image: ArchiveImage = {
    configBytes,
    configDigest: sha256Of(configBytes),
    config,
    layers: item.Layers.map((path) => ({ file: files.require(path) })),
    tags: (item.RepoTags ?? []).map(parseRepoTag),
  };
  if (item.Parent && isDigest(item.Parent)) image.parent = item.Parent as Digest;
  return image;
}

function parseRepoTag(text: string): Reference {
  const ref = parseNormalizedNamed(text);
  if (ref.tag === undefined || ref.digest !== undefined) throw invalidArgument(`invalid tag "${text}"`);
  return ref;
}
