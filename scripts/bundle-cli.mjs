// Bundles the compiled CLI (dist/cli) into one CommonJS file,
// dist/berth-cli/main.cjs, and warms a V8 code cache for it (main.cjs.cache)
// that bin/berth loads it with: compiling ~130 ES modules was most of what
// `berth` spent starting. Commands import their heavy parts (native
// bindings, TLS) dynamically, so those load only when used.
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
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
  // Native bindings stay packages, required only by the commands that use them.
  external: ['@napi-rs/xattr', 'better-sqlite3', 'pg'],
  // The modules find files next to themselves (dist/build-info.json) by import.meta.url.
  define: { 'import.meta.url': 'berthModuleUrl' },
  banner: { js: "const berthModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
// Running the CLI writes the code cache; `--help` builds every command, so
// their option code is compiled into the cache too.
const berth = new URL('../bin/berth', import.meta.url).pathname;
execFileSync(process.execPath, [berth, '--help'], { stdio: 'ignore' });
