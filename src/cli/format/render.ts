import { parseTemplate } from './template.js';

/**
 * Renders a --format value the way docker does for single objects:
 * "json" means the whole object as JSON; anything else is a Go template.
 * A newline is added, as docker's inspect-style output does.
 */
export function renderGoTemplate(format: string, data: unknown): string {
  if (format === 'json') return `${JSON.stringify(data)}\n`;
  return `${parseTemplate(format).execute(data)}\n`;
}
