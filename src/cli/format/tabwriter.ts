/**
 * Go's text/tabwriter (elastic tabstops) as docker's fork of it uses it:
 * cells end at a tab; a column is a run of adjacent lines that have a cell in
 * it, and is as wide as its widest cell plus padding, but at least minWidth.
 * The last cell of a line is not part of a column and is never padded.
 */
import { displayWidth } from './width.js';

export interface TabwriterOptions {
  /** Minimal cell width, padding included. */
  readonly minWidth?: number;
  /** Width of a tab character when padding with tabs. */
  readonly tabWidth?: number;
  /** Added to the widest cell of a column. */
  readonly padding?: number;
  readonly padChar?: string;
  readonly alignRight?: boolean;
  /** Prints '|' between columns, as Go's Debug flag does. */
  readonly debug?: boolean;
}

/** docker's table settings: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0). */
export const DOCKER_TABLE_OPTIONS: Required<TabwriterOptions> = {
  minWidth: 10,
  tabWidth: 1,
  padding: 3,
  padChar: ' ',
  alignRight: false,
  debug: false,
};

interface Cell {
  readonly text: string;
  readonly width: number;
}

class TabFormatter {
  private readonly widths: number[] = [];
  private out = '';

  constructor(
    private readonly lines: readonly (readonly Cell[])[],
    private readonly options: Required<TabwriterOptions>,
  ) {}

  render(): string {
    this.format(0, this.lines.length);
    return this.out;
  }

  /** Formats lines [line0, line1), fixing one more column width at each level of recursion. */
  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    let start = line0;
    for (let row = start; row < line1; row++) {
      if (column >= this.cellCount(row) - 1) continue;
      // A column block starts here: print the lines above it, then size it.
      this.writeLines(start, row);
      start = row;
      let width = this.options.minWidth;
      for (; row < line1 && column < this.cellCount(row) - 1; row++) {
        const cell = this.lines[row]?.[column];
        width = Math.max(width, (cell?.width ?? 0) + this.options.padding);
      }
      this.widths.push(width);
      this.format(start, row);
      this.widths.pop();
      start = row;
    }
    this.writeLines(start, line1);
  }

  private cellCount(row: number): number {
    return this.lines[row]?.length ?? 0;
  }

  private writeLines(line0: number, line1: number): void {
    for (let row = line0; row < line1; row++) {
      for (const [column, cell] of (this.lines[row] ?? []).entries()) this.writeCell(cell, column);
      // The final line holds the text after the last newline, which has none.
      if (row + 1 < this.lines.length) this.out += '\n';
    }
  }

  private writeCell(cell: Cell, column: number): void {
    if (column > 0 && this.options.debug) this.out += '|';
    const width = this.widths[column];
    const padding = width === undefined ? '' : this.padding(cell.width, width);
    this.out += this.options.alignRight && cell.text !== '' ? padding + cell.text : cell.text + padding;
  }

  private padding(textWidth: number, cellWidth: number): string {
    const { padChar, tabWidth } = this.options;
    if (padChar !== '\t') return padChar.repeat(cellWidth - textWidth);
    if (tabWidth === 0) return '';
    // Tabs pad to the next multiple of the tab width.
    const rounded = Math.ceil(cellWidth / tabWidth) * tabWidth;
    return '\t'.repeat(Math.ceil((rounded - textWidth) / tabWidth));
  }
}

/** Splits text into lines of cells; a line without tabs, or a form feed, ends a block that is formatted on its own. */
function splitBlocks(text: string): Cell[][][] {
  const blocks: Cell[][][] = [];
  let lines: Cell[][] = [[]];
  let cell = '';
  for (const char of text) {
    if (char !== '\t' && char !== '\v' && char !== '\n' && char !== '\f') {
      cell += char;
      continue;
    }
    const line = lines[lines.length - 1] ?? [];
    line.push({ text: cell, width: displayWidth(cell) });
    cell = '';
    if (char !== '\n' && char !== '\f') continue;
    lines.push([]);
    if (char === '\f' || line.length === 1) {
      blocks.push(lines);
      lines = [[]];
    }
  }
  if (cell !== '') lines[lines.length - 1]?.push({ text: cell, width: displayWidth(cell) });
  blocks.push(lines);
  return blocks;
}

/**
 * Aligns tab-separated text as Go's tabwriter would, by default with docker's
 * table settings. Rows of cells are joined with tabs, each row ending in a newline.
 */
export function tabwrite(
  input: string | readonly (readonly string[])[],
  options: TabwriterOptions = {},
): string {
  const text = typeof input === 'string' ? input : input.map((row) => row.join('\t') + '\n').join('');
  const settings = { ...DOCKER_TABLE_OPTIONS, ...options };
  return splitBlocks(text)
    .map((lines) => new TabFormatter(lines, settings).render())
    .join('');
}
