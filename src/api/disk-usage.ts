import { summaryView } from '../containers/views.js';
import { invalidArgument } from '../core/errors.js';
import { layerDirectorySize } from '../images/layer-size.js';
import type { ImageService } from '../images/service.js';
import { imageSummaryJson } from './image-shapes.js';
import { volumeView } from './routes/volumes.js';
import type { ApiServices } from './server.js';
import { compareVersions } from './versioning.js';

/** The object types GET /system/df?type= selects (API 1.42). */
const DF_TYPES = ['container', 'image', 'volume', 'build-cache'] as const;
type DfType = (typeof DF_TYPES)[number];

/** Parses `type` query values; none selects everything, as dockerd does. */
export function diskUsageTypes(values: readonly string[]): Set<DfType> {
  if (values.length === 0) return new Set(DF_TYPES);
  for (const value of values) {
    if (!(DF_TYPES as readonly string[]).includes(value))
      throw invalidArgument(`unknown object type: ${value}`);
  }
  return new Set(values as DfType[]);
}

/**
 * GET /system/df in dockerd's shape: LayersSize and Images (with
 * SharedSize and Containers), Containers (the `ps -a` summary with SizeRw
 * and SizeRootFs), Volumes, BuildCache. Types not asked for are null, as
 * dockerd leaves them.
 */
export async function diskUsageJson(
  services: ApiServices,
  images: ImageService,
  types: Set<DfType>,
  version: string,
): Promise<Record<string, unknown>> {
  const imageUsage = types.has('image') || types.has('container') ? await images.diskUsage() : undefined;
  const out: Record<string, unknown> = {
    LayersSize: types.has('image') ? imageUsage!.layersSize : 0,
    Images: types.has('image') ? imageUsage!.images.map((image) => imageSummaryJson(image, version)) : null,
    Containers: types.has('container') ? await containerUsage(services, images, imageUsage!.images) : null,
    Volumes: types.has('volume') ? await volumeUsage(services) : null,
    BuildCache: types.has('build-cache') ? [] : null,
  };
  if (compareVersions(version, '1.42') < 0) out.BuilderSize = 0;
  return out;
}

async function containerUsage(
  services: ApiServices,
  images: ImageService,
  imageList: readonly { id: string; size: number }[],
): Promise<Record<string, unknown>[]> {
  const records = services.containers?.store.list() ?? [];
  records.sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created));
  const imageSize = new Map(imageList.map((image) => [image.id, image.size]));
  return Promise.all(
    records.map(async (record) => {
      // A container removed meanwhile has no snapshot left; it counts as empty.
      const sizeRw = await images.writableLayerSize(record.SnapshotKey).catch(() => 0);
      const sizeRootFs = sizeRw + (imageSize.get(record.Image) ?? 0);
      const { Labels, ...summary } = summaryView(record);
      // Field order of dockerd's types.Container; both sizes are omitempty there.
      const [head, tail] = splitAfter(summary, 'Ports');
      return {
        ...head,
        ...(sizeRw ? { SizeRw: sizeRw } : {}),
        ...(sizeRootFs ? { SizeRootFs: sizeRootFs } : {}),
        Labels,
        ...tail,
      };
    }),
  );
}

function splitAfter(record: Record<string, unknown>, key: string) {
  const entries = Object.entries(record);
  const at = entries.findIndex(([name]) => name === key) + 1;
  return [Object.fromEntries(entries.slice(0, at)), Object.fromEntries(entries.slice(at))] as const;
}

/** Volumes with UsageData (size of their data, number of containers using them), as dockerd's df. */
async function volumeUsage(services: ApiServices): Promise<Record<string, unknown>[]> {
  if (services.volumeUsage) return services.volumeUsage();
  if (!services.volumes) return [];
  return Promise.all(
    services.volumes.list().map(async (volume) => ({
      ...volumeView(volume),
      UsageData: {
        Size: await layerDirectorySize(volume.mountpoint).catch(() => -1),
        RefCount: volume.users.length,
      },
    })),
  );
}
