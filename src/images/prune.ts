/**
 * `docker image prune`, as dockerd's ImagesPrune: deletes dangling images (or,
 * with `dangling=false`, every image no container uses) that pass the
 * `until` and `label` filters, and adds up the layers that went.
 */
import type { Digest } from '../core/digest.js';
import { invalidArgument } from '../core/errors.js';
import type { ImageCatalog, ImageEntry } from './catalog.js';
import type { DeleteItem, ImageDeleter } from './delete.js';
import { type EventSink, publishImageEvent } from './events.js';
import { matchesLabelFilters, parseBoolFilter } from './list.js';
import type { ImageRecords } from './records.js';
import { formatReference } from './reference.js';
import { parseFilterTime, unixNanos } from './time.js';
import type { ImageViews } from './views.js';

/** Filter keys `POST /images/prune` accepts. */
export const IMAGE_PRUNE_FILTERS = ['dangling', 'until', 'label', 'label!'] as const;

/** What a prune removed. */
export interface PruneReport {
  deleted: DeleteItem[];
  /** Bytes of the layers deleted (their diff sizes). */
  spaceReclaimed: number;
}

/** What pruning needs. */
export interface PrunerDeps {
  catalog: ImageCatalog;
  records: ImageRecords;
  views: ImageViews;
  deleter: ImageDeleter;
  events: EventSink;
}

/** Prunes images; failures on single images (conflicts, races) skip that image, as in dockerd. */
export async function pruneImages(deps: PrunerDeps, filters: Record<string, string[]>): Promise<PruneReport> {
  const danglingOnly = parseBoolFilter(filters, 'dangling') ?? true;
  const until = untilOf(filters);
  const entries = await deps.catalog.list();
  const layerSizes = await sizesByChainId(deps.views, entries);
  const deleted: DeleteItem[] = [];
  for (const entry of entries) {
    if (!isCandidate(deps, entry, danglingOnly, until, filters)) continue;
    for (const name of namesToDelete(deps, entry, danglingOnly)) {
      try {
        deleted.push(...(await deps.deleter.delete(name, { force: false, prune: true })));
      } catch {
        // dockerd logs and moves on: the image is in use, or already gone.
      }
    }
  }
  const spaceReclaimed = deleted.reduce(
    (sum, item) => sum + ('deleted' in item ? (layerSizes.get(item.deleted as Digest) ?? 0) : 0),
    0,
  );
  publishImageEvent(deps.events, 'prune', '', '', { reclaimed: String(spaceReclaimed) });
  return { deleted, spaceReclaimed };
}

function isCandidate(
  deps: PrunerDeps,
  entry: ImageEntry,
  danglingOnly: boolean,
  until: bigint | undefined,
  filters: Record<string, string[]>,
): boolean {
  const named = entry.names.tags.length + entry.names.digests.length > 0;
  const children = deps.records.childrenOf(entry.id).length > 0;
  // dangling=true looks only at images without children; intermediate (unnamed, with children) never go.
  if (children && (danglingOnly || !named)) return false;
  if (until !== undefined && unixNanos(entry.config.created) > until) return false;
  const labels = entry.config.config?.Labels ?? undefined;
  if (!matchesLabelFilters(labels, filters['label'])) return false;
  const excluded = filters['label!'];
  if (excluded && excluded.length > 0 && matchesLabelFilters(labels, excluded)) return false;
  return true;
}

/** The names to delete the image by: its ID when it has none, else its names (digests only when dangling). */
function namesToDelete(deps: PrunerDeps, entry: ImageEntry, danglingOnly: boolean): string[] {
  const refs = deps.deleter.refsOf(entry.id);
  if (refs.length === 0) return [entry.id.slice('sha256:'.length)];
  const tagged = refs.some((ref) => ref.digest === undefined);
  return !danglingOnly || !tagged ? refs.map(formatReference) : [];
}

function untilOf(filters: Record<string, string[]>): bigint | undefined {
  const values = filters['until'] ?? [];
  if (values.length > 1) throw invalidArgument('more than one until filter specified');
  return values[0] === undefined ? undefined : parseFilterTime(values[0]);
}

async function sizesByChainId(
  views: ImageViews,
  entries: readonly ImageEntry[],
): Promise<Map<Digest, number>> {
  const sizes = new Map<Digest, number>();
  for (const entry of entries) {
    const layers = await views.layers(entry);
    for (const [i, chainId] of entry.chainIds.entries()) sizes.set(chainId, layers[i]?.size ?? 0);
  }
  return sizes;
}
