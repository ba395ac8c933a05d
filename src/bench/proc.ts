import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

/** Wall time of one command in milliseconds; a non-zero exit is an error. */
export function timeCommand(file: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'], env: env ?? process.env });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${file} ${args.join(' ')} exited ${code}: ${stderr.trim()}`));
    });
  });
}

async function parents(): Promise<Map<number, number>> {
  const map = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid) map.set(Number(entry), ppid);
  }
  return map;
}

/** A process and all its descendants. */
export async function processTree(root: number): Promise<number[]> {
  const ppids = await parents();
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of ppids) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

export async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/** Resident memory of a process tree in MiB. */
export async function treeRssMiB(root: number): Promise<number> {
  let total = 0;
  for (const pid of await processTree(root)) total += await rssKiB(pid);
  return total / 1024;
}
