import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerNetworking } from '../containers/networking.js';
import type { ContainerRecord } from '../containers/record.js';
import { ContainerService } from '../containers/service.js';
import { type ContainerDefaults, readSpecHost, type SeccompChoice } from '../containers/spec/index.js';
import { ContainerStore } from '../containers/store.js';
import type { ContainerVolumes } from '../containers/volumes.js';
import type { IdMap } from '../core/id-map.js';
import type { Logger } from '../core/logger.js';
import type { EventBus } from '../events/bus.js';
import { chainIds } from '../images/chain.js';
import { SNAPSHOTTER_NAME } from '../images/layers.js';
import { createConmonRuntime } from '../runtime/conmon/factory.js';
import type { RuntimeChoice } from '../runtime/detect.js';
import type { Runtime } from '../runtime/runtime.js';
import type { DaemonConfig } from './config/types.js';
import type { ImageStores } from './image-stores.js';

/**
 * Opens the container service: records under `<data-root>/containers`, one
 * conmon-driven Runtime per usable OCI runtime, images resolved through the
 * image service, and the images' `rmi` conflicts answered from the records.
 * Containers that were running when the daemon stopped are adopted.
 */
export async function openContainerService(options: {
  config: DaemonConfig;
  runtimes: RuntimeChoice;
  images: ImageStores;
  events: EventBus;
  log: Logger;
  networking?: ContainerNetworking;
  volumes?: ContainerVolumes;
  /** `userns-remap`: containers get a user namespace with these mappings unless `--userns=host`. */
  idMap?: IdMap;
}): Promise<ContainerService> {
  const { config, images, log } = options;
  const store = await ContainerStore.open(join(config.dataRoot, 'containers'), log);
  const runtimes = new Map<string, Runtime>();
  for (const rt of options.runtimes.runtimes) {
    if (rt.version === undefined) continue;
    try {
      const runtime = await createConmonRuntime({
        execRoot: config.execRoot,
        runtime: { name: rt.name, path: rt.path, args: rt.runtimeArgs },
        cgroupDriver: config.cgroupDriver,
        logger: log,
      });
      runtimes.set(rt.name, runtime);
    } catch (err) {
      log.warn(`runtime ${rt.name} is not usable`, { error: err });
    }
  }
  const cgroupParent = config.extraOptions['cgroup-parent'];
  const specHost = await readSpecHost({
    cgroupDriver: config.cgroupDriver,
    ...(typeof cgroupParent === 'string' && cgroupParent ? { cgroupParent } : {}),
    ...(config.initPath ? { initPath: config.initPath } : {}),
    defaults: await containerDefaults(config),
  });
  const service = new ContainerService({
    store,
    runtimes,
    defaultRuntime: options.runtimes.defaultRuntime,
    snapshotter: images.snapshotter,
    snapshotterName: SNAPSHOTTER_NAME,
    refs: images.metadata.refs,
    images: {
      resolve: async (name) => {
        const details = await images.service.inspect(name);
        return {
          id: details.id,
          config: details.config as Record<string, unknown>,
          topLayer: chainIds(details.rootFS.layers).at(-1),
          size: details.size,
        };
      },
      writableSize: (snapshotKey) => images.service.writableLayerSize(snapshotKey),
    },
    events: options.events,
    log,
    execRoot: config.execRoot,
    specHost,
    ...(options.networking ? { networking: options.networking } : {}),
    ...(options.volumes ? { volumes: options.volumes } : {}),
    ...(options.idMap ? { idMap: options.idMap } : {}),
    logConfig: { Type: config.logDriver, Config: { ...config.logOpts } },
  });
  images.service.setUsage({
    containersUsing: (imageId) =>
      store
        .list()
        .filter((c: ContainerRecord) => c.Image === imageId)
        .map((c) => ({ id: c.Id, running: c.State.Running })),
  });
  await service.restore();
  return service;
}

/** daemon.json's defaults for containers; a seccomp-profile file is read and checked now. */
async function containerDefaults(config: DaemonConfig): Promise<ContainerDefaults> {
  const ipcMode = config.extraOptions['default-ipc-mode'];
  const cgroupns = config.extraOptions['default-cgroupns-mode'];
  const profile = config.seccompProfile;
  let seccomp: SeccompChoice | undefined;
  if (profile === 'unconfined') seccomp = 'unconfined';
  else if (profile && profile !== 'builtin') {
    const json = await readFile(profile, 'utf8').catch((err: unknown) => {
      throw new Error(`seccomp-profile: cannot read ${profile}: ${(err as Error).message}`);
    });
    try {
      JSON.parse(json);
    } catch (err) {
      throw new Error(`seccomp-profile: ${profile} is not JSON: ${(err as Error).message}`);
    }
    seccomp = { json };
  }
  return {
    shmSize: config.defaultShmSize,
    ...(ipcMode === 'private' || ipcMode === 'shareable' ? { ipcMode } : {}),
    ...(cgroupns === 'private' || cgroupns === 'host' ? { cgroupns } : {}),
    ulimits: Object.values(config.defaultUlimits),
    noNewPrivileges: config.noNewPrivileges,
    ...(seccomp ? { seccomp } : {}),
    init: config.init,
  };
}
