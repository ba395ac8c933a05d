/**
 * docker's inspect output (cli/command/inspect): the daemon's JSON for each
 * reference, as one indented JSON array, compact JSON (`--format json`), or a
 * Go template per object. Failed references are reported after the output.
 */
import { BerthError } from '../core/errors.js';
import type { CliContext } from './context.js';
import { errorText, StatusError } from './errors.js';
import { parseTemplate, type Template } from './format/index.js';
import { compactJson, indentJson } from './json-text.js';

/** Fetches one object's raw JSON text; throws when there is none. */
export type GetRawObject = (ref: string) => Promise<string>;

/** Collects what each reference gives and prints it the way the format asks. */
interface Inspector {
  add(raw: string): void;
  flush(): string;
}

function templateInspector(template: Template): Inspector {
  let buffer = '';
  return {
    add(raw) {
      try {
        // docker runs the template on the typed object, then on the raw JSON with
        // missingkey=error; with JSON data the second run decides.
        buffer += `${template.execute(JSON.parse(raw), { missingKeyError: true })}\n`;
      } catch (err) {
        if (err instanceof BerthError) throw new Error(`template parsing error: ${err.message}`);
        throw err;
      }
    },
    flush: () => buffer || '\n',
  };
}

function jsonInspector(render: (text: string) => string): Inspector {
  const raws: string[] = [];
  return {
    add: (raw) => raws.push(raw),
    flush: () => (raws.length === 0 ? '[]\n' : `${render(`[${raws.join(',')}]`)}\n`),
  };
}

function createInspector(format: string | undefined): Inspector {
  if (!format) return jsonInspector((text) => indentJson(text));
  if (format === 'json') return jsonInspector(compactJson);
  try {
    return templateInspector(parseTemplate(format));
  } catch (err) {
    // docker exits 64 when the template does not parse.
    throw new StatusError(`template parsing error: ${errorText(err)}`, 64);
  }
}

/**
 * Inspects each reference in turn. Prints what was found, then fails with
 * every error, one per line, as docker joins them.
 */
export async function inspectObjects(
  ctx: CliContext,
  refs: readonly string[],
  format: string | undefined,
  getRaw: GetRawObject,
): Promise<number> {
  const inspector = createInspector(format);
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      inspector.add(await getRaw(ref));
    } catch (err) {
      errors.push(errorText(err));
    }
  }
  ctx.out(inspector.flush());
  if (errors.length > 0) throw new StatusError(errors.join('\n'), 1);
  return 0;
}
