/**
 * Dockerfile variable substitution, as BuildKit's `frontend/dockerfile/shell`
 * lexer does it for ENV, ARG, LABEL, COPY, ADD, WORKDIR, USER, EXPOSE,
 * VOLUME, STOPSIGNAL and FROM: `$VAR`, `${VAR}`, `${VAR:-word}` (word when
 * unset or empty), `${VAR-word}` (when unset), `${VAR:+word}` (word when set
 * and not empty), `${VAR+word}` (when set), `${VAR:?msg}` / `${VAR?msg}`
 * (error). Single quotes keep everything literal; double quotes expand;
 * the escape character (`\` or the `# escape=` one) makes the next
 * character literal. Quotes and escapes are removed from the result.
 */

/** Variables visible to substitution: a name → value lookup. */
export type Vars = ReadonlyMap<string, string>;

/** Builds a lookup from `KEY=value` entries; later entries win. */
export function varsOf(env: readonly string[]): Map<string, string> {
  const vars = new Map<string, string>();
  for (const entry of env) {
    const eq = entry.indexOf('=');
    if (eq < 0) vars.set(entry, '');
    else vars.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return vars;
}

/** Thrown for `${VAR?message}` on an unset variable and for bad syntax. */
export class SubstitutionError extends Error {}

export class ShellLex {
  constructor(private readonly escapeChar = '\\') {}

  /** Expands one word: quotes removed, whitespace kept. */
  processWord(word: string, vars: Vars): string {
    return new Scanner(word, this.escapeChar, vars, false).run().join('');
  }

  /** Expands and splits into words on unquoted whitespace (EXPOSE, shell-form COPY). */
  processWords(text: string, vars: Vars): string[] {
    return new Scanner(text, this.escapeChar, vars, true).run();
  }
}

class Scanner {
  private pos = 0;
  private readonly words: string[] = [];
  private current = '';
  /** Whether the current word has content (quotes make an empty word real). */
  private started = false;

  constructor(
    private readonly text: string,
    private readonly escapeChar: string,
    private readonly vars: Vars,
    private readonly split: boolean,
  ) {}

  run(): string[] {
    this.scan(undefined);
    this.flush();
    return this.split ? this.words : [this.words.join('')];
  }

  private add(text: string, quoted: boolean): void {
    if (!this.split || quoted) {
      this.current += text;
      this.started = true;
      return;
    }
    for (const ch of text) {
      if (/\s/.test(ch)) this.flush();
      else {
        this.current += ch;
        this.started = true;
      }
    }
  }

  private flush(): void {
    if (this.started) this.words.push(this.current);
    this.current = '';
    this.started = false;
  }

  /** Reads until `stop` (unquoted) or the end; returns whether `stop` was found. */
  private scan(stop: string | undefined): boolean {
    const { text } = this;
    while (this.pos < text.length) {
      const ch = text[this.pos]!;
      if (stop !== undefined && ch === stop) {
        this.pos++;
        return true;
      }
      if (ch === this.escapeChar) {
        this.pos++;
        if (this.pos < text.length) this.add(text[this.pos++]!, true);
        else this.add(ch, true);
      } else if (ch === "'") {
        this.pos++;
        const end = text.indexOf("'", this.pos);
        if (end < 0)
          throw new SubstitutionError('unexpected end of statement while looking for matching single-quote');
        this.add(text.slice(this.pos, end), true);
        this.pos = end + 1;
      } else if (ch === '"') {
        this.pos++;
        this.doubleQuoted();
      } else if (ch === '$') {
        this.pos++;
        this.add(this.dollar(), false);
      } else {
        this.add(ch, false);
        this.pos++;
      }
    }
    return false;
  }

  private doubleQuoted(): void {
    const { text } = this;
    let out = '';
    for (;;) {
      if (this.pos >= text.length)
        throw new SubstitutionError('unexpected end of statement while looking for matching double-quote');
      const ch = text[this.pos]!;
      if (ch === '"') {
        this.pos++;
        break;
      }
      if (ch === this.escapeChar && this.pos + 1 < text.length) {
        const next = text[this.pos + 1]!;
        // Inside double quotes the escape only protects quotes, `$` and itself.
        if (next === '"' || next === '$' || next === this.escapeChar) {
          out += next;
          this.pos += 2;
          continue;
        }
      }
      if (ch === '$') {
        this.pos++;
        out += this.dollar();
        continue;
      }
      out += ch;
      this.pos++;
    }
    this.add(out, true);
  }

  /** After a `$`: a variable's value, or `$` itself when no name follows. */
  private dollar(): string {
    const { text } = this;
    if (text[this.pos] !== '{') {
      const name = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9]/.exec(text.slice(this.pos))?.[0];
      if (!name) return '$';
      this.pos += name.length;
      return this.vars.get(name) ?? '';
    }
    this.pos++;
    const name = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9]+/.exec(text.slice(this.pos))?.[0];
    if (!name) throw new SubstitutionError(`missing ':' in substitution`);
    this.pos += name.length;
    const value = this.vars.get(name);
    if (text[this.pos] === '}') {
      this.pos++;
      return value ?? '';
    }
    const colon = text[this.pos] === ':';
    if (colon) this.pos++;
    const modifier = text[this.pos];
    if (modifier !== '-' && modifier !== '+' && modifier !== '?') {
      throw new SubstitutionError(`unsupported modifier (${modifier ?? 'end'}) in substitution`);
    }
    this.pos++;
    const word = this.nested();
    const set = value !== undefined && (!colon || value !== '');
    if (modifier === '-') return set ? value! : word;
    if (modifier === '+') return set ? word : '';
    if (!set) throw new SubstitutionError(`${name}: ${word || 'is not allowed to be unset'}`);
    return value!;
  }

  /** The word inside `${VAR:-…}`, expanded, up to the closing brace. */
  private nested(): string {
    const inner = new Scanner(this.text, this.escapeChar, this.vars, false);
    inner.pos = this.pos;
    if (!inner.scan('}')) throw new SubstitutionError("missing '}' in substitution");
    this.pos = inner.pos;
    inner.flush();
    return inner.words.join('');
  }
}
