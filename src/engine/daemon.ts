import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ApiServer, createApiServer } from '../api/server.js';
import { writeFileAtomic } from '../core/fs-atomic.js';
import { lazyService } from '../core/lazy.js';
import type { Logger } from '../core/logger.js';
import type { DistributionService } from '../distribution/service.js';
import { EventBus } from '../events/bus.js';
import { detectRuntimes } from '../runtime/detect.js';
import { VolumeService } from '../volumes/index.js';
import { readBuildInfo } from './build-info.js';
import { openBuildService } from './build-service.js';
import type { DaemonConfig } from './config/types.js';
import { BridgeContainerNetworking } from './container-networking.js';
import { openContainerService } from './container-stores.js';
import { LocalContainerVolumes } from './container-volumes.js';
import { backingFilesystem, readHostFacts } from './host/facts.js';
import { prepareHost } from './host/prepare.js';
import { openImageStores } from './image-stores.js';
import { interruptedWrites } from './leftovers.js';
import { type Listener, openListeners } from './listeners.js';
import { NetworkService } from './network-service.js';
import { openNetworks } from './network-stores.js';
import { claimPidfile } from './pidfile.js';
import { registrySettings } from './registry-config.js';
import { emptyInventory, SystemService } from './system.js';
import { checkPassable, prepareRemappedRoot, resolveUsernsRemap } from './userns-remap.js';

const run = promisify(execFile);

/** A stable ID for this data root, as dockerd keeps in engine-id. */
async function engineId(dataRoot: string): Promise<string> {
  const path = join(dataRoot, 'engine-id');
  const existing = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (existing) return existing;
  const id = randomUUID();
  await writeFileAtomic(path, id, 0o600);
  return id;
}

async function conmonVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await run('conmon', ['--version'], { timeout: 5000 });
    return /version\s+(\S+)/.exec(stdout)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * The running daemon: owns its listeners, pidfile and services, and takes
 * them down in reverse order of start-up.
 */
export class Daemon {
  private readonly undo: (() => Promise<void>)[] = [];
  private constructor(
    readonly system: SystemService,
    readonly listeners: Listener[],
    private readonly log: Logger,
  ) {}

  static async start(config: DaemonConfig, log: Logger): Promise<Daemon> {
    const undo: (() => Promise<void>)[] = [];
    try {
      await mkdir(config.dataRoot, { recursive: true, mode: 0o711 });
      await mkdir(config.execRoot, { recursive: true, mode: 0o700 });
      const pidfile = await claimPidfile(config.pidfile);
      undo.push(() => pidfile.release());
      // userns-remap: images, containers and volumes live under <data-root>/<uid>.<gid>, as in dockerd,
      // and the exec root lets the remapped root pass through to the container's rootfs.
      const remap = config.usernsRemap ? await resolveUsernsRemap(config.usernsRemap) : undefined;
      const storeRoot = remap ? await prepareRemappedRoot(config.dataRoot, remap.idMap) : config.dataRoot;
      if (remap) {
        await checkPassable(config.execRoot, remap.idMap);
        await chmod(config.execRoot, 0o711);
        log.info(`userns-remap: containers run as ${remap.user}:${remap.group}`, {
          uid: remap.idMap.root.uid,
          gid: remap.idMap.root.gid,
        });
      }
      const stores: DaemonConfig = { ...config, dataRoot: storeRoot };
      // Temp files of whole-file writes a crash cut short; layer and volume contents are not ours.
      const leftovers = await interruptedWrites(stores, true);
      if (leftovers.length > 0) log.info('removed temp files of interrupted writes', { files: leftovers });

      const [build, host, prepared, id, backingFs, conmon] = await Promise.all([
        readBuildInfo(),
        readHostFacts(),
        prepareHost({ ipForward: config.ipForward, log }),
        engineId(config.dataRoot),
        backingFilesystem(config.dataRoot),
        conmonVersion(),
      ]);
      const runtimes = await detectRuntimes({
        configured: config.runtimes,
        defaultRuntime: config.defaultRuntime,
        cgroup: host.cgroup,
      });
      log.info(`default runtime ${runtimes.defaultRuntime}: ${runtimes.reason}`);
      const events = new EventBus();
      // Images: content store, metadata, overlay snapshots (see image-stores.ts).
      const images = await openImageStores({
        dataRoot: storeRoot,
        ...(remap ? { idMap: remap.idMap } : {}),
        events,
        log,
        engineVersion: build.version,
      });
      undo.push(() => images.close());
      // Networks: bridges, rules and DNS servers come back before any container starts.
      const networks = await openNetworks(config, log);
      undo.push(() => networks.close());
      const networking = new BridgeContainerNetworking(
        networks,
        () => containers.store,
        log,
        { dns: config.dns, dnsSearch: config.dnsSearch, dnsOptions: config.dnsOpts },
        events,
      );
      const volumeService = await VolumeService.open({
        root: join(storeRoot, 'volumes'),
        logger: log,
        events,
        ...(remap ? { owner: remap.idMap.root } : {}),
      });
      const volumes = new LocalContainerVolumes(
        volumeService,
        () => containers.store,
        log,
        remap?.idMap.root,
      );
      const containers = await openContainerService({
        config: stores,
        ...(remap ? { idMap: remap.idMap } : {}),
        runtimes,
        images,
        events,
        log,
        networking,
        volumes,
      });
      undo.push(() => containers.detachLogRotation());
      // Runs before the networks and images close: removals finishing in the background end first.
      undo.push(() => containers.settle());
      await networking.reconcile();
      await volumes.reconcile();
      const inventory = {
        ...emptyInventory,
        images: async () => images.service.count(),
        containers: async () => containers.counts(),
      };
      const system = new SystemService({
        engineId: id,
        config,
        build,
        host,
        prepared,
        runtimes,
        backingFs,
        events,
        conmonVersion: conmon,
        inventory,
        ...(remap ? { storeRoot } : {}),
      });
      // The registry client's code loads with the first pull, push, login or search.
      const distribution = lazyService<DistributionService>(
        async () =>
          new (await import('../distribution/service.js')).DistributionService(images.service, () =>
            registrySettings(system.config),
          ),
      );
      const networkService = new NetworkService(networks, networking, () => containers, events);
      const builder = await openBuildService({ config: stores, images, containers, log });
      const api: ApiServer = await createApiServer({
        system,
        images: images.service,
        containers,
        distribution,
        networks: networkService,
        volumes: volumeService,
        builder,
        log,
      });
      undo.push(() => api.close());
      const listeners = await openListeners(config, api.app, log);
      undo.push(async () => {
        await Promise.all(listeners.map((l) => l.close()));
      });
      for (const l of listeners) log.info(`API listen on ${l.address}`);
      const daemon = new Daemon(system, listeners, log);
      daemon.undo.push(...undo);
      return daemon;
    } catch (err) {
      for (const step of undo.reverse()) await step().catch(() => {});
      throw err;
    }
  }

  /** Applies a reloaded configuration and announces it, as dockerd's SIGHUP does. */
  reload(config: DaemonConfig, changed: string[]): void {
    this.system.updateConfig(config);
    this.log.setLevel(config.debug ? 'debug' : config.logLevel);
    this.system.events.publish({
      type: 'daemon',
      action: 'reload',
      id: this.system.engineId,
      attributes: {
        name: this.system.hostname,
        debug: String(config.debug),
        'insecure-registries': JSON.stringify(config.insecureRegistries),
        'registry-mirrors': JSON.stringify(config.registryMirrors),
        'live-restore': String(config.liveRestore),
        'max-concurrent-downloads': String(config.maxConcurrentDownloads),
        'max-concurrent-uploads': String(config.maxConcurrentUploads),
        'default-runtime': config.defaultRuntime ?? '',
        labels: JSON.stringify(config.labels),
        changed: changed.join(', '),
      },
    });
  }

  async stop(): Promise<void> {
    for (const step of this.undo.reverse()) {
      await step().catch((err: unknown) => this.log.warn('shutdown step failed', { error: err }));
    }
  }
}
