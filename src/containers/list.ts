import { invalidArgument } from '../core/errors.js';
import { linkNamesByChild } from './links.js';
import { matchesNetworkFilters } from './network-filters.js';
import type { ContainerRecord } from './record.js';
import type { ContainerService } from './service.js';
import { summaryView } from './views.js';

/** GET /containers/json's options. */
export interface ListOptions {
  all?: boolean;
  limit?: number;
  size?: boolean;
  filters?: Record<string, string[]>;
}

const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'];

/**
 * `docker ps`: containers newest first, filtered as dockerd's
 * `foldFilter`/`includeContainerInList` do (before/since bound the list by
 * creation, `exited` selects exit codes, `ancestor` the image by name or ID),
 * with SizeRw/SizeRootFs when asked.
 */
export async function listContainers(
  service: ContainerService,
  options: ListOptions,
): Promise<Record<string, unknown>[]> {
  const f = options.filters ?? {};
  for (const s of f.status ?? [])
    if (!STATUSES.includes(s)) throw invalidArgument(`invalid filter 'status=${s}'`);
  for (const h of f.health ?? [])
    if (!HEALTH.includes(h)) throw invalidArgument(`Unrecognised filter value for health: ${h}`);
  const exited = (f.exited ?? []).map((e) => {
    const code = Number(e);
    if (!/^-?\d+$/.test(e)) throw invalidArgument(`invalid filter 'exited=${e}'`);
    return code;
  });
  const bound = (ref: string | undefined) => (ref === undefined ? undefined : service.store.get(ref));
  const before = bound(f.before?.[0]);
  const since = bound(f.since?.[0]);
  const ancestors = await ancestorIds(service, f.ancestor ?? []);
  // Filters that name states imply --all, as in dockerd; so does a limit (`ps -n 3`, `ps -l`).
  const all = options.all || (options.limit ?? 0) > 0 || Boolean(f.status?.length || f.exited?.length);
  let list = service.store
    .list()
    .sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created) || (a.Id < b.Id ? 1 : -1));
  if (before) list = list.filter((c) => Date.parse(c.Created) < Date.parse(before.Created));
  if (since) list = list.filter((c) => Date.parse(c.Created) > Date.parse(since.Created));
  list = list.filter((c) => {
    if (!all && !c.State.Running) return false;
    if (f.status?.length && !f.status.includes(c.State.Status)) return false;
    if (f.name?.length && !f.name.some((n) => nameMatches(c.Name, n))) return false;
    if (f.id?.length && !f.id.some((id) => c.Id.startsWith(id))) return false;
    if (f.label?.length && !f.label.every((l) => labelMatches(c, l))) return false;
    if (
      exited.length &&
      (c.State.Running || c.State.Status === 'created' || !exited.includes(c.State.ExitCode))
    )
      return false;
    if (f.health?.length && !f.health.includes(c.State.Health?.Status ?? 'none')) return false;
    if (f.ancestor?.length && !ancestors.has(c.Image)) return false;
    if (f['is-task']?.length && f['is-task'].includes('true')) return false;
    return matchesNetworkFilters(c, f);
  });
  if (options.limit !== undefined && options.limit > 0) list = list.slice(0, options.limit);
  const linkNames = linkNamesByChild(service.store);
  return Promise.all(
    list.map(async (c) => ({
      ...summaryView(c, linkNames.get(c.Id)),
      ...(options.size ? await sizes(service, c) : {}),
    })),
  );
}

/** dockerd matches names as regular expressions; one that does not compile matches as a substring. */
function nameMatches(name: string, filter: string): boolean {
  const pattern = filter.replace(/^\//, '');
  try {
    return new RegExp(pattern).test(name);
  } catch {
    return name.includes(pattern);
  }
}

function labelMatches(c: ContainerRecord, filter: string): boolean {
  const [key, value] = filter.split('=', 2) as [string, string | undefined];
  return value === undefined ? key in c.Labels : c.Labels[key] === value;
}

/** The image IDs the `ancestor` values name (names, IDs or ID prefixes); unknown ones match nothing. */
async function ancestorIds(service: ContainerService, refs: string[]): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const ref of refs) {
    const resolved = await service.deps.images.resolve(ref).catch(() => undefined);
    if (resolved) ids.add(resolved.id);
  }
  return ids;
}

/** SizeRw (the container's writable layer) and SizeRootFs (that plus its image). */
export async function sizes(service: ContainerService, c: ContainerRecord) {
  const { images, snapshotter } = service.deps;
  // The runtime's mount points (/proc, /etc/hosts…) are empty: Docker's count leaves them out.
  const rw = await (images.writableSize
    ? images.writableSize(c.SnapshotKey)
    : snapshotter.usage(c.SnapshotKey).then((u) => u.size)
  ).catch(() => 0);
  const image = await images.resolve(c.Image).catch(() => undefined);
  return { SizeRw: rw, SizeRootFs: rw + (image?.size ?? 0) };
}
