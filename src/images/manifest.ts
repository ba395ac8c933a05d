/**
 * Image manifests and indexes, OCI (image-spec `manifest.md`, `image-index.md`)
 * and Docker v2 schema 2 (`manifest-v2-2.md`, manifest lists): the same JSON
 * shapes under different media types.
 */
import {
  type Descriptor,
  DockerMediaType,
  isConfigMediaType,
  isIndexMediaType,
  isLayerMediaType,
  isManifestMediaType,
  OciMediaType,
} from '../core/descriptor.js';
import { isDigest } from '../core/digest.js';
import { invalidArgument } from '../core/errors.js';
import type { Compression } from '../snapshots/decompress.js';
import { parseJsonObject } from './config.js';

/** A single-platform image: one config and its layers, bottom first. */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** A multi-platform image: manifests by platform. */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** Parses an image manifest; throws InvalidArgument for anything else. */
export function parseManifest(bytes: Uint8Array): ImageManifest {
  const value = parseJsonObject(bytes, 'image manifest');
  if (value['schemaVersion'] !== 2) throw invalidArgument('invalid image manifest: schemaVersion must be 2');
  const mediaType = value['mediaType'];
  if (mediaType !== undefined && !isManifestMediaType(String(mediaType))) {
    throw invalidArgument(`invalid image manifest: unexpected media type ${String(mediaType)}`);
  }
  const config = checkDescriptor(value['config'], 'config');
  if (!isConfigMediaType(config.mediaType)) {
    throw invalidArgument(`unsupported image config media type ${config.mediaType}`);
  }
  const layers = value['layers'];
  if (!Array.isArray(layers)) throw invalidArgument('invalid image manifest: layers must be a list');
  for (const layer of layers.map((entry) => checkDescriptor(entry, 'layer'))) {
    if (!isLayerMediaType(layer.mediaType))
      throw invalidArgument(`unsupported layer media type ${layer.mediaType}`);
  }
  return value as unknown as ImageManifest;
}

/** Parses an image index or manifest list; throws InvalidArgument for anything else. */
export function parseIndex(bytes: Uint8Array): ImageIndex {
  const value = parseJsonObject(bytes, 'image index');
  if (value['schemaVersion'] !== 2) throw invalidArgument('invalid image index: schemaVersion must be 2');
  const mediaType = value['mediaType'];
  if (mediaType !== undefined && !isIndexMediaType(String(mediaType))) {
    throw invalidArgument(`invalid image index: unexpected media type ${String(mediaType)}`);
  }
  const manifests = value['manifests'];
  if (!Array.isArray(manifests)) throw invalidArgument('invalid image index: manifests must be a list');
  for (const entry of manifests) checkDescriptor(entry, 'manifest');
  return value as unknown as ImageIndex;
}

/** Whether a blob that claims no media type of its own looks like an index. */
export function looksLikeIndex(bytes: Uint8Array): boolean {
  try {
    return Array.isArray(parseJsonObject(bytes, 'blob')['manifests']);
  } catch {
    return false;
  }
}

function checkDescriptor(value: unknown, what: string): Descriptor {
  const entry = value as Partial<Descriptor> | null;
  if (!entry || typeof entry !== 'object') throw invalidArgument(`invalid ${what} descriptor`);
  if (typeof entry.mediaType !== 'string' || entry.mediaType === '') {
    throw invalidArgument(`invalid ${what} descriptor: no media type`);
  }
  if (!isDigest(entry.digest))
    throw invalidArgument(`invalid ${what} descriptor digest ${String(entry.digest)}`);
  if (!Number.isSafeInteger(entry.size) || (entry.size ?? -1) < 0) {
    throw invalidArgument(`invalid ${what} descriptor size ${String(entry.size)}`);
  }
  return entry as Descriptor;
}

/**
 * The manifest Berth writes for an image that arrived without one (a legacy
 * docker-save archive, an import): Docker schema 2, as containerd's importer
 * writes, unless a layer is zstd, which only OCI media types can say.
 */
export function synthesizeManifest(config: Descriptor, layers: readonly LayerBlob[]): Buffer {
  const oci = layers.some((layer) => layer.compression === 'zstd');
  const types = oci ? OCI_TYPES : DOCKER_TYPES;
  const manifest = {
    schemaVersion: 2,
    mediaType: types.manifest,
    config: { mediaType: types.config, digest: config.digest, size: config.size },
    layers: layers.map((layer) => ({
      mediaType: types.layer[layer.compression],
      digest: layer.digest,
      size: layer.size,
    })),
  };
  return Buffer.from(JSON.stringify(manifest));
}

/** A layer blob and how it is compressed. */
export interface LayerBlob {
  digest: Descriptor['digest'];
  size: number;
  compression: Compression;
}

const DOCKER_TYPES = {
  manifest: DockerMediaType.manifest,
  config: DockerMediaType.config,
  layer: { none: DockerMediaType.layer, gzip: DockerMediaType.layerGzip, zstd: OciMediaType.layerZstd },
};
const OCI_TYPES = {
  manifest: OciMediaType.manifest,
  config: OciMediaType.config,
  layer: { none: OciMediaType.layer, gzip: OciMediaType.layerGzip, zstd: OciMediaType.layerZstd },
};
