/**
 * The files the fuzzer mutates: every `*.py` under `test/fixtures/` and,
 * when it is there, the public corpus in `../shared/corpus/`. The corpus is
 * a sibling checkout that CI machines do not have, so its absence only
 * narrows the pool. Files are read in sorted order, so a seed means the same
 * inputs wherever the same files are.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface SeedFile {
  /** Path relative to the repository root, for messages. */
  name: string;
  text: string;
}

function pythonFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...pythonFiles(full));
    else if (entry.isFile() && entry.name.endsWith('.py')) out.push(full);
  }
  return out;
}

/** The seed files under `root`: fixtures first, then the corpus (or `corpusDir`) when present. */
export function loadSeedFiles(root: string, corpusDir?: string): { files: SeedFile[]; corpus: boolean } {
  const corpus = corpusDir ?? path.resolve(root, '../shared/corpus');
  const fixtures = pythonFiles(path.join(root, 'test/fixtures'));
  const fromCorpus = pythonFiles(corpus);
  const files = [...fixtures, ...fromCorpus].map((file) => ({
    name: path.relative(root, file),
    text: fs.readFileSync(file, 'utf8'),
  }));
  return { files, corpus: fromCorpus.length > 0 };
}
