import { join } from 'node:path';
import { BerthError, ErrorKind } from '../../core/errors.js';
import { runProcess } from '../process.js';
import type { CniConfList, CniErrorDocument, CniPluginConfig, CniResult, CniRuntime } from './types.js';

/** A CNI operation as named in CNI_COMMAND. */
export type CniCommand = 'ADD' | 'DEL' | 'CHECK';

/**
 * Runs CNI plugin binaries the way libcni does: the whole list, plugin by
 * plugin, each given its own configuration plus the list's name and version
 * and, when chained, the previous plugin's result.
 */
export class CniExecutor {
  /** @param pluginDir the directory holding the plugin binaries (CNI_PATH). */
  constructor(private readonly pluginDir: string) {}

  /** ADD: runs every plugin in order; returns the last plugin's result. */
  async add(list: CniConfList, runtime: CniRuntime): Promise<CniResult> {
    let result: CniResult | undefined;
    for (const plugin of list.plugins) {
      const output = await this.exec('ADD', pluginConfig(list, plugin, result), runtime);
      result = JSON.parse(output) as CniResult;
    }
    if (!result) throw new BerthError(ErrorKind.Internal, `CNI network ${list.name} has no plugins`);
    return result;
  }

  /**
   * DEL: runs the plugins in reverse order, each given the cached ADD result
   * as prevResult (CNI ≥ 0.4.0), so chained plugins such as portmap find the
   * rules they made. DEL is idempotent: a missing interface is not an error.
   */
  async del(list: CniConfList, runtime: CniRuntime, prevResult: CniResult | undefined): Promise<void> {
    for (const plugin of [...list.plugins].reverse()) {
      await this.exec('DEL', pluginConfig(list, plugin, prevResult), runtime);
    }
  }

  /** Runs one plugin binary; a failure becomes a BerthError with the plugin's message. */
  async exec(command: CniCommand, config: Record<string, unknown>, runtime: CniRuntime): Promise<string> {
    const type = String(config['type']);
    const env = {
      CNI_COMMAND: command,
      CNI_CONTAINERID: runtime.containerId,
      CNI_NETNS: runtime.netnsPath,
      CNI_IFNAME: runtime.ifName,
      CNI_PATH: this.pluginDir,
      CNI_ARGS: '',
    };
    const binary = join(this.pluginDir, type);
    const outcome = await runProcess(binary, [], { input: JSON.stringify(config), env });
    if (outcome.code === 0) return outcome.stdout;
    throw pluginError(type, command, outcome.stdout, outcome.stderr);
  }
}

/** The stdin of one plugin in a list, as libcni's buildOneConfig makes it. */
export function pluginConfig(
  list: CniConfList,
  plugin: CniPluginConfig,
  prevResult: CniResult | undefined,
): Record<string, unknown> {
  const config: Record<string, unknown> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  if (prevResult) config['prevResult'] = prevResult;
  return config;
}

function pluginError(type: string, command: CniCommand, stdout: string, stderr: string): BerthError {
  let message = stderr.trim() || stdout.trim();
  try {
    const doc = JSON.parse(stdout) as CniErrorDocument;
    message = [doc.msg, doc.details].filter(Boolean).join(': ');
  } catch {
    // Not a CNI error document: keep the raw output.
  }
  return new BerthError(ErrorKind.Internal, `CNI plugin ${type} ${command} failed: ${message}`);
}
