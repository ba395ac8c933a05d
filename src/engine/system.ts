import { readdir } from 'node:fs/promises';
import { API_VERSION, MIN_API_VERSION } from '../api/versioning.js';
import { goArch } from '../core/platform.js';
import type { EventBus } from '../events/bus.js';
import type { RuntimeChoice } from '../runtime/detect.js';
import type { BuildInfo } from './build-info.js';
import type { DaemonConfig } from './config/types.js';
import type { HostFacts } from './host/facts.js';
import type { HostPreparation } from './host/prepare.js';
import { buildRegistryConfig, type RegistryConfig } from './registry-config.js';

/** Counts other services provide to `info`; each returns what its store holds. */
export interface InventoryCounts {
  containers(): Promise<{ running: number; paused: number; stopped: number }>;
  images(): Promise<number>;
}

export const emptyInventory: InventoryCounts = {
  containers: async () => ({ running: 0, paused: 0, stopped: 0 }),
  images: async () => 0,
};

/** GET /version, in the Engine API's shape. */
export interface VersionInfo {
  Platform: { Name: string };
  Components: { Name: string; Version: string; Details: Record<string, string> }[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
  Experimental: boolean;
  BuildTime: string;
}

export interface SystemServiceOptions {
  engineId: string;
  config: DaemonConfig;
  build: BuildInfo;
  host: HostFacts;
  prepared: HostPreparation;
  runtimes: RuntimeChoice;
  backingFs: string;
  events: EventBus;
  inventory?: InventoryCounts;
  conmonVersion: string | undefined;
  /** `<data-root>/<uid>.<gid>` of a `userns-remap` daemon: what dockerd reports as its root dir. */
  storeRoot?: string;
}

/** Answers /version and /info from the daemon's configuration and the host's facts. */
export class SystemService {
  private readonly versionInfo: VersionInfo;
  inventory: InventoryCounts;

  constructor(private options: SystemServiceOptions) {
    this.inventory = options.inventory ?? emptyInventory;
    this.versionInfo = this.makeVersion();
  }

  get events(): EventBus {
    return this.options.events;
  }

  get engineId(): string {
    return this.options.engineId;
  }

  get hostname(): string {
    return this.options.host.hostname;
  }

  get config(): DaemonConfig {
    return this.options.config;
  }

  /** Takes a reloaded configuration (SIGHUP); only reloadable keys differ. */
  updateConfig(config: DaemonConfig): void {
    this.options = { ...this.options, config };
  }

  version(): VersionInfo {
    return this.versionInfo;
  }

  private makeVersion(): VersionInfo {
    const { build, host, config, runtimes } = this.options;
    const arch = goArch();
    const engine = {
      Name: 'Engine',
      Version: build.version,
      Details: {
        ApiVersion: API_VERSION,
        Arch: arch,
        BuildTime: build.buildTime,
        Experimental: String(config.experimental),
        GitCommit: build.gitCommit,
        GoVersion: `node${process.versions.node}`,
        KernelVersion: host.kernelVersion,
        MinAPIVersion: MIN_API_VERSION,
        Os: 'linux',
      },
    };
    const components: VersionInfo['Components'] = [engine];
    for (const rt of runtimes.runtimes) {
      if (rt.version !== undefined && (rt.name === 'runc' || rt.name === 'crun')) {
        components.push({ Name: rt.name, Version: rt.version, Details: { GitCommit: rt.commit ?? '' } });
      }
    }
    if (this.options.conmonVersion) {
      components.push({ Name: 'conmon', Version: this.options.conmonVersion, Details: { GitCommit: '' } });
    }
    return {
      Platform: { Name: 'Berth Engine' },
      Components: components,
      Version: build.version,
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: build.gitCommit,
      GoVersion: `node${process.versions.node}`,
      Os: 'linux',
      Arch: arch,
      KernelVersion: host.kernelVersion,
      Experimental: config.experimental,
      BuildTime: build.buildTime,
    };
  }

  registryConfig(): RegistryConfig {
    return buildRegistryConfig(this.options.config);
  }

  async info(): Promise<Record<string, unknown>> {
    const { config, host, prepared, runtimes, engineId } = this.options;
    const [containers, images, nfd] = await Promise.all([
      this.inventory.containers(),
      this.inventory.images(),
      readdir('/proc/self/fd').then(
        (fds) => fds.length,
        () => -1,
      ),
    ]);
    const cg = host.cgroup.controllers;
    const warnings = [...prepared.warnings];
    if (config.defaultRuntime === undefined && runtimes.defaultRuntime !== 'crun') {
      warnings.push(`WARNING: ${runtimes.reason}`);
    }
    if (!cg.has('memory')) warnings.push('WARNING: No memory limit support');
    return {
      ID: engineId,
      Containers: containers.running + containers.paused + containers.stopped,
      ContainersRunning: containers.running,
      ContainersPaused: containers.paused,
      ContainersStopped: containers.stopped,
      Images: images,
      Driver: config.storageDriver,
      DriverStatus: [
        ['Backing Filesystem', this.options.backingFs],
        ['Supports d_type', 'true'],
        ['Using metacopy', 'false'],
        ['Native Overlay Diff', 'true'],
        ['userxattr', 'false'],
      ],
      Plugins: {
        Volume: ['local'],
        Network: ['bridge', 'host', 'none', 'null'],
        Authorization: null,
        Log: ['json-file', 'local', 'none'],
      },
      MemoryLimit: cg.has('memory'),
      SwapLimit: cg.has('memory'),
      CpuCfsPeriod: cg.has('cpu'),
      CpuCfsQuota: cg.has('cpu'),
      CPUShares: cg.has('cpu'),
      CPUSet: cg.has('cpuset'),
      PidsLimit: cg.has('pids'),
      IPv4Forwarding: prepared.ipForward,
      BridgeNfIptables: prepared.bridgeNfIptables,
      BridgeNfIp6tables: prepared.bridgeNfIp6tables,
      Debug: config.debug,
      NFd: nfd,
      OomKillDisable: host.cgroup.version === '1' && cg.has('memory'),
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: config.logDriver,
      CgroupDriver: config.cgroupDriver,
      CgroupVersion: host.cgroup.version,
      NEventsListener: this.options.events.listenerCount,
      KernelVersion: host.kernelVersion,
      OperatingSystem: host.operatingSystem,
      OSVersion: host.osVersion,
      OSType: 'linux',
      Architecture: host.architecture,
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: this.registryConfig(),
      NCPU: host.ncpu,
      MemTotal: host.memTotal,
      GenericResources: null,
      DockerRootDir: this.options.storeRoot ?? config.dataRoot,
      HttpProxy: process.env.HTTP_PROXY ?? process.env.http_proxy ?? '',
      HttpsProxy: process.env.HTTPS_PROXY ?? process.env.https_proxy ?? '',
      NoProxy: process.env.NO_PROXY ?? process.env.no_proxy ?? '',
      Name: host.hostname,
      Labels: config.labels,
      ExperimentalBuild: config.experimental,
      ServerVersion: this.options.build.version,
      Runtimes: Object.fromEntries(
        runtimes.runtimes.map((r) => [
          r.name,
          { path: r.path, ...(r.runtimeArgs.length ? { runtimeArgs: r.runtimeArgs } : {}) },
        ]),
      ),
      DefaultRuntime: runtimes.defaultRuntime,
      Swarm: {
        NodeID: '',
        NodeAddr: '',
        LocalNodeState: 'inactive',
        ControlAvailable: false,
        Error: '',
        RemoteManagers: null,
      },
      LiveRestoreEnabled: config.liveRestore,
      Isolation: '',
      InitBinary: 'tini',
      ContainerdCommit: { ID: '' },
      RuncCommit: { ID: runtimes.runtimes.find((r) => r.name === runtimes.defaultRuntime)?.commit ?? '' },
      InitCommit: { ID: '' },
      SecurityOptions: this.securityOptions(),
      DefaultAddressPools: config.defaultAddressPools.map((p) => ({ Base: p.base, Size: p.size })),
      CDISpecDirs: [],
      Warnings: warnings,
    };
  }

  private securityOptions(): string[] {
    const { config, host } = this.options;
    const options = [`name=seccomp,profile=${config.seccompProfile ?? 'builtin'}`];
    if (config.usernsRemap) options.push('name=userns');
    if (host.cgroup.version === '2') options.push('name=cgroupns');
    if (config.noNewPrivileges) options.push('name=no-new-privileges');
    return options;
  }
}
