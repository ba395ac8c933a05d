/**
 * What the image service tells about images: the facts behind `docker
 * images`, `docker inspect` and `docker history`, computed as dockerd 20.10
 * computes them. The API layer shapes them into Engine API JSON.
 */
import { dirname } from 'node:path';
import type { Digest } from '../core/digest.js';
import type { Snapshotter } from '../snapshots/snapshotter.js';
import type { ImageCatalog, ImageEntry } from './catalog.js';
import { type ContainerConfig, imageComment, imageLabels } from './config.js';
import { type LayerFacts, layerFacts, SNAPSHOTTER_NAME } from './layers.js';
import type { ImageRecords } from './records.js';
import { formatGoTime, GO_ZERO_TIME, unixSeconds } from './time.js';

/** One line of `docker images`. */
export interface ImageSummary {
  id: Digest;
  parentId: string;
  repoTags: string[];
  repoDigests: string[];
  /** Unix seconds. */
  created: number;
  size: number;
  /** Bytes of layers shared with other images; -1 when not computed. */
  sharedSize: number;
  labels: Record<string, string> | null;
  /** Containers using it; -1 when not computed. */
  containers: number;
}

/** Everything `docker inspect` shows about an image. */
export interface ImageDetails {
  id: Digest;
  repoTags: string[];
  repoDigests: string[];
  parent: string;
  comment: string;
  /** RFC3339Nano. */
  created: string;
  container: string;
  containerConfig: ContainerConfig;
  dockerVersion: string;
  author: string;
  config: ContainerConfig;
  architecture: string;
  variant?: string;
  os: string;
  osVersion?: string;
  size: number;
  graphDriver: { name: string; data: Record<string, string> | null };
  rootFS: { type: string; layers: Digest[] };
  /** RFC3339Nano, Go's zero time when never tagged. */
  lastTagTime: string;
}

/** One step of `docker history`, newest first. */
export interface HistoryItem {
  /** The image ID for the steps of the image itself (and its local parents), else `<missing>`. */
  id: string;
  created: number;
  createdBy: string;
  tags: string[] | null;
  size: number;
  comment: string;
}

/** Builds the views of images from catalog entries and their unpacked layers. */
export class ImageViews {
  constructor(
    private readonly snapshotter: Snapshotter,
    private readonly records: ImageRecords,
  ) {}

  /** Facts about each layer of an image, bottom first (missing layers count 0). */
  layers(entry: ImageEntry): Promise<(LayerFacts | undefined)[]> {
    return Promise.all(entry.chainIds.map((chainId) => layerFacts(this.snapshotter, chainId)));
  }

  /** The image's size: the diff sizes of all its layers. */
  async size(entry: ImageEntry): Promise<number> {
    return (await this.layers(entry)).reduce((sum, layer) => sum + (layer?.size ?? 0), 0);
  }

  async summary(entry: ImageEntry): Promise<ImageSummary> {
    return {
      id: entry.id,
      parentId: this.records.parentOf(entry.id) ?? '',
      repoTags: entry.names.repoTags,
      repoDigests: entry.names.repoDigests,
      created: unixSeconds(entry.config.created),
      size: await this.size(entry),
      sharedSize: -1,
      labels: entry.config.config?.Labels ?? null,
      containers: -1,
    };
  }

  async details(entry: ImageEntry): Promise<ImageDetails> {
    const { config } = entry;
    const layers = await this.layers(entry);
    const details: ImageDetails = {
      id: entry.id,
      repoTags: entry.names.repoTags,
      repoDigests: entry.names.repoDigests,
      parent: this.records.parentOf(entry.id) ?? '',
      comment: imageComment(config),
      created: formatGoTime(config.created),
      container: config.container ?? '',
      containerConfig: config.container_config ?? {},
      dockerVersion: config.docker_version ?? '',
      author: config.author ?? '',
      config: config.config ?? {},
      architecture: config.architecture ?? '',
      os: config.os ?? 'linux',
      size: layers.reduce((sum, layer) => sum + (layer?.size ?? 0), 0),
      graphDriver: { name: SNAPSHOTTER_NAME, data: graphDriverData(layers) },
      rootFS: { type: 'layers', layers: config.rootfs.diff_ids },
      lastTagTime: this.records.lastTagTime(entry.id) ?? GO_ZERO_TIME,
    };
    if (config.variant) details.variant = config.variant;
    if (config['os.version']) details.osVersion = config['os.version'];
    return details;
  }

  /**
   * The history of an image, newest step first, as dockerd's ImageHistory:
   * steps that made a layer carry that layer's size; the newest step carries
   * the image's ID and tags, and each local parent's ID the steps below it.
   */
  async history(entry: ImageEntry, catalog: ImageCatalog): Promise<HistoryItem[]> {
    const layers = await this.layers(entry);
    const items: HistoryItem[] = [];
    let layerIndex = 0;
    for (const step of entry.config.history ?? []) {
      const size = step.empty_layer ? 0 : (layers[layerIndex++]?.size ?? 0);
      items.unshift({
        id: '<missing>',
        created: unixSeconds(step.created),
        createdBy: step.created_by ?? '',
        tags: null,
        size,
        comment: step.comment ?? '',
      });
    }
    let current: ImageEntry | undefined = entry;
    for (const item of items) {
      if (!current) break;
      item.id = current.id;
      item.tags = current.names.repoTags.length > 0 ? current.names.repoTags : null;
      const parent = this.records.parentOf(current.id);
      current = parent ? await catalog.byId(parent) : undefined;
    }
    return items;
  }

  /** The labels of an image, for its events. */
  labels(entry: ImageEntry): Record<string, string> {
    return imageLabels(entry.config);
  }
}

/** overlay2's GetMetadata: the top layer's directories and the ones below it. */
function graphDriverData(layers: readonly (LayerFacts | undefined)[]): Record<string, string> | null {
  const dirs = layers.map((layer) => layer?.dir).filter((dir): dir is string => dir !== undefined);
  const top = dirs.at(-1);
  if (!top) return null;
  const base = dirname(top);
  const data: Record<string, string> = {};
  const lowers = dirs.slice(0, -1).reverse();
  if (lowers.length > 0) data['LowerDir'] = lowers.join(':');
  data['MergedDir'] = `${base}/merged`;
  data['UpperDir'] = top;
  data['WorkDir'] = `${base}/work`;
  return data;
}
