// Bundling script: type-checking is `npm run typecheck`; this only bundles.
// It bundles each entry point with esbuild into dist/, inlines the .scm
// queries as text, and copies the tree-sitter runtime and Python grammar wasm
// files next to the bundles (and into grammars/, which records their provenance).
import fs from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const entries = {
  cli: 'server/src/cli/main.ts',
  // Started as a worker thread by files/modelPool.ts, which looks for it next to its own bundle.
  modelWorker: 'server/src/files/modelWorker.ts',
  server: 'server/src/server.ts',
  bench: 'perf/parseBench.ts',
  lspBench: 'perf/lspBench.ts',
  fuzz: 'perf/fuzz/main.ts',
  client: 'client/src/extension.ts',
};

/** `import x from './q.scm?raw'` gives the file's text, as vitest does. */
const rawPlugin = {
  name: 'raw',
  setup(build) {
    build.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: path.resolve(args.resolveDir, args.path.replace(/\?raw$/, '')),
      namespace: 'raw',
    }));
    build.onLoad({ filter: /.*/, namespace: 'raw' }, (args) => ({
      contents: fs.readFileSync(args.path, 'utf8'),
      loader: 'text',
    }));
  },
};

function copyWasm() {
  const files = [
    ['node_modules/web-tree-sitter/tree-sitter.wasm', 'tree-sitter.wasm'],
    ['node_modules/tree-sitter-python/tree-sitter-python.wasm', 'tree-sitter-python.wasm'],
  ];
  fs.mkdirSync('dist', { recursive: true });
  for (const [from, name] of files) {
    fs.copyFileSync(from, path.join('dist', name));
    fs.copyFileSync(from, path.join('grammars', name));
  }
}

/**
 * The benchmark harness and the race confirmation script are real .py files
 * that the runner finds next to the bundle; the confirmation imports the harness.
 */
function copyHarness() {
  fs.mkdirSync('dist', { recursive: true });
  for (const name of ['gil_lens_harness.py', 'gil_lens_confirm.py']) {
    fs.copyFileSync(path.join('server/python', name), path.join('dist', name));
  }
}

const entryPoints = Object.fromEntries(Object.entries(entries).filter(([, file]) => fs.existsSync(file)));
const options = {
  entryPoints,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external: ['vscode'],
  // The CommonJS build of web-tree-sitter; its ESM build needs import.meta.url.
  alias: { 'web-tree-sitter': './node_modules/web-tree-sitter/tree-sitter.cjs' },
  plugins: [rawPlugin],
  logLevel: 'warning',
};

copyWasm();
copyHarness();
if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
