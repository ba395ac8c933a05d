// Bundles the compiled CLI (dist/cli) into one CommonJS file,
// dist/berth-cli/main.cjs, and warms a V8 code cache for it (main.cjs.cache)
// that bin/berth loads it with: compiling ~130 ES modules was most of what
// `berth` spent starting. Commands import their heavy parts (native
// bindings, TLS) dynamically, so those load only when used.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const outdir = new URL('../dist/berth-cli/', import.meta.url).pathname;
await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: [new URL('../dist/cli/main.js', import.meta.url).pathname],
  outfile: `${outdir}main.cjs`,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // import() has no loader inside vm.Script or a start-up snapshot: lazy loads become require().
  supported: { 'dynamic-import': false },
  // Native bindings stay packages, required only by the commands that use them.
  external: ['@napi-rs/xattr', 'better-sqlite3', 'pg'],
  // The modules find files next to themselves (dist/build-info.json) by import.meta.url.
  define: { 'import.meta.url': 'berthModuleUrl' },
  banner: { js: "const berthModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Without comments and spare whitespace the source that V8 keeps in the
  // snapshot is a third of its size in memory (Latin-1 only, see below):
  // Node reads and deserializes the whole snapshot at every start. Names
  // stay, for stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
// V8 keeps a script's source as one byte a character only when every
// character is Latin-1: one other character (an arrow in a comment) doubles it.
// esbuild writes strings as ASCII escapes, but keeps regular expressions as written.
const wide = /[^\u0000-\u00ff]/.exec(await readFile(`${outdir}main.cjs`, 'utf8'));
if (wide) console.warn(`bundle-cli: ${JSON.stringify(wide[0])} in the bundle doubles its size in memory`);
// Running the CLI writes the code cache; `--help` builds every command, so
// their option code is compiled into the cache too.
const berth = new URL('../bin/berth', import.meta.url).pathname;
execFileSync(process.execPath, [berth, '--help'], { stdio: 'ignore' });

// A V8 start-up snapshot of the bundle (main.blob): `node --snapshot-blob`
// starts with the CLI's modules already evaluated, which saves their
// compile and load on every run. bin/berth uses it only when the node on
// PATH is the one that built it (main.blob.node), else the bundle above.
// Best effort: a Node that cannot build it leaves no blob.
const blob = `${outdir}main.blob`;
// Node's flags for the snapshot, when built and when run (V8 refuses a
// snapshot built with other flags); bin/berth reads them from main.blob.node.
// --no-rehash-snapshot: V8 otherwise draws a new hash seed in each process
// and rehashes every table of the deserialized heap with it, ~5 ms of every
// start. The seed is then the one drawn when the snapshot was built, which
// stays on this machine; flooding a short-lived client's tables with
// colliding keys could only slow that one command down.
const SNAPSHOT_FLAGS = ['--no-rehash-snapshot'];
const entry = `${outdir}snapshot-entry.cjs`;
let standInDir;
let standIn;
try {
  standInDir = await mkdtemp(join(tmpdir(), 'berth-warm-up-'));
  const socketPath = join(standInDir, 'berth.sock');
  standIn = await startStandIn(socketPath);
  await writeFile(entry, snapshotEntry(await readFile(`${outdir}main.cjs`, 'utf8'), socketPath));
  // The warm-up run must not see a deferred CA file: it would stay in the snapshot.
  const { BERTH_DEFERRED_NODE_EXTRA_CA_CERTS: _deferred, ...env } = process.env;
  execFileSync(process.execPath, [...SNAPSHOT_FLAGS, '--snapshot-blob', blob, '--build-snapshot', entry], {
    stdio: 'ignore',
    env,
    // A warm-up that never ends (a stand-in that stopped answering) fails the snapshot, not the build.
    timeout: 120_000,
  });
  await writeFile(`${blob}.node`, `${process.execPath}\n${SNAPSHOT_FLAGS.join(' ')}\n`);
} catch (err) {
  await rm(blob, { force: true });
  console.warn(`bundle-cli: no start-up snapshot (${err.message.split('\n')[0]}); bin/berth runs the bundle`);
} finally {
  standIn?.kill();
  await rm(entry, { force: true });
  if (standInDir) await rm(standInDir, { recursive: true, force: true });
}

/**
 * Starts the warm-up's stand-in daemon (src/cli/warm-up.ts) in a process of
 * its own, listening on socketPath; resolves with that process once it
 * listens.
 */
function startStandIn(socketPath) {
  const warmUp = new URL('../dist/cli/warm-up.js', import.meta.url).href;
  const script = `const { serveStandIn } = await import(${JSON.stringify(warmUp)});
await serveStandIn(${JSON.stringify(socketPath)});
process.stdout.write('ready\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the warm-up's stand-in daemon exited ${code}`)));
    child.stdout.once('data', () => resolve(child));
  });
}

/**
 * The snapshot builder's script: the bundle, run with a require that loads
 * node's modules on first use (several, like http, cannot load while a
 * snapshot is built) and packages (native bindings) from the real location
 * at run time; berthModuleUrl is the bundle's own, where the snapshot
 * finds it at run time as well.
 */
function snapshotEntry(bundle, socketPath) {
  const banner = /^const berthModuleUrl = .*$/m;
  if (!banner.test(bundle)) throw new Error('the bundle lacks its berthModuleUrl banner');
  const file = JSON.stringify(`${outdir}main.cjs`);
  return `'use strict';
const v8 = require('node:v8');
const loaded = new Map();
function builtin(id) {
  let m = loaded.get(id);
  if (m === undefined) loaded.set(id, (m = require(id)));
  return m;
}
// Made on first use: only commands with native bindings load packages.
let packageRequire;
function lazyRequire(id) {
  if (!id.startsWith('node:')) {
    packageRequire ??= require('node:module').createRequire(${file});
    return packageRequire(id);
  }
  return new Proxy({}, {
    get: (_t, key) => builtin(id)[key],
    has: (_t, key) => key in builtin(id),
    ownKeys: () => Reflect.ownKeys(builtin(id)),
    getOwnPropertyDescriptor: (_t, key) => {
      const d = Reflect.getOwnPropertyDescriptor(builtin(id), key);
      if (d) d.configurable = true;
      return d;
    },
  });
}
const cli = { exports: {} };
(function (exports, require, module, __filename, __dirname) {
${bundle.replace(banner, () => `const berthModuleUrl = ${JSON.stringify(pathToFileURL(`${outdir}main.cjs`).href)};`)}
})(cli.exports, lazyRequire, cli, ${file}, '');
// A warm-up run compiles the run path into the snapshot: V8 keeps the code
// of what ran while it was built (src/cli/main.ts prepareSnapshot).
cli.exports.prepareSnapshot(${JSON.stringify(socketPath)}).catch((err) => {
  console.error(err);
  process.exit(1);
});
v8.startupSnapshot.setDeserializeMainFunction(async () => {
  // node --snapshot-blob BLOB -- ARGS: the arguments follow node's own path.
  process.exitCode = await cli.exports.main(process.argv.slice(1));
  // When the event loop has emptied and 'exit' is emitted, exit from its
  // last listener: that skips tearing the heap down, which only takes time.
  process.once('exit', (code) => process.exit(code));
});
`;
}
