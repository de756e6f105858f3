/**
 * Differential test of the model extractor: every fixture, a set of tricky
 * inline snippets and, when a checkout has it, every file of the shared
 * corpus (`../shared/corpus` beside the repository; CI clones only the
 * repository, so there that part is skipped and says why) are extracted by
 * the current extractor and by referenceExtract.ts, a verbatim copy of the
 * node-based extractor it replaced, and the two models must be deeply equal.
 * Random edits of the fixtures are differential.test.ts's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractModel } from '../../server/src/model/extract';
import { initSyntax, parse, type Syntax } from '../../server/src/syntax/parser';
import { extractModel as referenceExtract } from './referenceExtract';

const FIXTURES = path.join(__dirname, '../fixtures');
/** The shared corpus, found from the repository, never from an absolute path. */
const CORPUS = path.resolve(__dirname, '../../../shared/corpus');

function pyFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? pyFiles(path.join(dir, e.name)) : e.name.endsWith('.py') ? [path.join(dir, e.name)] : [],
    )
    .sort();
}

const SNIPPETS: Record<string, string> = {
  decorators:
    '@dec\n@dec.attr(1, key=2)  # note\n@  spaced . name\ndef f(): pass\n\n@cls_dec\nclass A(B, metaclass=M):\n    """Doc."""\n',
  nestedCalls:
    'f(g(x))(y)\na.b(c).d(e)\nx = f(a)(b)\nx = a.b(c).d(e)\n(lambda q: q)(1)\n[f][0](x)\n"".join(parts)\n"a" "b".join(x)\n',
  defaults: 'def f(a, b=g(1), *args, c: int = h(), d: "x" = 2, **kw) -> dict[str, int]:\n    return a\n',
  lambdas: 'sorted(xs, key=lambda a, b=1: (a, b))\nmap(lambda: 0, xs)\nx = lambda a, b: a\ny = lambda: a, b\n',
  argKinds:
    'f(*a, **k, x=1, y=-1, z=not a, w=a if b else c, v=a or b, u=a < b, t=a + b, s=~a, r=await q, p=a ** 2, o=[1, *b], n=(1,), m=(), l={}, k2={1}, j={**d}, i2=..., h2=None, g2=True, f2=1.5j, e2=0x1F, d2=(x := 3))\n',
  generators: 'f(x for x in y)\nf((x for x in y), z)\nf(g(x for x in y))\nany(a async for a in b)\n',
  targets:
    'a, b = t\n(a, b) = t\n[a, *b] = t\n(a) = 1\nx: int = 3\nx: int\na = b = 1\na.b.c = 1\na[i] = 1\na[i, j] = 1\na[1:2] = x\nself.d[k].v = f()\nx, = f()\n',
  augmented: 'x += 1\nx //= 2\nx **= 3\nx >>= 4\nx <<= 5\nx @= m\nx[i] -= 1\nself.n |= 2\n',
  subscripts: 'a[1:2, ::3]\nb = c[d][e:f]\ndel a[0], b.c\n',
  multiline:
    'f(\n    a,  # first\n    # standalone\n    b=2,  # second\n)\ng(a, \\\n  b)\nx = [1,\n  2, \\\n  3]\nh(  # lead\n  c)\n',
  strings:
    'f("a,(b", \'c)\', """d\n,e""", r"\\"(", b"x")\nx = "a" "b"\ng(f"{a(1, 2)} {b[\'k\']} {c:>{w}}", f"{{literal}}")\nh(f"{x!r:10}")\n',
  unicode: 's = "é😀"; f(s, "😀", é)\nt = g("é")\n',
  syntaxError: 'def f(:\n    x = g(1\nh(2)\nclass\n',
  asyncCode:
    'async def f():\n    async with a() as b, c:\n        pass\n    async for x in y():\n        await g(x)\n    await a.b().c()\n    return await (await h())\n',
  imports:
    'import os, a.b as c\nfrom . import x\nfrom ..pkg.mod import (a as b, c)\nfrom x import *\ndef f():\n    global g, h\n    def i():\n        nonlocal j\n',
  control:
    'for a, b in pairs():\n    pass\nwhile run():\n    pass\nwith lock, open(p) as fh:\n    pass\nif x:  # c\n    # d\n    return 1\n    # e\nelif y:\n    raise E\nelse:\n    pass\nif __name__ == "__main__":\n    main()\n[y for y in z if y]\n{k: v for k, v in d.items()}\n',
  docstrings:
    'def a():\n    """doc"""\ndef b():\n    "a", 1\ndef c():\n    "x".strip()\ndef d():\n    # comment\n    r"raw"\ndef e(): "one"; pass\nclass F: "cls"\n',
  oddSpacing: 'f (x)\na . b (c)\nx  =  f ( 1 ) \ny=[ 1 , 2 ]\n',
};

/**
 * Texts the text readers once misread (issue 15 defect 3), most found by
 * random edits (differential.ts). Each parses without syntax errors, since
 * the readers only run on such trees, and each failed before its fix.
 */
const MISREAD: Record<string, string> = {
  gluedNumbers:
    'xs = [i * 0.5for i in y]\nf(i * 0x1for i in y)\nf(lat1e-3for _key, lat in d)\nys = (1 * 1_0for i in a.b).join()\nz = 1if a else 2\ng(k=0.5if a else b)\nw = 1jor 2\n',
  stringPrefixes:
    'print(fRb"{total / max(samples, 1):.2f} {buckets}")\nx = t"{f(y)}"\ny = Tr"{g(z)}"\ndef d():\n    fRb"""Doc {x}."""\ndef e():\n    bur"doc"\n',
  backticks: "x = `a(1)`\nf(`'`, g(1), `'`)\nz = (`'`, 1, `'`)\n",
  starredTargets: '*x.b = 0.5j\n*  cache[k] = v\n*a, b = t\n[*c, d] = t\n',
  annotationColons: 'for s in senders:\n    fo: s in senders:\n        print(f"{s.relay}")\n',
  openEnds:
    'seen = sum(h)^\nprint(seen)\nu = [p for p in q]in\nprint(u)\nv = a.\nb\nw = 1.\nz = ...\nt = 1or\n2\ny: int |\nNone = 1\n',
  printSplats:
    'print(2, *a.b())\nprint(2, *f(), *g())\nprint(2, *a + b)\nprint(*a.b())\nx.print(2, *a.b())\nprint(2, *a)\ny = print(1, *f())\n',
  // Two the standard library holds (test/typinganndata/ann_module.py, test/test_grammar.py).
  spacedKeywordBases: 'class S(metaclass = Meta):\n    pass\nclass T(B, k = 1, c == d): pass\n',
  yieldTuples: 'def g(): x = yield 1, 1\ndef h():\n    x = yield 1, 1\n    y = yield\n',
  loneCommas: '{\n, # c\n}()\nz = {,}\nf({,})\n',
  patternsJoined: 'def main():\n    chores = [a, b]\n    = [c]\n    x\nys = (a)\n# c\n= c\nzs = [a]\n+= c\n',
  gluedInLambdas: 'avg = sum(lambda a: 1or lambda a, b=1: lambda: a.b for _key, lat in latencies)\n',
};

let syntax: Syntax;
beforeAll(async () => {
  syntax = await initSyntax();
});

function check(text: string, file: string): void {
  const tree = parse(syntax, text);
  try {
    const expected = referenceExtract(syntax, tree, text, file);
    const actual = extractModel(syntax, tree, text, file);
    expect(actual).toEqual(expected);
  } finally {
    tree.delete();
  }
}

describe('extractModel matches the reference extractor', () => {
  for (const [name, text] of Object.entries(SNIPPETS)) {
    it(`snippet ${name}`, () => check(text, `${name}.py`));
  }
  for (const [name, text] of Object.entries(MISREAD)) {
    it(`once misread: ${name}`, () => {
      const tree = parse(syntax, text);
      const clean = !tree.rootNode.hasError;
      tree.delete();
      expect(clean, 'the text readers only run on trees without syntax errors').toBe(true);
      check(text, `${name}.py`);
    });
  }
  for (const file of pyFiles(FIXTURES)) {
    it(`fixture ${path.relative(FIXTURES, file)}`, () => check(fs.readFileSync(file, 'utf8'), file));
  }
  const corpus = pyFiles(CORPUS);
  const corpusTitle =
    corpus.length > 0
      ? `every file of the shared corpus (${corpus.length} in ${CORPUS})`
      : `every file of the shared corpus: skipped, no Python files at ${CORPUS} (only the fixtures above run)`;
  it.skipIf(corpus.length === 0)(corpusTitle, () => {
    for (const file of corpus) check(fs.readFileSync(file, 'utf8'), file);
  });
});
