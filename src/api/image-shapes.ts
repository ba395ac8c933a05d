/**
 * Engine API JSON for images: field names, order and null-versus-empty as
 * dockerd marshals them, and what changed between API versions (1.43 drops
 * the `<none>` placeholders, 1.44 VirtualSize, 1.45 Container and
 * ContainerConfig).
 */
import type { ContainerConfig } from '../images/config.js';
import type { DeleteItem } from '../images/delete.js';
import type { HistoryItem, ImageDetails, ImageSummary } from '../images/views.js';
import { compareVersions } from './versioning.js';

const before = (version: string, than: string) => compareVersions(version, than) < 0;

/** An ImageSummary of GET /images/json. */
export function imageSummaryJson(image: ImageSummary, version: string) {
  const unnamed = image.repoTags.length === 0 && image.repoDigests.length === 0;
  const placeholders = unnamed && before(version, '1.43');
  return {
    Containers: image.containers,
    Created: image.created,
    Id: image.id,
    Labels: image.labels === null ? null : sortedKeys(image.labels),
    ParentId: image.parentId,
    RepoDigests: placeholders
      ? ['<none>@<none>']
      : image.repoDigests.length > 0
        ? image.repoDigests
        : nullBefore(version),
    RepoTags: placeholders
      ? ['<none>:<none>']
      : image.repoTags.length > 0
        ? image.repoTags
        : nullBefore(version),
    SharedSize: image.sharedSize,
    Size: image.size,
    ...(before(version, '1.44') ? { VirtualSize: image.size } : {}),
  };
}

/** dockerd before 1.43 sent null for an empty list of names; later versions an empty list. */
function nullBefore(version: string): string[] | null {
  return before(version, '1.43') ? null : [];
}

/** GET /images/{name}/json. */
export function imageInspectJson(image: ImageDetails, version: string) {
  return {
    Id: image.id,
    RepoTags: image.repoTags,
    RepoDigests: image.repoDigests,
    Parent: image.parent,
    Comment: image.comment,
    Created: image.created,
    ...(before(version, '1.45')
      ? { Container: image.container, ContainerConfig: containerConfigJson(image.containerConfig) }
      : {}),
    DockerVersion: image.dockerVersion,
    Author: image.author,
    Config: containerConfigJson(image.config),
    Architecture: image.architecture,
    ...(image.variant ? { Variant: image.variant } : {}),
    Os: image.os,
    ...(image.osVersion ? { OsVersion: image.osVersion } : {}),
    Size: image.size,
    ...(before(version, '1.44') ? { VirtualSize: image.size } : {}),
    GraphDriver: { Data: image.graphDriver.data, Name: image.graphDriver.name },
    RootFS: { Type: image.rootFS.type, Layers: image.rootFS.layers },
    Metadata: { LastTagTime: image.lastTagTime },
  };
}

/**
 * Docker's container.Config as Go marshals it: every field, zero values
 * included, except the ones tagged omitempty.
 */
export function containerConfigJson(config: ContainerConfig) {
  return {
    Hostname: config.Hostname ?? '',
    Domainname: config.Domainname ?? '',
    User: config.User ?? '',
    AttachStdin: config.AttachStdin ?? false,
    AttachStdout: config.AttachStdout ?? false,
    AttachStderr: config.AttachStderr ?? false,
    ...(nonEmpty(config.ExposedPorts) ? { ExposedPorts: sortedKeys(config.ExposedPorts) } : {}),
    Tty: config.Tty ?? false,
    OpenStdin: config.OpenStdin ?? false,
    StdinOnce: config.StdinOnce ?? false,
    Env: config.Env ?? null,
    Cmd: config.Cmd ?? null,
    ...(config.Healthcheck ? { Healthcheck: config.Healthcheck } : {}),
    ...(config.ArgsEscaped ? { ArgsEscaped: true } : {}),
    Image: config.Image ?? '',
    Volumes: config.Volumes ? sortedKeys(config.Volumes) : null,
    WorkingDir: config.WorkingDir ?? '',
    Entrypoint: config.Entrypoint ?? null,
    ...(config.NetworkDisabled ? { NetworkDisabled: true } : {}),
    ...(config.MacAddress ? { MacAddress: config.MacAddress } : {}),
    OnBuild: config.OnBuild ?? null,
    Labels: config.Labels ? sortedKeys(config.Labels) : null,
    ...(config.StopSignal ? { StopSignal: config.StopSignal } : {}),
    ...(config.StopTimeout !== undefined ? { StopTimeout: config.StopTimeout } : {}),
    ...(config.Shell ? { Shell: config.Shell } : {}),
  };
}

/** GET /images/{name}/history. */
export function historyJson(items: readonly HistoryItem[]) {
  return items.map((item) => ({
    Comment: item.comment,
    Created: item.created,
    CreatedBy: item.createdBy,
    Id: item.id,
    Size: item.size,
    Tags: item.tags,
  }));
}

/** DELETE /images/{name} and the ImagesDeleted of a prune. */
export function deleteItemsJson(items: readonly DeleteItem[]) {
  return items.map((item) => ('untagged' in item ? { Untagged: item.untagged } : { Deleted: item.deleted }));
}

function nonEmpty(value: Record<string, unknown> | null | undefined): value is Record<string, unknown> {
  return !!value && Object.keys(value).length > 0;
}

/** Go marshals maps with sorted keys. */
function sortedKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
