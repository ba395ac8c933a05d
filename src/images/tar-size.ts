import {
  BLOCK_SIZE,
  decodeHeader,
  decodePax,
  entryType,
  isZeroBlock,
  paddingFor,
} from '../snapshots/tar/format.js';

/** PAX headers beyond this are not read for a size record (Go's reader limit). */
const MAX_PAX_SIZE = 1 << 20;

/**
 * Measures a layer as Docker does while it passes by: the sum of the sizes of
 * its regular files (dockerd's "diff size", what `docker images` and
 * `docker history` add up). Only the 512-byte headers are looked at; bodies
 * pass through untouched. A stream that stops being a valid tar just stops
 * being counted: the layer apply reading the same bytes reports the error.
 */
export class TarContentSize {
  /** Bytes of regular-file content seen so far. */
  size = 0;
  private skip = 0;
  private want = BLOCK_SIZE;
  private collected: Buffer[] = [];
  private collectedLength = 0;
  private state: 'header' | 'pax' = 'header';
  private paxSize: number | undefined;
  private done = false;

  /** Passes `source` through unchanged, counting as it goes. */
  async *tap(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      if (!this.done) this.scan(chunk);
      yield chunk;
    }
  }

  private scan(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && !this.done) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - pos);
        this.skip -= n;
        pos += n;
        continue;
      }
      const n = Math.min(this.want - this.collectedLength, chunk.length - pos);
      this.collected.push(chunk.subarray(pos, pos + n));
      this.collectedLength += n;
      pos += n;
      if (this.collectedLength === this.want) this.complete(Buffer.concat(this.collected));
    }
  }

  private complete(block: Buffer): void {
    this.collected = [];
    this.collectedLength = 0;
    try {
      if (this.state === 'pax') this.completePax(block);
      else if (isZeroBlock(block)) this.done = true;
      else this.completeHeader(block);
    } catch {
      this.done = true;
    }
  }

  private completeHeader(block: Buffer): void {
    const raw = decodeHeader(block);
    const type = entryType(raw.typeflag);
    if (raw.typeflag === 'x' && raw.size <= MAX_PAX_SIZE) {
      this.state = 'pax';
      this.want = raw.size;
      if (raw.size === 0) this.completePax(Buffer.alloc(0));
      return;
    }
    if (type === undefined) {
      // GNU long names, global PAX headers: skip their bodies.
      this.skip = raw.size + paddingFor(raw.size);
      return;
    }
    const size = type === 'file' ? (this.paxSize ?? raw.size) : 0;
    this.paxSize = undefined;
    this.size += size;
    this.skip = size + paddingFor(size);
  }

  private completePax(body: Buffer): void {
    const size = decodePax(body).get('size');
    if (size !== undefined) this.paxSize = Number(size.toString('latin1'));
    this.state = 'header';
    this.want = BLOCK_SIZE;
    this.skip = paddingFor(body.length);
  }
}
