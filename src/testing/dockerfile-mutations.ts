/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile variables are the subject here */
import fc from 'fast-check';

/**
 * Mutated Dockerfiles for the fuzz tests: valid Dockerfiles with lines replaced,
 * inserted, deleted or duplicated, characters that matter to the parser (escapes,
 * quotes, brackets, `$`, `=`, `#`, CR, NUL, odd Unicode) put anywhere, cuts, and
 * parser directives on top. Every line but the first `FROM busybox` can change unless
 * `keepFrom` is false, so a build never goes looking for another base image.
 */

const SEEDS = [
  [
    'FROM busybox',
    'ARG GREETING=hello',
    'ENV APP_MODE=production PATH=/usr/bin:$PATH',
    'LABEL org.example.name="soak test" version=1',
    'WORKDIR /app',
    'COPY notes.txt /app/',
    'USER nobody',
    'EXPOSE 8080/tcp 53/udp',
    'HEALTHCHECK --interval=30s --timeout=3s CMD cat /app/notes.txt',
    'STOPSIGNAL SIGTERM',
    'VOLUME ["/data"]',
    'ENTRYPOINT ["cat"]',
    'CMD ["/app/notes.txt"]',
  ],
  [
    'FROM busybox AS base',
    'ARG N=3',
    'ENV A=${N:-1} B="${A} two" \\',
    '    C=three',
    'SHELL ["/bin/sh", "-c"]',
    'ONBUILD LABEL from=onbuild',
    'FROM base',
    'COPY --from=base --chown=1:2 /bin/true /x/',
    'ADD notes.txt /added/',
    'LABEL a=$A b=${B} c=\\$C',
    'MAINTAINER someone',
    'CMD echo $A',
  ],
];

const FRAGMENTS = [
  'FROM',
  'RUN',
  'CMD',
  'ENV',
  'ARG',
  'COPY',
  'ADD',
  'LABEL',
  'ONBUILD',
  'ONBUILD ONBUILD',
  'ONBUILD FROM',
  'HEALTHCHECK',
  'HEALTHCHECK NONE',
  'HEALTHCHECK --interval=-1s CMD true',
  'HEALTHCHECK --retries=x CMD true',
  'SHELL',
  'SHELL []',
  'SHELL ["a", 1]',
  'STOPSIGNAL',
  'STOPSIGNAL SIGNOPE',
  'EXPOSE',
  'EXPOSE 99999',
  'EXPOSE -1/tcp',
  'EXPOSE 80-70',
  'EXPOSE ${PORT:?no port}',
  'USER',
  'USER a b',
  'WORKDIR',
  'WORKDIR relative',
  'VOLUME',
  'VOLUME [""]',
  'VOLUME ["/a", 2]',
  'ENV',
  'ENV A',
  'ENV =x',
  'ENV A=${',
  'ENV A=${B:?missing}',
  'ENV A=${B/',
  'ENV A="unterminated',
  "LABEL 'x",
  'LABEL =',
  'ARG',
  'ARG =x',
  'ARG A=${A}${A}${A}',
  'COPY',
  'COPY onlyone',
  'COPY --from= a b',
  'COPY --from=nostage a b',
  'COPY --from=0 a b',
  'COPY --chown= a b',
  'COPY --unknown=1 a b',
  'COPY --chmod=999 a b',
  'COPY ../../etc/passwd /x',
  'COPY /etc/passwd /x',
  'COPY ["a"]',
  'COPY ["a", "b"',
  'ADD http:// /x',
  'ADD notes.txt',
  'FROM --platform=linux/amd64',
  'FROM busybox AS 1bad',
  'FROM busybox AS',
  'FROM busybox AS a b',
  'CMD []',
  'CMD ["sh", "-c"',
  'CMD [1, 2]',
  'ENTRYPOINT [',
  'MAINTAINER',
  'NOTANINSTRUCTION x',
  '# escape=`',
  '# syntax=docker/dockerfile:1',
  '# escape=x',
  '# directive=unknown',
  '\\',
  '`',
  '',
  '   ',
  '\t',
];

const SPECIAL = [
  '\\',
  '`',
  '"',
  "'",
  '[',
  ']',
  '{',
  '}',
  '$',
  '${',
  ':',
  '=',
  '#',
  ' ',
  '\t',
  '\n',
  '\r',
  '\r\n',
  '\0',
  '-',
  '--',
  '--x=',
  '%',
  '\u00a0',
  '\u202e',
  '\uFEFF',
  '🚢',
  '\ud800',
];

type Mutation =
  | { op: 'replace' | 'insert'; at: number; line: string }
  | { op: 'delete' | 'duplicate'; at: number }
  | { op: 'char'; at: number; column: number; text: string }
  | { op: 'cut'; at: number };

const lineText = fc.oneof(
  fc.constantFrom(...FRAGMENTS),
  fc
    .tuple(fc.constantFrom(...FRAGMENTS), fc.constantFrom(...SPECIAL), fc.string({ maxLength: 12 }))
    .map(([a, b, c]) => `${a} ${b}${c}`),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constantFrom('replace' as const, 'insert' as const), at: fc.nat(), line: lineText }),
  fc.record({ op: fc.constantFrom('delete' as const, 'duplicate' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('char' as const),
    at: fc.nat(),
    column: fc.nat({ max: 80 }),
    text: fc.constantFrom(...SPECIAL),
  }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
);

function apply(seed: readonly string[], mutations: readonly Mutation[], keepFrom: boolean): string {
  const lines = [...seed];
  const first = keepFrom ? 1 : 0;
  for (const m of mutations) {
    const span = lines.length - first;
    if (span <= 0 && m.op !== 'insert') continue;
    const at = first + (span > 0 ? m.at % span : 0);
    if (m.op === 'replace') lines[at] = m.line;
    else if (m.op === 'insert') lines.splice(at, 0, m.line);
    else if (m.op === 'delete') lines.splice(at, 1);
    else if (m.op === 'duplicate') lines.splice(at, 0, lines[at]!);
    else if (m.op === 'char') {
      const text = lines[at]!;
      const col = m.column % (text.length + 1);
      lines[at] = text.slice(0, col) + m.text + text.slice(col);
    } else {
      const text = lines[at]!;
      lines[at] = text.slice(0, m.at % (text.length + 1));
      lines.splice(at + 1);
    }
  }
  return `${lines.join('\n')}\n`;
}

export interface MutatedDockerfile {
  text: string;
  /** How many lines the text has, so a line named in an error can be checked. */
  lineCount: number;
}

export function mutatedDockerfile(options: { keepFrom: boolean }): fc.Arbitrary<MutatedDockerfile> {
  return fc
    .tuple(
      fc.constantFrom(...SEEDS),
      fc.array(mutation, { minLength: 1, maxLength: 6 }),
      fc.option(fc.constantFrom('# escape=`', '# escape=\\', '# syntax=x', '# escape=``'), {
        nil: undefined,
      }),
    )
    .map(([seed, mutations, directive]) => {
      // A directive on top would move the kept FROM off line 1: only without keepFrom.
      const body = apply(seed, mutations, options.keepFrom);
      const text = directive && !options.keepFrom ? `${directive}\n${body}` : body;
      return { text, lineCount: text.split(/\r\n|\r|\n/).length };
    });
}

/** Messages that mean the daemon, not the Dockerfile, went wrong. */
export const INTERNAL_ERROR =
  /is not a function|Cannot read propert|Cannot destructure|is not iterable|undefined is not|of undefined|of null|Maximum call stack|Invalid string length|Unexpected token|ERR_[A-Z_]+/;
