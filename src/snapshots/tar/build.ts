import type { TarHeader } from './format.js';
import { bodyPadding, END_OF_ARCHIVE, encodeEntry } from './writer.js';

/** An entry for {@link buildTar}: a name, any header fields to override, and a body. */
export type EntrySpec = Partial<TarHeader> & { name: string; body?: string | Buffer };

/** A header with defaults: a directory if the name ends in '/', else a file; owned by root. */
export function defaultHeader(name: string): TarHeader {
  const type = name.endsWith('/') ? 'directory' : 'file';
  const mode = type === 'directory' ? 0o755 : 0o644;
  const mtime = 1_700_000_000;
  return {
    name,
    type,
    mode,
    uid: 0,
    gid: 0,
    size: 0,
    mtime,
    linkname: '',
    devmajor: 0,
    devminor: 0,
    xattrs: new Map(),
  };
}

/** A whole tar archive in memory, for tests and small generated layers. */
export function buildTar(entries: readonly EntrySpec[]): Buffer {
  const parts: Buffer[] = [];
  for (const { body = '', ...fields } of entries) {
    const data = Buffer.from(body);
    parts.push(...encodeEntry({ ...defaultHeader(fields.name), size: data.length, ...fields }));
    parts.push(data, bodyPadding(data.length));
  }
  return Buffer.concat([...parts, END_OF_ARCHIVE]);
}
