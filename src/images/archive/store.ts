import type { ContentReader, ContentStore } from '../../content/content.js';
import { type Descriptor, DockerMediaType, OciMediaType } from '../../core/descriptor.js';
import { type Digest, sha256Of } from '../../core/digest.js';
import { invalidArgument } from '../../core/errors.js';
import { type Compression, detectCompression } from '../../snapshots/decompress.js';
import { chainIds } from '../chain.js';
import { type LayerBlob, synthesizeManifest } from '../manifest.js';
import type { StoredImage } from '../records.js';
import type { UnpackLayer } from '../unpack.js';
import type { ArchiveImage } from './archive-image.js';
import { DOCKER_MANIFEST, readDockerSave } from './docker-save.js';
import type { ArchiveFile, ArchiveFiles } from './files.js';
import { attachLayoutManifests, OCI_INDEX, readOciLayout } from './oci-layout.js';

/**
 * The images of an archive, whatever its format: docker save (with or
 * without an OCI layout inside) or a bare OCI layout.
 */
export async function readArchiveImages(
  files: ArchiveFiles,
  content: ContentReader,
): Promise<ArchiveImage[]> {
  if (files.has(DOCKER_MANIFEST)) {
    const images = await readDockerSave(files, content);
    await attachLayoutManifests(images, files, content);
    return images;
  }
  if (files.has(OCI_INDEX)) return readOciLayout(files, content);
  if (files.has('repositories')) {
    throw invalidArgument(
      'unsupported archive: legacy image archive without manifest.json (docker before 1.10)',
    );
  }
  throw invalidArgument(
    'invalid archive: no manifest.json or index.json (not a docker save archive or OCI layout)',
  );
}

/** An archive image with every blob in the content store: ready to unpack and register. */
export interface StoredArchiveImage {
  stored: StoredImage;
  layers: UnpackLayer[];
}

/** What storing needs: the store, and the lease hold for each blob before it is written. */
export interface StoreDeps {
  content: ContentStore;
  hold(digest: Digest): void;
}

/**
 * Writes what of an archive image is still in memory (config, small layers,
 * manifest) to the content store, writing a manifest when the archive had
 * none, and returns the image as stored.
 */
export async function storeArchiveImage(image: ArchiveImage, deps: StoreDeps): Promise<StoredArchiveImage> {
  const config = await putBytes(deps, image.configBytes, OciMediaType.config);
  const blobs: LayerBlob[] = [];
  for (const { file } of image.layers) {
    const compression = await compressionOf(file, deps.content);
    blobs.push({ digest: await putFile(deps, file), size: sizeOf(file), compression });
  }
  const manifest = image.manifest ?? synthesizedManifest(config, blobs);
  await putBytes(deps, manifest.bytes, manifest.descriptor.mediaType);
  const target = manifest.descriptor;
  const layers = image.layers.map(({ descriptor }, i) => ({
    blob: descriptor ?? layerDescriptor(blobs[i]!),
    diffId: image.config.rootfs.diff_ids[i]!,
  }));
  return {
    stored: {
      id: image.configDigest,
      target,
      config: { ...config, mediaType: configMediaType(target) },
      layers: layers.map((layer) => layer.blob),
      chainIds: chainIds(image.config.rootfs.diff_ids),
    },
    layers,
  };
}

function synthesizedManifest(config: Descriptor, blobs: LayerBlob[]) {
  const bytes = synthesizeManifest(config, blobs);
  const mediaType = JSON.parse(bytes.toString('utf8')).mediaType as string;
  return { bytes, descriptor: { mediaType, digest: sha256Of(bytes), size: bytes.length } };
}

function configMediaType(target: Descriptor): string {
  return target.mediaType === DockerMediaType.manifest ? DockerMediaType.config : OciMediaType.config;
}

function layerDescriptor(blob: LayerBlob): Descriptor {
  const types: Record<Compression, string> = {
    none: DockerMediaType.layer,
    gzip: DockerMediaType.layerGzip,
    zstd: OciMediaType.layerZstd,
  };
  return { mediaType: types[blob.compression], digest: blob.digest, size: blob.size };
}

async function putBytes(deps: StoreDeps, bytes: Buffer, mediaType: string): Promise<Descriptor> {
  const digest = sha256Of(bytes);
  deps.hold(digest);
  await deps.content.writeBytes(bytes, { digest, size: bytes.length });
  return { mediaType, digest, size: bytes.length };
}

async function putFile(deps: StoreDeps, file: ArchiveFile): Promise<Digest> {
  deps.hold(file.digest);
  if (file.kind === 'memory') await deps.content.writeBytes(file.bytes, { digest: file.digest });
  return file.digest;
}

function sizeOf(file: ArchiveFile): number {
  return file.kind === 'memory' ? file.bytes.length : file.size;
}

async function compressionOf(file: ArchiveFile, content: ContentReader): Promise<Compression> {
  if (file.kind === 'memory') return detectCompression(file.bytes.subarray(0, 4));
  const stream = await content.readStream(file.digest, { length: 4 });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return detectCompression(Buffer.concat(chunks));
}
