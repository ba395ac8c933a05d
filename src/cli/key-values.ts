/** `key=value` flags and label maps, the way docker's CLI reads and prints them. */

/** "key=value" flags (--label, --opt) as a map; no "=" means an empty value (docker's opts.ConvertKVStringsToMap). */
export function keyValues(list: readonly string[] | undefined): Record<string, string> {
  return Object.fromEntries(
    (list ?? []).map((item) => {
      const eq = item.indexOf('=');
      return eq < 0 ? [item, ''] : [item.slice(0, eq), item.slice(eq + 1)];
    }),
  );
}

/** Labels as the LABELS column of an `ls` shows them: "k=v" joined by commas. */
export function labelsColumn(labels: Record<string, string> | null | undefined): string {
  return Object.entries(labels ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}
