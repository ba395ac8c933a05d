import type { Duplex } from 'node:stream';

/** Stream ids of Docker's multiplexed framing (stdin is never framed on the way out). */
export const STDOUT = 1;
export const STDERR = 2;
/** Used by `docker attach` to report an error mid-stream (API ≥ 1.42 system stream). */
export const SYSTEM = 3;

/**
 * One frame of Docker's multiplexed stream: [stream, 0, 0, 0, size (uint32 BE)]
 * then the payload. Used for non-TTY attach, exec and logs.
 */
export function frame(stream: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Splits a multiplexed byte stream back into frames; keeps partial frames across chunks. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { stream: number; payload: Buffer }[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: { stream: number; payload: Buffer }[] = [];
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      frames.push({ stream: this.pending[0]!, payload: this.pending.subarray(8, 8 + size) });
      this.pending = this.pending.subarray(8 + size);
    }
    return frames;
  }
}

/**
 * Answers a hijack request the way the Docker CLI requires: 101 with
 * `Upgrade: tcp`, no length or chunking, raw bytes after the blank line.
 * Before API 1.42 the CLI expects the raw-stream content type in every case.
 */
export function acceptHijack(
  socket: Duplex,
  options: { multiplexed: boolean; headers?: Record<string, string> },
): void {
  const contentType = options.multiplexed
    ? 'application/vnd.docker.multiplexed-stream'
    : 'application/vnd.docker.raw-stream';
  const extra = Object.entries(options.headers ?? {})
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.write(
    `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n${extra}\r\n`,
  );
}
