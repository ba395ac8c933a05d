import { chmodSync, lchownSync, lutimesSync } from 'node:fs';
import { wrap } from '../core/errors.js';
import { runCommand } from '../core/exec.js';

/** A device node or fifo to create, with the metadata to give it. */
export interface SpecialNode {
  /** Relative path, used to find pending nodes. */
  rel: string;
  abs: string;
  kind: 'char' | 'block' | 'fifo';
  major: number;
  minor: number;
  uid: number;
  gid: number;
  mode: number;
  mtime: number;
}

const BATCH_LIMIT = 256;

/*
 * Node cannot call mknod(2), so we run mknod(1). Whiteouts (0/0 character
 * devices) can number in the hundreds in one layer, so nodes are queued and
 * created in batches by one shell running mknod per node: a fork per node
 * from a small shell is far cheaper than a spawn per node from Node. Paths go
 * in as arguments, never into the script text, so no quoting is involved.
 */
const MKNOD_SCRIPT =
  'while [ $# -gt 0 ]; do if [ "$2" = p ]; then mknod -- "$1" p; else mknod -- "$1" "$2" "$3" "$4"; fi || exit 1; shift 4; done';

/**
 * Creates device nodes and fifos in batches. The caller must flush before
 * inspecting or replacing a path that {@link has} reports as pending, and at
 * the end of the run.
 */
export class SpecialNodes {
  private queued: SpecialNode[] = [];
  private readonly queuedPaths = new Set<string>();

  /** Queues a node; its parent must already exist and nothing may exist at its path. */
  async add(node: SpecialNode): Promise<void> {
    this.queued.push(node);
    this.queuedPaths.add(node.rel);
    if (this.queued.length >= BATCH_LIMIT) await this.flush();
  }

  /** True if a node for `rel` is queued but not yet created. */
  has(rel: string): boolean {
    return this.queuedPaths.has(rel);
  }

  /** Creates every queued node and applies owner, mode and times. */
  async flush(): Promise<void> {
    const batch = this.queued;
    if (batch.length === 0) return;
    this.queued = [];
    this.queuedPaths.clear();
    try {
      await runCommand('sh', ['-c', MKNOD_SCRIPT, 'sh', ...batch.flatMap(mknodArguments)]);
    } catch (err) {
      throw wrap(err, 'failed to create device nodes');
    }
    for (const node of batch) applyMetadata(node);
  }
}

function mknodArguments(node: SpecialNode): string[] {
  if (node.kind === 'fifo') return [node.abs, 'p', '', ''];
  return [node.abs, node.kind === 'char' ? 'c' : 'b', String(node.major), String(node.minor)];
}

function applyMetadata(node: SpecialNode): void {
  lchownSync(node.abs, node.uid, node.gid);
  // chmod after chown, which clears setuid/setgid. The path is a node we just made, never a symlink.
  chmodSync(node.abs, node.mode);
  lutimesSync(node.abs, node.mtime, node.mtime);
}
