/**
 * OCI image layouts (image-spec `image-layout.md`), as oci-archive tars and
 * inside Docker 25+ saves: `index.json` points at manifests or nested
 * indexes, every blob lives under `blobs/sha256/<hex>`, and an entry's name
 * is in its annotations.
 */
import type { ContentReader } from '../../content/content.js';
import { type Descriptor, isIndexMediaType, isManifestMediaType } from '../../core/descriptor.js';
import type { Digest } from '../../core/digest.js';
import { failedPrecondition, invalidArgument, wrap } from '../../core/errors.js';
import { parseImageConfig } from '../config.js';
import { looksLikeIndex, parseIndex, parseManifest } from '../manifest.js';
import { formatPlatform, hostPlatform, platformRank, selectPlatformManifest } from '../platform.js';
import { familiarString, parseNormalizedNamed, type Reference, tagNameOnly } from '../reference.js';
import { type ArchiveImage, blobPath, readLayoutBlob } from './archive-image.js';
import type { ArchiveFiles } from './files.js';

/** The file that makes an archive an OCI layout. */
export const OCI_INDEX = 'index.json';

/** containerd's annotation with an image's full name (Docker 25+ writes it). */
const CONTAINERD_NAME = 'io.containerd.image.name';
/** The OCI annotation naming an index entry: a full reference, or only a tag. */
const OCI_REF_NAME = 'org.opencontainers.image.ref.name';

/** Reads the images of an OCI layout, one per distinct manifest, for this host's platform. */
export async function readOciLayout(files: ArchiveFiles, content: ContentReader): Promise<ArchiveImage[]> {
  const index = parseIndex(await files.bytes(OCI_INDEX, content));
  const byManifest = new Map<Digest, ArchiveImage>();
  for (const entry of preferHostPlatform(index.manifests)) {
    const manifest = await resolveToManifest(files, entry, content);
    let image = byManifest.get(manifest.digest);
    if (!image) {
      image = await readManifestImage(files, manifest, content);
      byManifest.set(manifest.digest, image);
    }
    const name = entryName(entry);
    if (name && !image.tags.some((tag) => familiarString(tag) === familiarString(name)))
      image.tags.push(name);
  }
  return [...byManifest.values()];
}

/**
 * Gives each docker-save image the manifest its OCI layout has for it (same
 * config, same layer blobs), so a Docker 25+ archive keeps its manifest and
 * layer media types instead of getting a new manifest.
 */
export async function attachLayoutManifests(
  images: readonly ArchiveImage[],
  files: ArchiveFiles,
  content: ContentReader,
): Promise<void> {
  if (!files.has(OCI_INDEX)) return;
  for (const entry of parseIndex(await files.bytes(OCI_INDEX, content)).manifests) {
    if (!isManifestMediaType(entry.mediaType)) continue;
    const found = await readManifestImage(files, entry, content).catch(() => undefined);
    const image = images.find((candidate) => found && sameContent(candidate, found));
    if (found && image && !image.manifest) {
      image.manifest = found.manifest;
      image.layers = found.layers;
    }
  }
}

function sameContent(a: ArchiveImage, b: ArchiveImage): boolean {
  return (
    a.configDigest === b.configDigest &&
    a.layers.length === b.layers.length &&
    a.layers.every((layer, i) => layer.file.digest === b.layers[i]?.file.digest)
  );
}

/** Entries for this host when the index offers any; otherwise all (an image for another platform still loads). */
function preferHostPlatform(entries: readonly Descriptor[]): Descriptor[] {
  const host = hostPlatform();
  const matching = entries.filter(
    (entry) => !entry.platform || platformRank(entry.platform, host) !== undefined,
  );
  return matching.length > 0 ? matching : [...entries];
}

async function resolveToManifest(
  files: ArchiveFiles,
  entry: Descriptor,
  content: ContentReader,
): Promise<Descriptor> {
  if (isManifestMediaType(entry.mediaType)) return entry;
  const bytes = await readLayoutBlob(files, entry, content);
  if (!isIndexMediaType(entry.mediaType) && !looksLikeIndex(bytes)) return entry;
  const chosen = selectPlatformManifest(parseIndex(bytes).manifests);
  if (!chosen) {
    throw failedPrecondition(
      `image index ${entry.digest} has no manifest for ${formatPlatform(hostPlatform())}`,
    );
  }
  return resolveToManifest(files, chosen, content);
}

async function readManifestImage(
  files: ArchiveFiles,
  descriptor: Descriptor,
  content: ContentReader,
): Promise<ArchiveImage> {
  const bytes = await readLayoutBlob(files, descriptor, content);
  const manifest = parseManifest(bytes);
  const configBytes = await readLayoutBlob(files, manifest.config, content);
  const config = parseImageConfig(configBytes);
  if (manifest.layers.length !== config.rootfs.diff_ids.length) {
    throw invalidArgument(
      `invalid manifest ${descriptor.digest}: ${manifest.layers.length} layers for ${config.rootfs.diff_ids.length} diff IDs`,
    );
  }
  const layers = manifest.layers.map((layer) => {
    const file = files.require(blobPath(layer.digest));
    if (file.digest !== layer.digest)
      throw invalidArgument(`invalid archive: blob ${layer.digest} has digest ${file.digest}`);
    return { file, descriptor: layer };
  });
  const mediaType = manifest.mediaType ?? descriptor.mediaType;
  return {
    configBytes,
    configDigest: manifest.config.digest,
    config,
    manifest: { bytes, descriptor: { mediaType, digest: descriptor.digest, size: descriptor.size } },
    layers,
    tags: [],
  };
}

/** The name an index entry gives its image, if it gives a full one (a bare tag names nothing). */
function entryName(entry: Descriptor): Reference | undefined {
  const annotations = entry.annotations ?? {};
  const full = annotations[CONTAINERD_NAME];
  const ociName = annotations[OCI_REF_NAME];
  const text = full ?? (ociName && /[/:]/.test(ociName) ? ociName : undefined);
  if (!text) return undefined;
  try {
    const ref = parseNormalizedNamed(text);
    return ref.digest === undefined ? tagNameOnly(ref) : undefined;
  } catch (err) {
    throw wrap(err, `invalid image name "${text}" in ${OCI_INDEX}`);
  }
}
