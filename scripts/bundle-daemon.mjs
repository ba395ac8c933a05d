// Bundles the compiled daemon (dist/engine/main.js and the ~260 modules it
// imports) into dist/berthd/main.js, which bin/berthd runs. Loading one module
// instead of hundreds keeps the idle daemon small: Node's ES module loader
// resolved every import through URL and path code hot enough for V8 to
// optimize some 20 of its functions at every start, and that optimizing
// compiler's code and its zones on the V8 worker threads stayed resident
// (see docs/architecture.md, start-up).
// What loads on first use (the builder, the registry client) stays apart:
// each dynamic import() becomes a chunk beside main.js.
import { readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { relative } from 'node:path';
import { build } from 'esbuild';

const dist = new URL('../dist/', import.meta.url).pathname;
const outdir = `${dist}berthd/`;

/**
 * A module that finds a file beside itself (`new URL('./hash-thread.js',
 * import.meta.url)`, `../build-info.json`) keeps finding it in dist/: its
 * import.meta.url becomes its own dist path, relative to the bundle.
 */
const ownModuleUrls = {
  name: 'own-module-urls',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!args.path.startsWith(dist) || !text.includes('import.meta.url')) return undefined;
      const own = `new URL(${JSON.stringify(relative(outdir, args.path))}, import.meta.url).href`;
      return { contents: text.replaceAll('import.meta.url', own), loader: 'js' };
    });
  },
};

/**
 * The native bindings stay packages, loaded with require(): an ES import of
 * a CommonJS package makes Node scan its source for export names, enough
 * work for V8 to optimize the scanner at every start. SQLite opens at
 * start-up; xattr, wanted only to unpack, copy or commit layers, loads with
 * its first call (mapping it costs an idle daemon ~1 MiB): its functions
 * become wrappers that load it.
 */
const NATIVE = /^(better-sqlite3|@napi-rs\/xattr)$/;
const LAZY = new Set(['@napi-rs/xattr']);
const packageRequire = createRequire(import.meta.url);

function lazyBinding(name) {
  // Functions only (lower-case names): importing one of its classes fails the build.
  const functions = Object.entries(packageRequire(name))
    .filter(([key, value]) => typeof value === 'function' && /^[a-z]/.test(key))
    .map(([key]) => key);
  return [
    'let binding;',
    `const load = () => (binding ??= require(${JSON.stringify(name)}));`,
    ...functions.map((f) => `export function ${f}(...args) { return load().${f}(...args); }`),
  ].join('\n');
}

const nativeByRequire = {
  name: 'native-by-require',
  setup(b) {
    b.onResolve({ filter: NATIVE }, (args) =>
      args.namespace === 'native'
        ? { path: args.path, external: true }
        : { path: args.path, namespace: 'native' },
    );
    b.onLoad({ filter: /.*/, namespace: 'native' }, (args) => ({
      contents: LAZY.has(args.path)
        ? lazyBinding(args.path)
        : `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: `${dist}engine/main.js` },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Bundled CommonJS packages (commander, dns-packet) require node's modules.
  banner: {
    js: "import { createRequire as berthCreateRequire } from 'node:module'; const require = berthCreateRequire(import.meta.url);",
  },
  // Without comments: V8 keeps a module's source in the heap, and one character beyond Latin-1
  // in a comment (an em dash) stores all of it in two bytes a character.
  minifyWhitespace: true,
  legalComments: 'none',
  // Linked to dist's own maps, hence to src/, for `node --enable-source-maps`.
  sourcemap: 'linked',
  plugins: [ownModuleUrls, nativeByRequire],
  logLevel: 'warning',
});
