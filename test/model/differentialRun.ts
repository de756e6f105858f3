/**
 * A large differential run from a shell, for finding divergences rather than
 * guarding against them (differential.test.ts does that in `npm test`): it
 * runs `runDifferential` over the fixtures, plus the shared corpus when one
 * is given, and prints every divergence grouped by the first field that
 * differs, with the shortest text of each group.
 *
 * Usage, after bundling it with esbuild (as esbuild.mjs bundles the tools,
 * `.scm?raw` imports included): `node differentialRun.js [COUNT] [SEED] [CORPUS_DIR]`
 * edits; `node differentialRun.js --files DIR` compares every Python file
 * under DIR as it is (the standard library, say), with no edits.
 */
import fs from 'node:fs';
import path from 'node:path';
import { initSyntax } from '../../server/src/syntax/parser';
import { pyFiles } from '../pyFiles';
import {
  compareOn,
  type Divergence,
  describeDivergence,
  fixtureSources,
  runDifferential,
  type Source,
} from './differential';

/** The shape of a differing field, indices and values left out, so equal causes group together. */
function signature(d: Divergence): string {
  const first = d.fields[0] ?? '';
  const at = first.split(':')[0].replace(/\[\d+\]/g, '[]');
  const values = /: (.*) \(reference (.*)\)$/.exec(first);
  return values ? `${at}: ${values[1].slice(0, 40)} vs ${values[2].slice(0, 40)}` : first.slice(0, 80);
}

/** Compare every Python file under `dir`, unedited; prints the files that differ. */
async function compareFiles(dir: string): Promise<void> {
  const syntax = await initSyntax();
  const counts = { clean: 0, skipped: 0 };
  let files = 0;
  let differing = 0;
  for (const file of pyFiles(dir)) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    files++;
    const fields = compareOn(syntax, text, counts);
    if (fields.length > 0) {
      differing++;
      console.log(`\n=== ${path.relative(dir, file)}\n${fields.join('\n')}`);
    }
  }
  console.log(
    `\n${files} files under ${dir}: ${counts.clean} without syntax errors, ${differing} differ from the reference`,
  );
  process.exitCode = differing > 0 ? 1 : 0;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--files') return compareFiles(process.argv[3] ?? '.');
  const count = Number(process.argv[2] ?? 30000);
  const seed = Number(process.argv[3] ?? 1);
  const corpus = process.argv[4];
  const sources: Source[] = fixtureSources();
  if (corpus && fs.existsSync(corpus)) {
    for (const file of pyFiles(corpus)) {
      const text = fs.readFileSync(file, 'utf8');
      // Very large files make inputs slow without making them harder.
      if (text.length < 60_000) sources.push({ name: path.relative(corpus, file), text });
    }
  }
  const syntax = await initSyntax();
  const started = performance.now();
  const result = runDifferential(syntax, {
    count,
    seed,
    sources,
    onInput: (i) => {
      if (i > 0 && i % 5000 === 0) console.error(`${i} inputs, ${((performance.now() - started) / 1000).toFixed(1)} s`);
    },
  });
  const groups = new Map<string, Divergence[]>();
  for (const d of result.divergences) {
    const key = signature(d);
    const group = groups.get(key);
    if (group) group.push(d);
    else groups.set(key, [d]);
  }
  const sorted = [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
  for (const [key, group] of sorted) {
    const shortest = group.reduce((a, b) => (b.text.length < a.text.length ? b : a));
    console.log(`\n=== ${group.length} × ${key}`);
    console.log(describeDivergence(shortest));
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `\n${result.inputs} inputs from ${sources.length} sources, seed ${seed}: ${result.clean} without syntax errors, ` +
      `${result.skipped} refused by the parser, ${result.divergences.length} divergences in ${groups.size} groups, ${seconds} s`,
  );
  process.exitCode = result.divergences.length > 0 ? 1 : 0;
}

void main();
