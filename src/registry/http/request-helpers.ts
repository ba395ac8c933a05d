import type { FastifyReply, FastifyRequest } from 'fastify';
import { registryError } from '../errors.js';
import type { Page } from '../metadata/store.js';
import { parseRepositoryName } from '../names.js';
import type { ByteRange } from '../storage/driver.js';
import { createBodyGarbageCollector } from './body-garbage.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Body bytes read by a streaming route (for metrics). */
    bytesIn: number;
  }
}

/** The validated repository name of a `/v2/:name/...` route. */
export function repositoryName(request: FastifyRequest): string {
  return parseRepositoryName((request.params as { name: string }).name);
}

/** A query parameter as one string (the first when repeated). */
export function queryValue(request: FastifyRequest, key: string): string | undefined {
  const value = (request.query as Record<string, string | string[] | undefined>)[key];
  return Array.isArray(value) ? value[0] : value;
}

/** Whether the request carries a body (a length above 0 or chunked encoding). */
export function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

const bodyGarbage = createBodyGarbageCollector();

/** The raw request body as it streams in, counted for metrics. */
export async function* requestBody(request: FastifyRequest): AsyncIterable<Uint8Array> {
  for await (const chunk of request.raw as AsyncIterable<Buffer>) {
    request.bytesIn += chunk.byteLength;
    bodyGarbage(chunk.byteLength);
    yield chunk;
  }
}

/** `n` and `last` of a paginated listing (distribution-spec "Listing Tags"). */
export function pageOf(request: FastifyRequest, maxPageSize: number): Page {
  const n = queryValue(request, 'n');
  const last = queryValue(request, 'last');
  let limit = maxPageSize;
  if (n !== undefined) {
    if (!/^\d+$/.test(n)) throw registryError('PAGINATION_NUMBER_INVALID', { detail: { n } });
    limit = Math.min(Number(n), maxPageSize);
  }
  return { limit, ...(last ? { last } : {}) };
}

/** Sets `Link: <…?last=…&n=…>; rel="next"` when a page came back full. */
export function linkNextPage(reply: FastifyReply, path: string, page: Page, items: readonly string[]): void {
  const last = items.at(-1);
  if (page.limit === 0 || items.length < page.limit || last === undefined) return;
  const query = new URLSearchParams({ last, n: String(page.limit) });
  reply.header('link', `<${path}?${query}>; rel="next"`);
}

/** Parses a blob GET's `Range: bytes=a-b` (also `a-` and `-suffix`); undefined when absent. */
export function parseByteRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === ''))
    throw registryError('RANGE_INVALID', { detail: { size } });
  if (match[1] === '') return { start: Math.max(0, size - Number(match[2])), end: size - 1 };
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Number(match[2]);
  return { start, end };
}

/** Parses an upload's `Content-Range: a-b` (inclusive); undefined when absent. */
export function parseContentRange(header: string | undefined): { start: number; end: number } | undefined {
  if (!header) return undefined;
  const match = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!match) throw registryError('RANGE_INVALID', { detail: { contentRange: header } });
  const range = { start: Number(match[1]), end: Number(match[2]) };
  if (range.end < range.start) throw registryError('RANGE_INVALID', { detail: { contentRange: header } });
  return range;
}

/** The media types of an Accept header (or several), without parameters. */
export function acceptedTypes(request: FastifyRequest): string[] {
  const header = request.headers.accept;
  const values = Array.isArray(header) ? header : header ? [header] : [];
  return values
    .flatMap((value) => value.split(','))
    .map((type) => type.split(';')[0]?.trim() ?? '')
    .filter((type) => type !== '');
}
