// Placeholder until the Go-template engine lands: field paths and json only.
import { invalidArgument } from '../../core/errors.js';

export interface Template {
  execute(data: unknown): string;
}

function lookup(data: unknown, path: string): unknown {
  let value: unknown = data;
  for (const part of path.split('.').filter(Boolean)) {
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value;
}

export function parseTemplate(text: string): Template {
  return {
    execute: (data) =>
      text.replace(/\{\{\s*(json\s+)?(\.[\w.]*)\s*\}\}/g, (_m, json: string | undefined, path: string) => {
        const value = lookup(data, path);
        if (json) return JSON.stringify(value);
        if (value === undefined) throw invalidArgument(`template: no field ${path}`);
        return typeof value === 'object' ? JSON.stringify(value) : String(value);
      }),
  };
}
