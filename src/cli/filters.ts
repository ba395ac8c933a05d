/** Turns repeated `--filter key=value` flags into the Engine API's filters JSON (map form). */
export function filtersToJson(flags: string[] | undefined): string | undefined {
  if (!flags?.length) return undefined;
  const map: Record<string, Record<string, boolean>> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new Error(`bad format of filter (expected name=value)`);
    const key = flag.slice(0, eq).trim().toLowerCase();
    const values = map[key] ?? {};
    values[flag.slice(eq + 1)] = true;
    map[key] = values;
  }
  return JSON.stringify(map);
}
