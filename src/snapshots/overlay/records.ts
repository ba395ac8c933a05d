import { invalidArgument, notFound } from '../../core/errors.js';
import { type SnapshotInfo, SnapshotKind } from '../snapshotter.js';
import type { SnapshotRecord, SnapshotState } from './state.js';

/** Throws unless `parent` is absent or names a committed snapshot. */
export function checkParent(state: SnapshotState, parent: string | undefined): void {
  if (parent === undefined || parent === '') return;
  const record = state.snapshots[parent];
  if (!record) throw notFound(`parent snapshot ${parent} not found`);
  if (record.kind !== SnapshotKind.Committed)
    throw invalidArgument(`parent ${parent} is not a committed snapshot`);
}

/** The public view of a stored record. */
export function toInfo(name: string, record: SnapshotRecord): SnapshotInfo {
  const { kind, parent, labels } = record;
  return {
    kind,
    name,
    ...(parent !== undefined && { parent }),
    labels: { ...labels },
    created: new Date(record.created),
    updated: new Date(record.updated),
  };
}

/** Labels after an update limited to `fieldPaths` (`labels` or `labels.<key>`; none means all). */
export function updatedLabels(
  current: Record<string, string>,
  wanted: Record<string, string>,
  fieldPaths: string[],
) {
  if (fieldPaths.length === 0 || fieldPaths.includes('labels')) return { ...wanted };
  const labels = { ...current };
  for (const path of fieldPaths) {
    if (!path.startsWith('labels.')) throw invalidArgument(`cannot update field ${path} of a snapshot`);
    const key = path.slice('labels.'.length);
    if (wanted[key] === undefined) delete labels[key];
    else labels[key] = wanted[key];
  }
  return labels;
}
