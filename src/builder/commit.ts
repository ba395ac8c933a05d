import { ContainerOps } from '../containers/ops.js';
import type { ContainerRecord } from '../containers/record.js';
import type { ContainerService } from '../containers/service.js';
import type { Digest } from '../core/digest.js';
import { invalidArgument } from '../core/errors.js';
import { applyChanges } from '../images/changes.js';
import type { ContainerConfig } from '../images/config.js';
import {
  familiarString,
  parseNormalizedNamed,
  type Reference,
  tagNameOnly,
  withTag,
} from '../images/reference.js';
import type { ImageService } from '../images/service.js';
import { diffUpper } from '../snapshots/diff.js';
import type { Mount, Snapshotter } from '../snapshots/snapshotter.js';

/** POST /commit's parameters. */
export interface CommitRequest {
  container: string;
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  /** Dockerfile instructions applied to the new image's config (`--change`). */
  changes?: readonly string[];
  /** A config given in the request body; the container's config fills what it leaves out. */
  config?: ContainerConfig;
  /** Pause a running container while its changes are read (Docker's default: true). */
  pause?: boolean;
}

/** What committing a container needs. */
export interface CommitDeps {
  containers: ContainerService;
  images: ImageService;
  snapshotter: Snapshotter;
}

/**
 * `docker commit`: the container's upper directory becomes one layer on its
 * image, its config (with `changes` applied) the new image's config, as
 * dockerd's CreateImageFromContainer does.
 */
export async function commitContainer(deps: CommitDeps, request: CommitRequest): Promise<Digest> {
  const record = deps.containers.store.get(request.container);
  const tags = commitTags(request.repo, request.tag);
  const containerConfig = record.Config as ContainerConfig;
  const base = request.config
    ? mergeConfig(request.config, containerConfig)
    : structuredClone(containerConfig);
  const config = applyChanges(request.changes ?? [], base);
  // As dockerd: a running container is paused (state, events) for the commit and unpaused after, whatever happens.
  const ops = new ContainerOps(deps.containers);
  const pause = (request.pause ?? true) && record.State.Running && !record.State.Paused;
  if (pause) await ops.pause(record.Id, { forCommit: true });
  try {
    const id = await commitRecord(deps, record, {
      config,
      containerConfig,
      createdBy: (containerConfig.Cmd ?? []).join(' '),
      ...(request.author ? { author: request.author } : {}),
      ...(request.comment ? { comment: request.comment } : {}),
      tags,
    });
    deps.containers.event(record, 'commit', {
      comment: request.comment ?? '',
      imageID: id,
      imageRef: tags[0] ? familiarString(tags[0]) : '',
    });
    return id;
  } finally {
    if (pause) await ops.unpause(record.Id).catch(() => {});
  }
}

/** Commits a container's filesystem changes as a child of its image. */
export async function commitRecord(
  deps: CommitDeps,
  record: ContainerRecord,
  options: {
    config: ContainerConfig;
    containerConfig: ContainerConfig;
    createdBy: string;
    author?: string;
    comment?: string;
    tags?: readonly Reference[];
    leaseId?: string;
    onRecorded?: (id: Digest) => void;
  },
): Promise<Digest> {
  const mounts = await deps.snapshotter.mounts(record.SnapshotKey);
  const { upper, lowers } = overlayDirs(mounts);
  return deps.images.createChild({
    parent: record.Image as Digest,
    layer: diffUpper(upper, {
      lowerDirs: lowers,
      ...(deps.snapshotter.idMap ? { idMap: deps.snapshotter.idMap } : {}),
    }),
    container: record.Id,
    ...options,
  });
}

/** The upper directory of an active snapshot's mounts and the layers below it, topmost first. */
export function overlayDirs(mounts: readonly Mount[]): { upper: string; lowers: string[] } {
  const first = mounts[0];
  if (!first) throw new Error('snapshotter returned no mounts');
  const option = (name: string) =>
    first.options.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1);
  const upper = option('upperdir');
  if (upper === undefined) return { upper: first.source, lowers: [] };
  return { upper, lowers: (option('lowerdir') ?? '').split(':').filter(Boolean) };
}

function commitTags(repo: string | undefined, tag: string | undefined): Reference[] {
  if (!repo) {
    if (tag) throw invalidArgument('tag requires a repository');
    return [];
  }
  const ref = parseNormalizedNamed(repo);
  if (ref.digest !== undefined) throw invalidArgument('cannot commit to digest reference');
  return [tag ? withTag(ref, tag) : tagNameOnly(ref)];
}

/** dockerd's merge(): what the given config leaves empty comes from the container's. */
function mergeConfig(user: ContainerConfig, from: ContainerConfig): ContainerConfig {
  const merged: ContainerConfig = { ...from, ...stripEmpty(user) };
  const keys = new Set((user.Env ?? []).map((e) => e.split('=', 1)[0]));
  merged.Env = [...(from.Env ?? []).filter((e) => !keys.has(e.split('=', 1)[0])), ...(user.Env ?? [])];
  merged.Labels = { ...(from.Labels ?? {}), ...(user.Labels ?? {}) };
  merged.ExposedPorts = { ...(from.ExposedPorts ?? {}), ...(user.ExposedPorts ?? {}) };
  return merged;
}

function stripEmpty(config: ContainerConfig): ContainerConfig {
  return Object.fromEntries(
    Object.entries(config).filter(
      ([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0),
    ),
  ) as ContainerConfig;
}
