/**
 * Differential test of incremental extraction (model/incremental.ts): random
 * single- and multi-character edits on every fixture, on tricky snippets and
 * on the 5,000-line file of `npm run bench:lsp`, each applied through the
 * tree cache (`tree.edit`, then an incremental reparse) as the language
 * server does.
 * After every edit the model spliced from the previous one must deeply equal
 * a full extraction of a fresh parse of the edited text. Edits are chained,
 * so splices build on spliced models; edits that break the syntax are undone
 * by the next edit, or in some runs left to pile up. The test also checks
 * that most edits were in fact spliced rather than extracted in full.
 * Set GIL_LENS_TEST_SEED to run the same test on other random edits.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateBigFile } from '../../perf/bigFile';
import { extractModel, splitLines } from '../../server/src/model/extract';
import { incrementalStats, spliceStatement, updateModel } from '../../server/src/model/incremental';
import type { ModuleModel } from '../../server/src/model/types';
import { mergeChanges, type TextChange, TreeCache } from '../../server/src/syntax/documents';
import { initSyntax, parse, type Syntax, type Tree } from '../../server/src/syntax/parser';
import { applyEdit, randomEdit, rng } from '../editing';
import { pyFiles } from '../pyFiles';

const FIXTURES = path.join(__dirname, '../fixtures');
/** Added to every seed, so a stress run can try other edits: GIL_LENS_TEST_SEED=17 npx vitest run test/model. */
const SEED = Number(process.env.GIL_LENS_TEST_SEED ?? 0);

/** The generated file of `npm run bench:lsp`. */
function bigFile(): string {
  return generateBigFile();
}

const SNIPPETS: Record<string, string> = {
  semicolons: 'a = f(1); b = g(2)\nc = h(3)  # note\n\ndef k():\n    x = 1; y = m(x)\n    return y\n',
  decorated:
    '"""Module doc."""\nimport threading\n\n@dec\n@dec2(1)\ndef f():\n    g()\n\n\n@cls\nclass A(B):\n    """Doc."""\n\n    @property\n    def p(self):\n        return self._p\n',
  nested:
    'class Pool:\n    def __init__(self):\n        self._lock = threading.Lock()\n        self.items = []\n\n    def add(self, x):\n        with self._lock:\n            self.items.append(x)\n\n    def each(self):\n        for i in self.items:\n            yield [j for j in i]\n\nif __name__ == "__main__":\n    Pool().add(1)\n',
  asyncCode:
    'import asyncio\n\nasync def f():\n    async with a() as b:\n        await g(b)\n    await asyncio.to_thread(h, 1)\n\nx = lambda q: q(1)\n',
  globals:
    'count = 0\n\ndef bump():\n    global count\n    count += 1\n    def inner():\n        nonlocal count\n        del count\n',
};

let syntax: Syntax;
beforeAll(async () => {
  syntax = await initSyntax();
});

/** Apply `edits` random edits in turn, splicing each model from the last, and compare with full extraction. */
function runEdits(name: string, original: string, edits: number, seed: number, batch = 1, undoErrors = true): void {
  const random = rng(seed + SEED);
  const trees = new TreeCache(syntax, 4);
  const key = `${name}.py`;
  let text = original;
  let model: ModuleModel = updateModel(syntax, trees.tree(key, text), text, key, name);
  let undo: { start: number; end: number; insert: string } | undefined;
  try {
    for (let n = 0; n < edits; n++) {
      // Several edits may arrive before the model is asked for; the cache merges them into one change.
      const before = text;
      // The edits since the model, merged, as the language server keeps them.
      let merged: TextChange | undefined;
      for (let b = 0; b < batch; b++) {
        // After an edit that broke the syntax, the next one undoes it, as typing usually does.
        const edit = undo ?? randomEdit(text, random);
        undo = undefined;
        const applied = applyEdit(trees, key, text, edit);
        merged = mergeChanges(merged, applied.change);
        text = applied.text;
      }
      const change = merged as TextChange;
      // As the language server does: the statement-local path first, then a reparse of the cached tree.
      const statement = spliceStatement(syntax, text, key, name, model, change);
      let tree: Tree | undefined;
      if (statement) model = statement;
      else {
        tree = trees.tree(key, text);
        model = updateModel(syntax, tree, text, key, name, { model, change });
      }
      const fresh = parse(syntax, text);
      try {
        if (statement?.hasErrors) {
          // Errors kept inside the statement being typed: no full extraction reads it that way, so check the
          // model's shape here; the edit that repairs the statement is then compared in full like any other.
          contained++;
          checkShape(model, text);
          continue;
        }
        // The reference is a full extraction of the reparsed tree; without syntax errors a fresh parse must
        // agree, and an error-free statement-local splice must equal a full extraction of a fresh parse.
        if (statement) expect(fresh.rootNode.hasError).toBe(false);
        const expected = extractModel(syntax, tree ?? fresh, text, key, name);
        if (tree && !fresh.rootNode.hasError) expect(extractModel(syntax, fresh, text, key, name)).toEqual(expected);
        if (JSON.stringify(model) !== JSON.stringify(expected)) {
          const edit = `${n} (${statement ? 'statement' : 'tree'} path)`;
          expect({ edit, text, model }).toEqual({ edit, text, model: expected });
        }
      } finally {
        fresh.delete();
        const all = merged as TextChange;
        if (model.hasErrors && undoErrors)
          undo = { start: all.start, end: all.newEnd, insert: before.slice(all.start, all.oldEnd) };
      }
    }
  } finally {
    trees.clear();
  }
}

/** Models spliced with errors kept inside one statement. */
let contained = 0;

/** What every model must be, however it was made: items numbered and ordered, inside their scopes, lines whole. */
function checkShape(model: ModuleModel, text: string): void {
  expect(model.lines).toEqual(splitLines(text));
  const lists = [model.scopes, model.regions, model.calls, model.writes] as { id: number; start: number }[][];
  for (const list of lists) {
    list.forEach((item, i) => {
      expect(item.id).toBe(i);
      if (i > 1) expect(item.start).toBeGreaterThanOrEqual(list[i - 1].start);
    });
  }
  for (const item of [...model.calls, ...model.writes, ...model.regions]) {
    const scope = model.scopes[item.scope];
    expect(scope).toBeDefined();
    expect(item.start).toBeGreaterThanOrEqual(scope.start);
  }
  for (const scope of model.scopes.slice(1)) expect(scope.parent).toBeLessThan(scope.id);
}

describe('incremental extraction equals full extraction', () => {
  // A correctness check over ~12,000 edits: the timeout only guards against a hang, and a loaded CI machine
  // can take twice the usual 40 s.
  it('on every fixture, with random edits', { timeout: 240_000 }, () => {
    const before = { ...incrementalStats };
    const files = pyFiles(FIXTURES);
    expect(files.length).toBeGreaterThan(10);
    files.forEach((file, i) => {
      const text = fs.readFileSync(file, 'utf8');
      runEdits(path.basename(file, '.py'), text, 40, 1000 + i);
      // Without undoing, syntax errors pile up, as in a file being rewritten.
      runEdits(path.basename(file, '.py'), text, 20, 2000 + i, 1, false);
    });
    const spliced = incrementalStats.spliced - before.spliced;
    const statement = incrementalStats.statement - before.statement;
    const full = incrementalStats.full - before.full - 2 * files.length;
    expect(spliced + statement + full).toBe(files.length * 60);
    // Random pastes across statements, and syntax errors left to pile up, are extracted in full (a tree with
    // errors always is); about half of these edits are not.
    expect(spliced + statement).toBeGreaterThan(files.length * 25);
    expect(statement).toBeGreaterThan(files.length * 10);
    // Keystrokes that break a statement keep the errors inside it.
    expect(contained).toBeGreaterThan(files.length);
  });

  it('on tricky snippets, with single and batched edits', () => {
    let seed = 7;
    for (const [name, text] of Object.entries(SNIPPETS)) {
      runEdits(name, text, 60, seed++);
      runEdits(name, text, 30, seed++, 3);
      runEdits(name, text, 30, seed++, 2, false);
    }
  });

  it('on the 5,000-line benchmark file, mostly spliced', () => {
    const before = { ...incrementalStats };
    const text = bigFile();
    runEdits('big', text, 40, 42);
    runEdits('big', text, 15, 43, 2);
    runEdits('big', text, 15, 44, 1, false);
    const statement = incrementalStats.statement - before.statement;
    expect(incrementalStats.spliced - before.spliced + statement).toBeGreaterThan(35);
    // Keystrokes inside one statement take the statement-local path.
    expect(statement).toBeGreaterThan(30);
    // A correctness test, not a timed one: about 12 s idle, several times that on a loaded machine.
  }, 240_000);
});
