import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../core/errors.js';
import { writeFileAtomic, writeFileReplacing } from '../core/fs-atomic.js';
import type { Endpoint, NetworkRecord } from './types.js';

/**
 * Network state on disk, one small JSON file per record, each written
 * atomically (temp file, fsync, rename):
 *
 *     <root>/networks/<network id>.json
 *     <root>/endpoints/<network id>/<container id>.json
 *
 * An endpoint file is the lease of its address and host ports: it is written
 * before the CNI ADD and removed after the DEL, so whatever a crash
 * interrupts, the next start finds it and can undo it.
 *
 * Endpoint files are replaced without fsync (they are on every container's
 * start path): what one lets berthd undo (veth, namespace, NAT rules, the
 * lease of a live container) lives in the kernel. A berthd crash keeps the
 * file (the page cache outlives the process); a power loss may lose it or
 * leave it unreadable (skipped at load), but takes what it described with
 * it, and no container runs after a reboot. Networks keep the fsync.
 */
export class NetworkStateStore {
  constructor(private readonly root: string) {}

  /** Every stored network and endpoint; unreadable files are skipped and reported. */
  async load(onBadFile: (path: string, err: unknown) => void): Promise<{
    networks: NetworkRecord[];
    endpoints: Endpoint[];
  }> {
    const networks = await this.readAll<NetworkRecord>(join(this.root, 'networks'), onBadFile);
    const endpoints: Endpoint[] = [];
    for (const dir of await listDir(join(this.root, 'endpoints'))) {
      endpoints.push(...(await this.readAll<Endpoint>(join(this.root, 'endpoints', dir), onBadFile)));
    }
    return { networks, endpoints };
  }

  async saveNetwork(network: NetworkRecord): Promise<void> {
    await mkdir(join(this.root, 'networks'), { recursive: true });
    await writeFileAtomic(this.networkPath(network.id), JSON.stringify(network, null, 2));
  }

  async removeNetwork(id: string): Promise<void> {
    await rm(this.networkPath(id), { force: true });
    await rm(join(this.root, 'endpoints', id), { recursive: true, force: true });
  }

  async saveEndpoint(endpoint: Endpoint): Promise<void> {
    await mkdir(join(this.root, 'endpoints', endpoint.networkId), { recursive: true });
    await writeFileReplacing(this.endpointPath(endpoint), JSON.stringify(endpoint, null, 2));
  }

  async removeEndpoint(endpoint: Endpoint): Promise<void> {
    await rm(this.endpointPath(endpoint), { force: true });
  }

  private networkPath(id: string): string {
    return join(this.root, 'networks', `${id}.json`);
  }

  private endpointPath(endpoint: Endpoint): string {
    return join(this.root, 'endpoints', endpoint.networkId, `${endpoint.containerId}.json`);
  }

  private async readAll<T>(dir: string, onBadFile: (path: string, err: unknown) => void): Promise<T[]> {
    const records: T[] = [];
    for (const name of await listDir(dir)) {
      if (!name.endsWith('.json')) continue;
      const path = join(dir, name);
      try {
        records.push(JSON.parse(await readFile(path, 'utf8')) as T);
      } catch (err) {
        onBadFile(path, err);
      }
    }
    return records;
  }
}

/** Entry names of a directory; none when it does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
}
