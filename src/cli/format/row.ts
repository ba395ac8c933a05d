/**
 * docker's formatter rows: the fields a --format template sees, and the JSON
 * `{{json .}}` prints for them (formatter.MarshalJSON: sorted keys, with
 * encoding/json's HTML escaping).
 */
import { GO_MARSHAL_JSON, type GoJsonMarshaler } from './docker-functions.js';

const HTML_UNSAFE: Readonly<Record<string, string>> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** encoding/json's HTML escaping of JSON text: <, >, & and the JavaScript line terminators. */
export function goHtmlEscape(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => HTML_UNSAFE[c] ?? c);
}

/** encoding/json's Marshal of a map: keys sorted, <, > and & escaped. */
export function goMarshalSorted(fields: Readonly<Record<string, unknown>>): string {
  const sorted = Object.fromEntries(
    Object.keys(fields)
      .sort()
      .map((key) => [key, fields[key]]),
  );
  return goHtmlEscape(JSON.stringify(sorted));
}

/** A row's fields by name (all text, as docker's formatter methods return strings). */
export type FormatterRow = Record<string, string> & GoJsonMarshaler;

/** Makes a plain object of fields a formatter row that marshals like docker's. */
export function formatterRow(fields: Record<string, string>): FormatterRow {
  Object.defineProperty(fields, GO_MARSHAL_JSON, { value: () => goMarshalSorted(fields), enumerable: false });
  return fields as FormatterRow;
}
