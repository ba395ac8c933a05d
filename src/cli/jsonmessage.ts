/**
 * Renders the Engine API's JSON-lines progress streams (load, import, pull,
 * push, build) as docker's pkg/jsonmessage does: on a terminal every id gets
 * its own line, redrawn in place with a progress bar; elsewhere progress
 * updates are left out.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { formatHumanSize } from '../core/units.js';
import type { OutStream } from './context.js';
import { rfc3339NanoFixed } from './timestamps.js';

/** progressDetail: counts of bytes (or of `units`) done and to do. */
export interface JsonProgress {
  current?: number;
  total?: number;
  start?: number;
  hidecounts?: boolean;
  units?: string;
}

/** One message of a progress stream. */
export interface JsonMessage {
  stream?: string;
  status?: string;
  progressDetail?: JsonProgress;
  progress?: string;
  id?: string;
  from?: string;
  time?: number;
  timeNano?: number;
  errorDetail?: { code?: number; message?: string };
  error?: string;
  aux?: unknown;
}

/** An error the daemon reported inside the stream, after the 200 status. */
export class JsonStreamError extends Error {
  constructor(
    message: string,
    readonly code: number | undefined,
  ) {
    super(message);
    this.name = 'JsonStreamError';
  }
}

const ESC = '\x1b[';
const up = (n: number) => (n > 0 ? `${ESC}${n}A` : '');
const down = (n: number) => (n > 0 ? `${ESC}${n}B` : '');
const CLEAR_LINE = `${ESC}2K`;

/** HumanSize with go-units' default 4 significant digits. */
const humanSize = (n: number) => formatHumanSize(n, 4);

/** The bar and counts: "[=====>      ]  1.2MB/3.4MB 2s", fitted to the terminal width. */
export function progressText(p: JsonProgress, width: number, now = Date.now()): string {
  const current = p.current ?? 0;
  const total = p.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return p.units ? `${current} ${p.units}` : humanSize(current).padStart(8);
  const percentage = Math.min(50, Math.trunc(Math.trunc((current / total) * 100) / 2));
  const bar = width > 110 ? `[${'='.repeat(percentage)}>${' '.repeat(Math.max(0, 50 - percentage))}] ` : '';
  let numbers = '';
  if (!p.hidecounts && !p.units) {
    numbers =
      current > total
        ? humanSize(current).padStart(8)
        : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  } else if (!p.hidecounts) {
    numbers = current > total ? `${current} ${p.units}` : `${current}/${total} ${p.units}`;
  }
  let timeLeft = '';
  if (width > 50 && current > 0 && (p.start ?? 0) > 0 && percentage < 50) {
    const perEntryMs = (now - p.start! * 1000) / current;
    timeLeft = ` ${goDurationSeconds(Math.round(((total - current) * perEntryMs) / 1000))}`;
  }
  return bar + numbers + timeLeft;
}

/** Go's Duration.String() for whole seconds: "0s", "45s", "1m5s", "2h0m3s". */
function goDurationSeconds(seconds: number): string {
  if (seconds <= 0) return '0s';
  const h = Math.trunc(seconds / 3600);
  const m = Math.trunc((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  return m > 0 ? `${m}m${s}s` : `${s}s`;
}

/** One message as jsonmessage.Display writes it; returns the text. */
function renderMessage(jm: JsonMessage, out: OutStream): string {
  const terminal = out.isTerminal;
  const width = out.columns ?? 200;
  const progress = jm.progressDetail ? progressText(jm.progressDetail, width) : '';
  let text = '';
  let endl = '';
  if (terminal && !jm.stream && jm.progressDetail) {
    endl = '\r';
    text += `${CLEAR_LINE}${endl}`;
  } else if (jm.progressDetail && progress !== '') {
    return '';
  }
  if (jm.timeNano) text += `${rfc3339NanoFixed(BigInt(jm.timeNano))} `;
  else if (jm.time) text += `${rfc3339NanoFixed(BigInt(jm.time) * 1_000_000_000n)} `;
  if (jm.id) text += `${jm.id}: `;
  if (jm.from) text += `(from ${jm.from}) `;
  if (jm.progressDetail && terminal) text += `${jm.status ?? ''} ${progress}${endl}`;
  else if (jm.progress) text += `${jm.status ?? ''} ${jm.progress}${endl}`;
  else if (jm.stream) text += `${jm.stream}${endl}`;
  else text += `${jm.status ?? ''}${endl}\n`;
  return text;
}

/**
 * Shows a progress stream; aux messages go to onAux. Throws JsonStreamError
 * when the stream reports an error, as docker stops there.
 */
export async function displayJsonMessages(
  input: Readable,
  out: OutStream,
  onAux?: (aux: unknown) => void,
): Promise<void> {
  const lines = new Map<string, number>();
  for await (const jm of decodeJsonStream(input)) {
    if (jm.aux !== undefined) {
      onAux?.(jm.aux);
      continue;
    }
    if (jm.errorDetail)
      throw new JsonStreamError(jm.errorDetail.message ?? jm.error ?? '', jm.errorDetail.code);
    let diff = 0;
    let text = '';
    if (jm.id && (jm.progressDetail || jm.progress)) {
      let line = lines.get(jm.id);
      if (line === undefined) {
        line = lines.size;
        lines.set(jm.id, line);
        if (out.isTerminal) text += '\n';
      }
      diff = lines.size - line;
      if (out.isTerminal) text += up(diff);
    } else {
      lines.clear();
    }
    text += renderMessage(jm, out);
    if (jm.id && out.isTerminal) text += down(diff);
    if (text) out.stream.write(text);
  }
}

/** Splits a stream of concatenated JSON objects, as Go's json.Decoder reads them. */
export async function* decodeJsonStream(input: Readable): AsyncGenerator<JsonMessage> {
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  for await (const chunk of input) {
    buffer += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    let end = objectEnd(buffer);
    while (end > 0) {
      yield JSON.parse(buffer.slice(0, end)) as JsonMessage;
      buffer = buffer.slice(end);
      end = objectEnd(buffer);
    }
  }
  if (buffer.trim()) yield JSON.parse(buffer) as JsonMessage;
}

/** The index just past the first complete JSON value in text, or 0 if it is incomplete. */
function objectEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return 0;
}
