/**
 * Reading daemon.json: decoding (UTF-8, or UTF-8/UTF-16LE with a byte order
 * mark, as dockerd accepts), JSON syntax errors by line and column, and the
 * directives it sets.
 */
import { readFile } from 'node:fs/promises';
import { errnoCode, permissionDenied } from '../../core/errors.js';
import { fileError } from './config-error.js';
import { findJsonSyntaxError, lineAndColumn } from './json-syntax.js';

/**
 * The directives set in the file at `path`, in file order. A missing file
 * gives undefined unless it was named explicitly (`required`).
 */
export async function readDaemonJson(
  path: string,
  required: boolean,
): Promise<Map<string, unknown> | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' && !required) return undefined;
    const detail = `open ${path}: ${describeErrno(code, err)}`;
    if (code === 'EACCES' || code === 'EPERM') {
      throw permissionDenied(`unable to configure the daemon with file ${path}: ${detail}`, err);
    }
    throw fileError(path, detail, err);
  }
  return parseDaemonJson(path, bytes);
}

function describeErrno(code: string | undefined, err: unknown): string {
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}

/** Parses daemon.json content; `path` is only used in error messages. */
export function parseDaemonJson(path: string, bytes: Uint8Array): Map<string, unknown> {
  const text = decodeText(path, bytes);
  // An empty file (or only whitespace) is an empty configuration, as in dockerd.
  if (text.trim() === '') return new Map();
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw syntaxError(path, text, err);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    const got = Array.isArray(document) ? 'an array' : document === null ? 'null' : `a ${typeof document}`;
    throw fileError(path, `the configuration must be a JSON object ({...}), got ${got}`);
  }
  return new Map(Object.entries(document));
}

function decodeText(path: string, bytes: Uint8Array): string {
  const utf16le = bytes[0] === 0xff && bytes[1] === 0xfe;
  try {
    // TextDecoder drops a leading byte order mark.
    return new TextDecoder(utf16le ? 'utf-16le' : 'utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw fileError(
      path,
      `failed to decode the configuration: not valid ${utf16le ? 'UTF-16' : 'UTF-8'} text`,
      err,
    );
  }
}

function syntaxError(path: string, text: string, cause: unknown): Error {
  const found = findJsonSyntaxError(text) ?? { offset: text.length, reason: String(cause) };
  const { line, column } = lineAndColumn(text, found.offset);
  return fileError(path, `invalid JSON at line ${line}, column ${column}: ${found.reason}`, cause);
}
