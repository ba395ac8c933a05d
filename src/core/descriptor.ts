import type { Digest } from './digest.js';

/**
 * An OCI platform: where an image runs (image-spec `image-index.md`).
 * Field names follow the JSON of the spec, including the dotted ones.
 */
export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
}

/**
 * An OCI content descriptor (image-spec `descriptor.md`): what a blob is, which
 * digest names it and how many bytes it has. Docker schema 2 uses the same
 * shape, so one type serves both.
 */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  /** Where else the blob may be fetched; used by foreign (non-distributable) layers. */
  urls?: string[];
  annotations?: Record<string, string>;
  /** Only on entries of an index or manifest list. */
  platform?: Platform;
  /** Type of an artifact manifest's content (image-spec v1.1). */
  artifactType?: string;
}

/**
 * Media types of Docker image manifest v2 schema 2
 * (distribution `docs/spec/manifest-v2-2.md`).
 */
export const DockerMediaType = {
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  manifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  layer: 'application/vnd.docker.image.rootfs.diff.tar',
  layerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  foreignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  pluginConfig: 'application/vnd.docker.plugin.v1+json',
} as const;

/** Media types of the OCI image spec (`media-types.md`). */
export const OciMediaType = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  /** Deprecated by image-spec v1.1, still found in old images. */
  nondistributableLayer: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  nondistributableLayerGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  nondistributableLayerZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  empty: 'application/vnd.oci.empty.v1+json',
  layoutHeader: 'application/vnd.oci.layout.header.v1+json',
} as const;

const INDEX_TYPES: ReadonlySet<string> = new Set([OciMediaType.index, DockerMediaType.manifestList]);
const MANIFEST_TYPES: ReadonlySet<string> = new Set([OciMediaType.manifest, DockerMediaType.manifest]);
const CONFIG_TYPES: ReadonlySet<string> = new Set([OciMediaType.config, DockerMediaType.config]);
const LAYER_TYPES: ReadonlySet<string> = new Set([
  DockerMediaType.layer,
  DockerMediaType.layerGzip,
  DockerMediaType.foreignLayerGzip,
  OciMediaType.layer,
  OciMediaType.layerGzip,
  OciMediaType.layerZstd,
  OciMediaType.nondistributableLayer,
  OciMediaType.nondistributableLayerGzip,
  OciMediaType.nondistributableLayerZstd,
]);
const FOREIGN_LAYER_TYPES: ReadonlySet<string> = new Set([
  DockerMediaType.foreignLayerGzip,
  OciMediaType.nondistributableLayer,
  OciMediaType.nondistributableLayerGzip,
  OciMediaType.nondistributableLayerZstd,
]);

/** An OCI index or a Docker manifest list: points at per-platform manifests. */
export const isIndexMediaType = (mediaType: string): boolean => INDEX_TYPES.has(mediaType);
/** A single-platform image manifest, OCI or Docker schema 2. */
export const isManifestMediaType = (mediaType: string): boolean => MANIFEST_TYPES.has(mediaType);
/** An image config blob, OCI or Docker. */
export const isConfigMediaType = (mediaType: string): boolean => CONFIG_TYPES.has(mediaType);
/** A filesystem layer in any known compression. */
export const isLayerMediaType = (mediaType: string): boolean => LAYER_TYPES.has(mediaType);
/** A layer that registries need not serve and pushes skip (Windows base layers). */
export const isForeignLayerMediaType = (mediaType: string): boolean => FOREIGN_LAYER_TYPES.has(mediaType);
