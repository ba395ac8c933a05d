/**
 * Go's json.Indent and json.Compact on raw JSON text: the daemon's bytes are
 * kept (key order, escapes, number spelling); only the space between tokens
 * changes, as `docker inspect` prints them.
 */

/** Walks the JSON text, handing each token-level character (strings whole) to visit. */
function scan(text: string, visit: (token: string) => void): void {
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      visit(text.slice(i, j + 1));
      i = j + 1;
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if ('{}[],:'.includes(c)) {
      visit(c);
      i++;
    } else {
      let j = i;
      while (j < text.length && !' \t\n\r{}[],:"'.includes(text[j]!)) j++;
      visit(text.slice(i, j));
      i = j;
    }
  }
}

/** json.Indent(dst, src, prefix "", indent): empty objects and arrays stay `{}` and `[]`. */
export function indentJson(text: string, indent = '    '): string {
  let out = '';
  let depth = 0;
  let pendingOpen = false;
  const newline = () => `\n${indent.repeat(depth)}`;
  scan(text, (token) => {
    const closing = token === '}' || token === ']';
    if (pendingOpen) {
      pendingOpen = false;
      if (closing) {
        depth--;
        out += token;
        return;
      }
      out += newline();
    }
    if (token === '{' || token === '[') {
      out += token;
      depth++;
      pendingOpen = true;
    } else if (closing) {
      depth--;
      out += newline() + token;
    } else if (token === ',') {
      out += `,${newline()}`;
    } else if (token === ':') {
      out += ': ';
    } else {
      out += token;
    }
  });
  return out;
}

/** json.Compact: the same JSON with no space between tokens. */
export function compactJson(text: string): string {
  let out = '';
  scan(text, (token) => {
    out += token;
  });
  return out;
}
