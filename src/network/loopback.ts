import { CniExecutor } from './cni/exec.js';
import { CNI_VERSION } from './cni/types.js';

/**
 * Brings up the loopback interface of a network namespace with the CNI
 * loopback plugin. A namespace made by `ip netns add` (or handed to the
 * runtime by path) starts with `lo` down; runc only brings it up in a
 * namespace it creates itself. Every container but `--network host` needs
 * it, `--network none` ones included. Idempotent.
 */
export async function bringUpLoopback(netnsPath: string, containerId: string, cniPluginDir = '/usr/lib/cni') {
  const config = { type: 'loopback', name: 'lo', cniVersion: CNI_VERSION };
  await new CniExecutor(cniPluginDir).exec('ADD', config, { containerId, netnsPath, ifName: 'lo' });
}
