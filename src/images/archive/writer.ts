/**
 * `docker save` output, as Docker 25+ writes it: an OCI image layout
 * (`oci-layout`, `index.json`, `blobs/sha256/…`) that also carries the
 * docker-save `manifest.json` and `repositories`, so OCI tools, podman,
 * skopeo and older dockerd (which read only manifest.json) all load it.
 * Blobs are written exactly as stored, so every digest, and so the image ID,
 * stays the same.
 */
import type { ContentReader } from '../../content/content.js';
import type { Descriptor } from '../../core/descriptor.js';
import { OciMediaType } from '../../core/descriptor.js';
import type { Digest } from '../../core/digest.js';
import { defaultHeader } from '../../snapshots/tar/build.js';
import type { TarHeader } from '../../snapshots/tar/format.js';
import { bodyPadding, END_OF_ARCHIVE, encodeEntry } from '../../snapshots/tar/writer.js';
import type { ImageEntry } from '../catalog.js';
import { familiarName, familiarString, formatReference, type Reference } from '../reference.js';
import { blobPath } from './archive-image.js';
import type { DockerManifestItem } from './docker-save.js';

/** An image to save, with the tags to save it under. */
export interface SaveItem {
  entry: ImageEntry;
  tags: Reference[];
}

/** Streams the archive for `items`. Blobs are read from `content` as they are written. */
export async function* writeSaveArchive(
  items: readonly SaveItem[],
  content: ContentReader,
): AsyncGenerator<Buffer> {
  yield* directory('blobs/');
  yield* directory('blobs/sha256/');
  for (const blob of blobsOf(items)) {
    yield* encodeEntry(fileHeader(blobPath(blob.digest), blob.size));
    let written = 0;
    for await (const chunk of await content.readStream(blob.digest)) {
      written += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    if (written !== blob.size) throw new Error(`blob ${blob.digest} changed size while saving`);
    yield bodyPadding(blob.size);
  }
  yield* file('index.json', JSON.stringify(ociIndex(items)));
  yield* file('manifest.json', `${JSON.stringify(dockerManifest(items))}\n`);
  yield* file('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const repositories = legacyRepositories(items);
  if (Object.keys(repositories).length > 0) yield* file('repositories', `${JSON.stringify(repositories)}\n`);
  yield END_OF_ARCHIVE;
}

/** Every blob of every image once, in the order of their paths (as Docker's tar walk). */
function blobsOf(items: readonly SaveItem[]): Descriptor[] {
  const byDigest = new Map<Digest, Descriptor>();
  for (const { entry } of items) {
    for (const blob of [entry.parsedManifest.config, ...entry.parsedManifest.layers, entry.manifest]) {
      byDigest.set(blob.digest, blob);
    }
  }
  return [...byDigest.values()].sort((a, b) => (a.digest < b.digest ? -1 : 1));
}

function ociIndex(items: readonly SaveItem[]) {
  const manifests = items.flatMap(({ entry, tags }) => {
    const descriptor = {
      mediaType: entry.manifest.mediaType,
      digest: entry.manifest.digest,
      size: entry.manifest.size,
    };
    if (tags.length === 0) return [descriptor];
    return tags.map((tag) => ({
      ...descriptor,
      annotations: {
        'io.containerd.image.name': formatReference(tag),
        'org.opencontainers.image.ref.name': tag.tag ?? 'latest',
      },
    }));
  });
  return { schemaVersion: 2, mediaType: OciMediaType.index, manifests };
}

function dockerManifest(items: readonly SaveItem[]): DockerManifestItem[] {
  return items.map(({ entry, tags }) => ({
    Config: blobPath(entry.parsedManifest.config.digest),
    RepoTags: tags.length > 0 ? tags.map(familiarString) : null,
    Layers: entry.parsedManifest.layers.map((layer) => blobPath(layer.digest)),
  }));
}

/** The pre-1.10 `repositories` file: repository → tag → top layer, as Docker still writes it. */
function legacyRepositories(items: readonly SaveItem[]): Record<string, Record<string, string>> {
  const repositories: Record<string, Record<string, string>> = {};
  for (const { entry, tags } of items) {
    const top = entry.config.rootfs.diff_ids.at(-1);
    if (!top) continue;
    for (const tag of tags) {
      const repo = familiarName(tag);
      repositories[repo] = { ...repositories[repo], [tag.tag ?? 'latest']: top.slice('sha256:'.length) };
    }
  }
  return repositories;
}

function* directory(name: string): Generator<Buffer> {
  yield* encodeEntry({ ...defaultHeader(name), mode: 0o755, mtime: 0 });
}

function* file(name: string, text: string): Generator<Buffer> {
  const body = Buffer.from(text);
  yield* encodeEntry(fileHeader(name, body.length));
  yield body;
  yield bodyPadding(body.length);
}

function fileHeader(name: string, size: number): TarHeader {
  return { ...defaultHeader(name), mode: 0o644, size, mtime: 0 };
}
