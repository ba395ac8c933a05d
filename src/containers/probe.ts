import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Runtime } from '../runtime/runtime.js';
import { goDuration, MAX_OUTPUT, type ProbeResult } from './health.js';
import { execProcess, type OciSpec } from './spec/index.js';

/**
 * Runs a health probe in a running container through the runtime's exec,
 * as the container's own process runs (user, environment, working
 * directory, capabilities), with stdout and stderr together, cut at 4 KiB
 * as dockerd does. On timeout the probe is killed and reported with exit
 * code -1 and dockerd's message.
 */
export async function runProbe(
  runtime: Runtime,
  id: string,
  cmd: string[],
  timeoutMs: number,
  execId: string,
): Promise<ProbeResult> {
  const state = await runtime.state(id);
  const spec = JSON.parse(await readFile(join(state.bundle, 'config.json'), 'utf8')) as OciSpec;
  const process = execProcess(spec.process!, { cmd }, { passwd: '', group: '', boundingCapabilities: [] });
  const session = await runtime.exec(id, execId, { process, attach: { stdout: true, stderr: true } });
  let output = Buffer.alloc(0);
  const collect = (chunk: Buffer) => {
    if (output.length < MAX_OUTPUT) output = Buffer.concat([output, chunk]).subarray(0, MAX_OUTPUT);
  };
  session.io?.stdout.on('data', collect);
  session.io?.stderr.on('data', collect);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([session.wait(), timedOut]);
    if (outcome === 'timeout') {
      try {
        globalThis.process.kill(session.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      return { exitCode: -1, output: `Health check exceeded timeout (${goDuration(timeoutMs)})` };
    }
    // The streams may still hold the last bytes when the exit arrives.
    if (session.io) await Promise.race([session.io.closed, sleep(200)]);
    return { exitCode: outcome.exitCode, output: output.toString('utf8') };
  } finally {
    clearTimeout(timer);
    session.io?.close();
    // One session directory per probe would pile up under the bundle: drop it once done.
    await rm(join(state.bundle, 'exec', execId), { recursive: true, force: true }).catch(() => {});
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
