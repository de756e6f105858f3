/**
 * The invariants ARCHITECTURE.md states as absences, checked on the source:
 * which layers may import web-tree-sitter, LSP, fs and child_process, who
 * may register LSP handlers or spawn processes (perf/, the tool's own
 * benchmarks, is outside the product), and how the race confirmation
 * (confirm/) reaches the engine and the process runner.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..');

function sources(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
    );
}

function importers(files: string[], pattern: RegExp): string[] {
  return files.filter((f) => pattern.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
}

const all = [...sources('server/src'), ...sources('client/src')];

describe('architecture invariants', () => {
  it('only syntax/ imports web-tree-sitter', () => {
    const bad = importers(all, /from ['"]web-tree-sitter['"]/).filter((f) => !f.startsWith('server/src/syntax/'));
    expect(bad).toEqual([]);
  });
  it('analysis/ imports no LSP, fs, path or child_process, and reads no environment', () => {
    const bad = importers(
      sources('server/src/analysis'),
      /from ['"](vscode-languageserver[^'"]*|node:fs|fs|node:path|path|node:child_process|child_process)['"]|process\.env/,
    );
    expect(bad).toEqual([]);
  });
  it('in the product, only bench/harnessProcess.ts spawns processes', () => {
    const spawners = importers(all, /from ['"](node:)?child_process['"]|require\(['"](node:)?child_process/);
    expect(spawners).toEqual(['server/src/bench/harnessProcess.ts']);
  });
  it("the product never imports perf/, the tool's own benchmarks and fuzzer", () => {
    expect(importers(all, /from ['"][./]*perf\//)).toEqual([]);
  });
  it('confirm/ reads the analysis only through engine.ts and runs Python only through bench/harnessProcess.ts', () => {
    const files = sources('server/src/confirm');
    expect(files.length).toBeGreaterThan(0);
    const reachesIn = importers(files, /from ['"]\.\.\/(analysis\/(?!types['"])|syntax\/|lsp\/|model\/(?!types['"]))/);
    expect(reachesIn).toEqual([]);
    const runners = importers(files, /from ['"]\.\.\/bench\/(?!harnessProcess['"]|interpreters['"]|types['"])/);
    expect(runners).toEqual([]);
  });
  it('only server.ts registers LSP handlers', () => {
    const bad = importers(sources('server/src'), /connection\.on[A-Z]\w*\(|\.onRequest\(|\.onNotification\(/).filter(
      (f) => f !== 'server/src/server.ts',
    );
    expect(bad).toEqual([]);
  });
});
