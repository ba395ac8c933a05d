import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { errnoCode, failedPrecondition } from '../../core/errors.js';
import type { TerminalSize } from '../runtime.js';

/** conmon's ctl message types (config.h). */
const WIN_RESIZE_EVENT = 1;

/**
 * Writes one message to conmon's `ctl` fifo: "<type> <height> <width>\n".
 * One message per write: conmon 2.1 handles only the first line of a read.
 * Non-blocking, so a monitor that is gone fails fast (ENXIO) instead of hanging.
 */
async function writeCtl(ctlPath: string, line: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(ctlPath, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENXIO') throw failedPrecondition('the container has no live monitor');
    throw err;
  }
  try {
    await handle.write(line);
  } finally {
    await handle.close();
  }
}

/** Resizes the pty conmon holds for a container or exec session. */
export function writeControl(ctlPath: string, size: TerminalSize): Promise<void> {
  const height = Math.max(0, Math.trunc(size.height));
  const width = Math.max(0, Math.trunc(size.width));
  return writeCtl(ctlPath, `${WIN_RESIZE_EVENT} ${height} ${width}\n`);
}
