import { invalidArgument } from './errors.js';

/** The default detach sequence of `docker attach` and `docker run -it`: ctrl-p, ctrl-q. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** Docker's names for control characters 0–31, in order (moby/term's ASCII table). */
const CONTROL_NAMES = [
  'ctrl-@',
  ...Array.from({ length: 26 }, (_, i) => `ctrl-${String.fromCharCode(97 + i)}`),
  'ctrl-[',
  'ctrl-\\',
  'ctrl-]',
  'ctrl-^',
  'ctrl-_',
];

/**
 * Parses a detach-keys spec ("ctrl-p,ctrl-q", "a,ctrl-b", "DEL") into bytes,
 * as moby/term's ToBytes does. Bad specs fail with Docker's wording.
 */
export function parseDetachKeys(spec: string): Buffer {
  const codes: number[] = [];
  for (const key of spec.split(',')) {
    if (key.length === 1) {
      codes.push(key.charCodeAt(0));
      continue;
    }
    const index = CONTROL_NAMES.indexOf(key);
    if (index >= 0) codes.push(index);
    else if (key === 'DEL') codes.push(127);
    else throw invalidArgument(`Unknown character: '${key}'`);
  }
  return Buffer.from(codes);
}

/**
 * Watches an input stream for the detach sequence. Bytes that may start the
 * sequence are held back until it is clear they do not; a full match is
 * swallowed and reported instead of passed on (moby/term's EscapeProxy).
 */
export class DetachScanner {
  private held = 0;

  constructor(private readonly keys: Buffer) {}

  /** What to pass on from `chunk`, and whether the sequence completed in it (the rest is dropped). */
  push(chunk: Buffer): { pass: Buffer; detached: boolean } {
    if (this.keys.length === 0) return { pass: chunk, detached: false };
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.held]) {
        this.held++;
        if (this.held === this.keys.length) return { pass: Buffer.from(out), detached: true };
        continue;
      }
      // A mismatch releases what was held; the byte may itself start the sequence again.
      for (let i = 0; i < this.held; i++) out.push(this.keys[i]!);
      this.held = 0;
      if (byte === this.keys[0]) {
        this.held = 1;
        if (this.keys.length === 1) return { pass: Buffer.from(out), detached: true };
      } else out.push(byte);
    }
    return { pass: Buffer.from(out), detached: false };
  }
}
