/** docker-compatible --format support: Go templates, docker's functions and aligned tables. */

export { GO_MARSHAL_JSON, type GoJsonMarshaler } from './docker-functions.js';
export type { ExecOptions } from './evaluator.js';
export { type FormatterRow, formatterRow, goMarshalSorted } from './row.js';
export { type FormatItemsOptions, formatItems, isTableFormat, renderLines, renderTable } from './table.js';
export { DOCKER_TABLE_OPTIONS, type TabwriterOptions, tabwrite } from './tabwriter.js';
export { type PartialResult, parseTemplate, TEMPLATE_FUNCTIONS, Template } from './template.js';
