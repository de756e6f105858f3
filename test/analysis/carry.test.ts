/**
 * Differential test of facts carried between analysis runs (analysis/carry.ts):
 * random edits on every fixture and on the 5,000-line file of `npm run
 * bench:lsp`, each spliced into the previous model as the language server
 * does, and after each one the report of a run that reuses carried facts must
 * equal, in every field, the report of a run that derives everything afresh.
 * Most edits are keystrokes inside a name, which keep the epoch and so reuse
 * facts; the rest (new lines, pastes, snippets) start new epochs, so the test
 * also covers facts made in one epoch and asked for in the next. It checks
 * that most keystrokes did keep the epoch, so the comparison is not vacuous.
 * Set GIL_LENS_TEST_SEED to run it on other random edits.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateBigFile } from '../../perf/bigFile';
import { carryStats } from '../../server/src/analysis/carry';
import { analyzeProject } from '../../server/src/analysis/index';
import { defaultConfig } from '../../server/src/analysis/types';
import { spliceStatement, updateModel } from '../../server/src/model/incremental';
import type { ModuleModel } from '../../server/src/model/types';
import { TreeCache } from '../../server/src/syntax/documents';
import { initSyntax, type Syntax } from '../../server/src/syntax/parser';
import { applyEdit, type Edit, randomEdit, rng } from '../editing';
import { pyFiles } from '../pyFiles';

const FIXTURES = path.join(__dirname, '../fixtures');
const SEED = Number(process.env.GIL_LENS_TEST_SEED ?? 0);

let syntax: Syntax;
beforeAll(async () => {
  syntax = await initSyntax();
});

/** A keystroke inside or next to a word: what typing a name, and deleting it again, does. */
function keystroke(text: string, random: (n: number) => number): Edit {
  const words = [...text.matchAll(/[A-Za-z_]\w*/g)];
  const word = words[random(words.length)];
  const at = (word.index ?? 0) + random(word[0].length + 1);
  return random(3) === 0 && at > (word.index ?? 0)
    ? { start: at - 1, end: at, insert: '' }
    : { start: at, end: at, insert: 'xyz_q'[random(5)] };
}

/**
 * Edit one of `originals` at a time, `edits` times, one edit in `mix` a random one and the rest keystrokes
 * (`mix` 0: keystrokes only); after each edit, compare a carrying run with a fresh one.
 */
function runEdits(originals: Record<string, string>, edits: number, seed: number, mix = 4): void {
  const random = rng(seed + SEED);
  const trees = new TreeCache(syntax, 4);
  const config = defaultConfig();
  const names = Object.keys(originals);
  const texts = new Map(names.map((name) => [name, originals[name]]));
  const models = new Map<string, ModuleModel>(
    names.map((name) => {
      const text = originals[name];
      return [name, updateModel(syntax, trees.tree(`${name}.py`, text), text, `${name}.py`, name)];
    }),
  );
  analyzeProject([...models.values()], config, undefined, true);
  try {
    for (let n = 0; n < edits; n++) {
      const name = names[random(names.length)];
      const key = `${name}.py`;
      const text = texts.get(name) as string;
      const edit = mix > 0 && random(mix) === 0 ? randomEdit(text, random) : keystroke(text, random);
      const { text: next, change } = applyEdit(trees, key, text, edit);
      texts.set(name, next);
      const model = models.get(name) as ModuleModel;
      models.set(
        name,
        spliceStatement(syntax, next, key, name, model, change) ??
          updateModel(syntax, trees.tree(key, next), next, key, name, { model, change }),
      );
      const carried = analyzeProject([...models.values()], config, undefined, true);
      const fresh = analyzeProject([...models.values()], config, undefined, false);
      if (JSON.stringify(carried) !== JSON.stringify(fresh)) {
        expect({ name, edit: n, text: next, report: carried }).toEqual({ name, edit: n, text: next, report: fresh });
      }
    }
  } finally {
    trees.clear();
  }
}

/**
 * Programs where an edit to one statement changes what another statement means, with the edits (text
 * replaced, in order) that do it: each is checked like a keystroke, then undone.
 */
const SCENARIOS: { name: string; text: string; edits: [string, string][] }[] = [
  {
    name: 'class a factory returns',
    text: `import threading\nimport time\n\n\nclass Fetcher:\n    def work(self):\n        time.sleep(1)\n\n\nclass Cruncher:\n    def work(self):\n        total = 0\n        for i in range(300000):\n            total += i\n        return total\n\n\ndef make():\n    return Cruncher()\n\n\ndef run():\n    w = make()\n    w.work()\n\n\nts = [threading.Thread(target=run) for _ in range(4)]\n`,
    edits: [
      ['return Cruncher()', 'return Fetcher()'],
      ['def make():', 'def makex():'],
      ['class Cruncher:', 'class Crunchx:'],
    ],
  },
  {
    name: 'method of another class',
    text: `import threading\n\n\nclass Store:\n    def __init__(self):\n        self.db = Database()\n\n    def save(self, x):\n        self.db.put(x)\n\n\nclass Database:\n    def put(self, x):\n        total = 0\n        for i in range(100000):\n            total += i\n        return total\n\n\ns = Store()\nthreads = [threading.Thread(target=s.save, args=(1,)) for _ in range(4)]\n`,
    edits: [
      ['def put(self, x)', 'def putx(self, x)'],
      ['for i in range(100000):', 'for i in open(x):'],
      ['class Database:', 'class Databasex:'],
    ],
  },
  {
    name: 'only method of its name',
    text: `import threading\n\n\nclass Worker:\n    def crunch(self, n):\n        for i in range(n):\n            n += i * i\n        return n\n\n\ndef run(w):\n    w.crunch(5)\n\n\nclass Other:\n    pass\n\n\nts = [threading.Thread(target=run, args=(Worker(),)) for _ in range(4)]\n`,
    edits: [
      ['class Other:\n    pass', 'class Other:\n    def crunch(self, n):\n        return n'],
      ['def crunch(self, n):\n        for', 'def crunchx(self, n):\n        for'],
    ],
  },
  {
    name: 'lock bound in another function',
    text: `import threading\n\ncount = 0\n\n\ndef setup():\n    global lock\n    lock = threading.Lock()\n\n\ndef work():\n    global count\n    with lock:\n        count += 1\n\n\nts = [threading.Thread(target=work) for _ in range(4)]\n`,
    edits: [
      ['lock = threading.Lock()', 'lock = threading.Semaphore(4)'],
      ['lock = threading.Semaphore(4)', 'lock = threading.Lock()'],
      ['    global lock\n', ''],
    ],
  },
  {
    name: 'executor bound in another function',
    text: `from concurrent.futures import ThreadPoolExecutor, ProcessPoolExecutor\n\n\ndef setup():\n    poolx = ThreadPoolExecutor(4)\n    return poolx\n\n\ndef crunch(n):\n    total = 0\n    for i in range(n):\n        total += i * i\n    return total\n\n\ndef use():\n    for n in range(8):\n        pool.submit(crunch, n)\n`,
    edits: [
      // No executor of that name, then one: \`use\` starts threads.
      ['poolx = ThreadPoolExecutor(4)', 'pool = ThreadPoolExecutor(4)'],
      ['pool = ThreadPoolExecutor(4)', 'pool = ProcessPoolExecutor(4)'],
    ],
  },
  {
    name: 'context-manager helper',
    text: `import threading\nfrom contextlib import contextmanager\n\n_lock = threading.Lock()\nhits = {}\n\n\n@contextmanager\ndef held():\n    with _lock:\n        yield\n\n\ndef bump(k):\n    with held():\n        hits[k] = hits.get(k, 0) + 1\n\n\nts = [threading.Thread(target=bump, args=(1,)) for _ in range(4)]\n`,
    edits: [
      ['    with _lock:\n        yield', '    if _lock:\n        yield'],
      ['@contextmanager\ndef held', 'def held'],
    ],
  },
  {
    name: 'module-level loop over a list of functions',
    text: `import threading\n\n\ndef crunch():\n    total = 0\n    for i in range(100000):\n        total += i\n    return total\n\n\ndef wait():\n    threading.Event().wait(1)\n\n\njobs = [crunch, wait]\nfor job in jobs:\n    threading.Thread(target=job).start()\n`,
    edits: [
      ['jobs = [crunch, wait]', 'jobs = [wait, wait]'],
      ['jobs = [wait, wait]', 'jobs = [crunch, crunch]'],
    ],
  },
  {
    name: 'signature, import and binding',
    text: `import threading\nimport hashlib\n\nseen = []\n\n\ndef fetch(items, n):\n    for i in range(n):\n        items.append(hashlib.sha256(b'x').hexdigest())\n\n\nshared = seen\nts = [threading.Thread(target=fetch, args=(shared, 10)) for _ in range(4)]\nfor t in ts:\n    t.start()\n`,
    edits: [
      ['def fetch(items, n)', 'def fetch(n, items)'],
      ['import hashlib', 'import hashlibx'],
      ['shared = seen', 'shared = list()'],
      ['def fetch(n, items)', 'async def fetch(n, items)'],
    ],
  },
];

/** Apply each scenario's edits in turn, each also undone, comparing a carrying run with a fresh one after each. */
function runScenario(scenario: (typeof SCENARIOS)[number]): void {
  const trees = new TreeCache(syntax, 2);
  const key = 'scenario.py';
  const config = defaultConfig();
  let text = scenario.text;
  let model = updateModel(syntax, trees.tree(key, text), text, key, 'scenario');
  analyzeProject([model], config, undefined, true);
  const apply = (from: string, to: string) => {
    const start = text.indexOf(from);
    expect(start, `${scenario.name}: ${from}`).toBeGreaterThanOrEqual(0);
    const applied = applyEdit(trees, key, text, { start, end: start + from.length, insert: to });
    const change = applied.change;
    text = applied.text;
    model =
      spliceStatement(syntax, text, key, 'scenario', model, change) ??
      updateModel(syntax, trees.tree(key, text), text, key, 'scenario', { model, change });
    const carried = analyzeProject([model], config, undefined, true);
    const fresh = analyzeProject([model], config, undefined, false);
    expect({ scenario: scenario.name, text, report: carried }).toEqual({
      scenario: scenario.name,
      text,
      report: fresh,
    });
  };
  try {
    for (const [from, to] of scenario.edits) {
      apply(from, to);
      apply(to, from);
      apply(from, to);
    }
  } finally {
    trees.clear();
  }
}

/** Slots found holding and slots made, over what `run` does. */
function counting(run: () => void): { kept: number; made: number } {
  const before = { ...carryStats };
  run();
  return { kept: carryStats.kept - before.kept, made: carryStats.made - before.made };
}

describe('carried analysis facts change no report', () => {
  it('on every fixture, with random keystrokes and edits', () => {
    const files = pyFiles(FIXTURES);
    expect(files.length).toBeGreaterThan(10);
    files.forEach((file, i) => {
      runEdits({ [path.basename(file, '.py')]: fs.readFileSync(file, 'utf8') }, 30, 3000 + i);
    });
  }, 120_000);

  it('where an edit changes what another statement means', () => {
    for (const scenario of SCENARIOS) runScenario(scenario);
  });

  it('across the files of a project, editing one at a time', () => {
    const dir = path.join(FIXTURES, 'projects/crossfile');
    const project = Object.fromEntries(
      fs.readdirSync(dir).map((f) => [path.basename(f, '.py'), fs.readFileSync(path.join(dir, f), 'utf8')]),
    );
    expect(Object.keys(project).length).toBeGreaterThan(1);
    for (let seed = 0; seed < 6; seed++) runEdits(project, 40, 5000 + seed);
  }, 120_000);

  it('on the 5,000-line benchmark file, carrying nearly every fact across keystrokes', () => {
    runEdits({ big: generateBigFile() }, 30, 42);
    // The first run makes every slot; after it, a keystroke re-derives the facts of one statement.
    const { kept, made } = counting(() => runEdits({ big: generateBigFile() }, 30, 43, 0));
    expect(kept).toBeGreaterThan(made * 5);
  }, 120_000);
});
