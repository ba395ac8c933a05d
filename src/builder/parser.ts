/**
 * The Dockerfile parser: text → one node per instruction, as BuildKit's
 * `frontend/dockerfile/parser` reads it. Parser directives (`# escape=`,
 * `# syntax=`) are honoured only at the top, before any comment, blank line
 * or instruction; a line ending in the escape character continues on the
 * next; comment lines (also inside a continuation) and blank lines inside a
 * continuation are dropped. Arguments stay raw here: the instruction
 * parser (instructions.ts) decides per instruction how to read them.
 */
import { BuilderError } from './errors.js';

/** One instruction of a Dockerfile. */
export interface DockerfileNode {
  /** The instruction, lower case (`from`, `run` …). */
  instruction: string;
  /** `--name=value` flags found at the start of the arguments, in order. */
  flags: string[];
  /** The arguments after the flags, with continuations joined. */
  args: string;
  /** The instruction as written (continuations joined), for "Step i/n : …". */
  original: string;
  /** 1-based line numbers of its first and last line. */
  startLine: number;
  endLine: number;
}

/** What the parser read. */
export interface ParsedDockerfile {
  nodes: DockerfileNode[];
  escape: string;
  directives: Record<string, string>;
  /** Notes to show the user, such as empty continuation lines. */
  warnings: string[];
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const KNOWN_DIRECTIVES = new Set(['escape', 'syntax']);

/** Instructions whose arguments may begin with `--flag` options. */
const FLAGGED = new Set(['from', 'run', 'copy', 'add', 'healthcheck']);

/** Parses Dockerfile text. Throws BuilderError with the line for bad directives. */
export function parseDockerfile(text: string): ParsedDockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const directives: Record<string, string> = {};
  const warnings: string[] = [];
  let index = 0;
  for (; index < lines.length; index++) {
    const match = DIRECTIVE.exec(lines[index]!);
    if (!match) break;
    const name = match[1]!.toLowerCase();
    if (!KNOWN_DIRECTIVES.has(name)) break;
    if (name in directives)
      throw new BuilderError(`only one ${name} parser directive can be used`, index + 1);
    directives[name] = match[2]!;
  }
  const escapeChar = directives['escape'] ?? '\\';
  if (escapeChar !== '\\' && escapeChar !== '`') {
    throw new BuilderError(`invalid ESCAPE '${escapeChar}'. Must be \` or \\`, index);
  }
  const nodes: DockerfileNode[] = [];
  let pending: { text: string; start: number; emptyContinuation: boolean } | undefined;
  for (; index < lines.length; index++) {
    const lineNo = index + 1;
    const trimmedStart = lines[index]!.replace(/^[ \t]+/, '');
    if (trimmedStart.startsWith('#')) continue;
    if (trimmedStart.trim() === '') {
      if (pending) pending.emptyContinuation = true;
      continue;
    }
    // Continuation lines keep their leading whitespace, as BuildKit joins them.
    const { body, continues } = splitContinuation(pending ? lines[index]! : trimmedStart, escapeChar);
    if (pending) pending.text += body;
    else pending = { text: body, start: lineNo, emptyContinuation: false };
    if (continues && index < lines.length - 1) continue;
    if (pending.emptyContinuation) {
      warnings.push(`[WARNING]: Empty continuation line found in: ${pending.text.trim()}`);
    }
    nodes.push(nodeOf(pending.text, pending.start, lineNo));
    pending = undefined;
  }
  return { nodes, escape: escapeChar, directives, warnings };
}

/** A line without its trailing escape character, and whether it had one. */
function splitContinuation(line: string, escapeChar: string): { body: string; continues: boolean } {
  const trimmed = line.replace(/[ \t]+$/, '');
  if (trimmed.endsWith(escapeChar)) {
    // An escaped escape character at the end is not a continuation.
    const run = /(\\+|`+)$/.exec(trimmed)?.[0] ?? '';
    if (run.length % 2 === 1) return { body: trimmed.slice(0, -1), continues: true };
  }
  return { body: line, continues: false };
}

function nodeOf(text: string, startLine: number, endLine: number): DockerfileNode {
  const trimmed = text.trim();
  const match = /^(\S+)(?:\s+([\s\S]*))?$/.exec(trimmed)!;
  const instruction = match[1]!.toLowerCase();
  let rest = match[2] ?? '';
  const flags: string[] = [];
  if (FLAGGED.has(instruction)) {
    for (;;) {
      const flag = /^(--\S*)\s*/.exec(rest);
      if (!flag || flag[1] === '--') break;
      flags.push(flag[1]!);
      rest = rest.slice(flag[0].length);
    }
  }
  return { instruction, flags, args: rest.trim(), original: trimmed, startLine, endLine };
}
