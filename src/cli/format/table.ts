/**
 * docker's --format handling (cli/command/formatter): `table` templates with
 * a header row aligned by the tabwriter, `json` for one JSON object per line,
 * and plain templates rendered once per item.
 */
import { BerthError, wrap } from '../../core/errors.js';
import { HEADER_FUNCTIONS } from './docker-functions.js';
import { tabwrite } from './tabwriter.js';
import { parseTemplate, type Template } from './template.js';

export { type TabwriterOptions, tabwrite } from './tabwriter.js';

const TABLE_PREFIX = 'table';
const JSON_FORMAT = 'json';
const JSON_TEMPLATE = '{{json .}}';

/** How template failures are worded: docker's formatter says "template parsing error" for both. */
export interface TemplateErrorWords {
  readonly parse: string;
  readonly execute: string;
}

const FORMATTER_WORDS: TemplateErrorWords = {
  parse: 'template parsing error',
  execute: 'template parsing error',
};

export interface FormatItemsOptions {
  /** `ps` words them its own way ("failed to parse template", "failed to execute template"). */
  readonly errorWords?: TemplateErrorWords;
  /** Used when no format, or just `table`, is given, e.g. "table {{.ID}}\t{{.Name}}". */
  readonly defaultTable: string;
  /** Column titles by field name, e.g. { ID: 'CONTAINER ID' }. */
  readonly headers: Readonly<Record<string, string>>;
}

export function isTableFormat(format: string): boolean {
  return format.startsWith(TABLE_PREFIX);
}

/** docker's preFormat: drops the table keyword, trims spaces and turns typed `\t` and `\n` into real ones. */
function templateText(format: string): string {
  const body = isTableFormat(format) ? format.slice(TABLE_PREFIX.length) : format;
  return body.replace(/^ +| +$/g, '').replace(/\\t|\\n/g, (typed) => (typed === '\\t' ? '\t' : '\n'));
}

/** docker's formatter words every template failure, parsing or executing, as a parsing error. */
function withFormatContext<T>(render: () => T, words: string): T {
  try {
    return render();
  } catch (err) {
    throw err instanceof BerthError ? wrap(err, words) : err;
  }
}

function compile(format: string, words: TemplateErrorWords): Template {
  return withFormatContext(() => parseTemplate(templateText(format)), words.parse);
}

function renderRows(template: Template, items: readonly unknown[], words: TemplateErrorWords): string {
  return items.map((item) => withFormatContext(() => template.execute(item), words.execute) + '\n').join('');
}

/**
 * Renders items as a table: the header row comes from running the template on
 * the header titles (with docker's header functions, ignoring errors as docker
 * does), then every item gives a row, and the tabwriter aligns the columns.
 */
export function renderTable(
  items: readonly unknown[],
  format: string,
  headers: Readonly<Record<string, string>>,
  words: TemplateErrorWords = FORMATTER_WORDS,
): string {
  const template = compile(format, words);
  const body = renderRows(template, items, words);
  const header = template.executePartial(headers, HEADER_FUNCTIONS).output;
  return tabwrite(header + '\n' + body);
}

/** Renders each item with a template, one result per line. */
export function renderLines(
  items: readonly unknown[],
  format: string,
  words: TemplateErrorWords = FORMATTER_WORDS,
): string {
  return renderRows(compile(format, words), items, words);
}

/**
 * Applies a --format value as docker does: none or `table` means the default
 * table, `json` one JSON object per line, `table ...` a custom table, and
 * anything else a template rendered for every item.
 */
export function formatItems(
  items: readonly unknown[],
  format: string | undefined,
  options: FormatItemsOptions,
): string {
  const chosen = !format || format === TABLE_PREFIX ? options.defaultTable : format;
  const words = options.errorWords ?? FORMATTER_WORDS;
  if (chosen === JSON_FORMAT) return renderLines(items, JSON_TEMPLATE, words);
  if (isTableFormat(chosen)) return renderTable(items, chosen, options.headers, words);
  return renderLines(items, chosen, words);
}
