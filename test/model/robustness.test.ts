/**
 * The syntax and model layers against input found by fuzzing (issue 13):
 * text nested too deep for tree-sitter-python's scanner is refused before the
 * parse (defect 1), a parser that trapped or may have been damaged is
 * replaced so the next file still parses right, a `def` whose body error
 * recovery stranded in an ERROR node still opens its scope (defect 3), and
 * lone `\r` line breaks make lines as LSP counts them (defect 7).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { analyzeProject } from '../../server/src/analysis/index';
import { defaultConfig } from '../../server/src/analysis/types';
import { modelOf } from '../../server/src/engine';
import { extractModel } from '../../server/src/model/extract';
import type { ModuleModel } from '../../server/src/model/types';
import { deepNesting, NESTING_LIMIT } from '../../server/src/syntax/nesting';
import { initSyntax, parse, SkippedSource, type Syntax } from '../../server/src/syntax/parser';
import { SAMPLE } from '../lsp/samples';
import { deepFString, deepTarget, macLineBreaks, nestedIfs } from './hostileText';

let syntax: Syntax;
beforeAll(async () => {
  syntax = await initSyntax();
});

/** What a wasm trap throws: web-tree-sitter lets WebAssembly.RuntimeError through. */
function trap(): Error {
  return Object.assign(new Error('memory access out of bounds'), { name: 'RuntimeError' });
}

/** The tree a parser makes of `text`, as a string, freed at once. */
function treeOf(text: string): string {
  const tree = parse(syntax, text);
  try {
    return tree.rootNode.toString();
  } finally {
    tree.delete();
  }
}

describe('the nesting guard (issue 13 defect 1)', () => {
  it('lets ordinary and deep string-free text through', () => {
    expect(deepNesting(SAMPLE)).toBeUndefined();
    expect(deepNesting(`def f():\n${nestedIfs(300, 4, 'pass')}`)).toEqual({ depth: 301 });
    // Strings after the deep part are read once the scanner is back near the top.
    expect(deepNesting(`"""Doc."""\n${nestedIfs(600, 0, 'pass')}s = "x"\n`)?.stringLine).toBeUndefined();
  });

  it('finds a string open across lines nested past the limit, or starting on one', () => {
    expect(deepNesting(deepFString())).toMatchObject({ depth: 600, stringLine: NESTING_LIMIT });
    expect(deepNesting(nestedIfs(300, 0, 'y = "s"'))).toMatchObject({ stringLine: 300, stringDepth: 300 });
    // The scanner keeps a string left unclosed at the end of its line open, and so does the guard.
    expect(deepNesting(`x = "abc\n${nestedIfs(300, 0, 'pass')}`)?.stringLine).toBe(NESTING_LIMIT + 1);
    // Below the limit, strings are safe at any depth the scanner can save.
    expect(deepNesting(nestedIfs(NESTING_LIMIT - 1, 0, 'y = "s"'))?.stringLine).toBeUndefined();
  });

  it('refuses such a file before the parse, and the next file parses as before', () => {
    const expected = treeOf(SAMPLE);
    const refused = (() => {
      try {
        parse(syntax, deepFString()).delete();
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(SkippedSource);
    expect((refused as SkippedSource).reason).toMatch(/^a string on line 257 is nested 256 blocks deep.*, skipped$/);
    expect(treeOf(SAMPLE)).toBe(expected);
  });
});

describe('a damaged parser is replaced (issue 13 defect 1)', () => {
  const parserClass = () => Object.getPrototypeOf(syntax.parser) as { parse: (...args: unknown[]) => unknown };
  const realParse = () => parserClass().parse;
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  it('retries on a fresh parser after a trap, so a trap left by an earlier file costs nothing', () => {
    const expected = treeOf(SAMPLE);
    const trapping = syntax.parser;
    const parseOnce = trapping.parse;
    Object.defineProperty(trapping, 'parse', {
      configurable: true,
      value: () => {
        throw trap();
      },
    });
    restore = () => Object.defineProperty(trapping, 'parse', { configurable: true, value: parseOnce });
    expect(treeOf(SAMPLE)).toBe(expected);
    expect(syntax.parser).not.toBe(trapping);
  });

  it('skips a file whose parse traps on a fresh parser too, and parses the next one', () => {
    const expected = treeOf(SAMPLE);
    const original = realParse();
    parserClass().parse = () => {
      throw trap();
    };
    restore = () => {
      parserClass().parse = original;
    };
    expect(() => parse(syntax, SAMPLE)).toThrow(
      new SkippedSource('the parser failed on this file (RuntimeError: memory access out of bounds), skipped'),
    );
    restore();
    restore = undefined;
    expect(treeOf(SAMPLE)).toBe(expected);
  });

  it('checks the parser after a deep text, and replaces one that went wrong without a trap', () => {
    const expected = treeOf(SAMPLE);
    // Damage as the scanner's overflow often leaves it: every parse returns a tree, the wrong one.
    const damaged = syntax.parser;
    const parseRight = damaged.parse.bind(damaged);
    Object.defineProperty(damaged, 'parse', {
      configurable: true,
      value: (_text: string, ...rest: unknown[]) => parseRight('x = (', ...(rest as [])),
    });
    restore = () => Object.defineProperty(damaged, 'parse', { configurable: true, value: parseRight });
    expect(() => parse(syntax, `def f():\n${nestedIfs(300, 4, 'pass')}`)).toThrow(
      new SkippedSource('the parser was damaged reading this file, skipped'),
    );
    expect(syntax.parser).not.toBe(damaged);
    expect(treeOf(SAMPLE)).toBe(expected);
  });

  it('leaves the next file parsing right after real damage, behind the guard', () => {
    const expected = treeOf(SAMPLE);
    // Damage the parser the way defect 1 did, behind the guard's back.
    try {
      syntax.parser.parse(deepFString());
    } catch {
      // Trapping at once is one of the ways the damage shows.
    }
    const wide = `if a:\n${' '.repeat(400)}b = 1\n`;
    try {
      parse(syntax, wide).delete();
    } catch (error) {
      expect(error).toBeInstanceOf(SkippedSource);
    }
    expect(treeOf(SAMPLE)).toBe(expected);
  });
});

/** Scopes of a model as `name(params)@line` (1-based), without the module. */
function scopesOf(model: ModuleModel): string[] {
  return model.scopes.slice(1).map((s) => `${s.name}(${s.params.map((p) => p.name).join(',')})@${s.span.line + 1}`);
}

describe('headers stranded by error recovery (issue 13 defect 3)', () => {
  it('opens the scope of a def whose body nests past what the scanner saves', () => {
    const text = deepTarget(520);
    const model = modelOf(syntax, { path: 'deep.py', text });
    expect(model.hasErrors).toBe(true);
    expect(scopesOf(model)).toEqual(['work(n,args,key,kw)@5']);
    const work = model.scopes[1];
    // The body runs to the deepest statement, and the spawn after it is module code again.
    expect(work.span.endLine).toBe(8 + 520);
    const spawn = model.calls.find((c) => c.callee === 'threading.Thread');
    expect(spawn?.scope).toBe(0);
    const update = model.writes.find((w) => w.targets[0]?.text === 'counter' && w.span.line === 7);
    expect(update?.scope).toBe(work.id);
  });

  it('keeps the findings of such a file', () => {
    const [report] = analyzeProject([modelOf(syntax, { path: 'deep.py', text: deepTarget(520) })], defaultConfig());
    expect(report.threadTargets.map((t) => t.name)).toEqual(['work']);
    expect(report.findings.map((f) => `${f.rule}@${f.span.line + 1}`)).toContain('shared-mutation@8');
  });

  it('reads classes, methods and async defs the same way', () => {
    const text = [
      'class Worker(Base, metaclass=Meta):',
      '    def run(self, item):',
      '        self.n += 1',
      nestedIfs(520, 8, 'pass'),
      'async def fetch(url):',
      '    await get(url)',
      nestedIfs(520, 4, 'pass'),
      'fetch(1)',
      '',
    ].join('\n');
    const model = modelOf(syntax, { path: 'loose.py', text });
    expect(model.hasErrors).toBe(true);
    expect(scopesOf(model)).toEqual(['Worker()@1', 'run(self,item)@2', 'fetch(url)@526']);
    const [, worker, run, fetch] = model.scopes;
    expect(worker).toMatchObject({ kind: 'class', bases: ['Base'], parent: 0 });
    expect(run).toMatchObject({ kind: 'function', parent: worker.id, isAsync: false });
    expect(fetch).toMatchObject({ parent: 0, isAsync: true, span: { line: 525, col: 0 } });
    expect(model.calls.find((c) => c.callee === 'get')?.scope).toBe(fetch.id);
    expect(model.calls.find((c) => c.callee === 'fetch')?.scope).toBe(0);
  });

  it('opens no scope for a header it cannot read plainly', () => {
    const model = modelOf(syntax, { path: 'typing.py', text: 'def work(:\n    x = (\ny = 1\n' });
    expect(model.scopes).toHaveLength(1);
  });
});

describe('lone carriage returns (issue 13 defect 7)', () => {
  it('make the lines LSP sees, with the same model as \\n', () => {
    const mac = macLineBreaks(SAMPLE);
    const unix = modelOf(syntax, { path: 'sample.py', text: SAMPLE });
    const classic = modelOf(syntax, { path: 'sample.py', text: mac });
    expect(classic).toEqual(unix);
    expect(classic.lines.length).toBe(SAMPLE.split('\n').length);
  });

  it('agree with \\r\\n and \\n mixed in one file', () => {
    const mixed = SAMPLE.split('\n')
      .map((line, i) => line + ['\r', '\r\n', '\n'][i % 3])
      .join('');
    const tree = parse(syntax, mixed);
    try {
      const model = extractModel(syntax, tree, mixed, 'mixed.py');
      const unix = modelOf(syntax, { path: 'mixed.py', text: `${SAMPLE}\n` });
      expect(model.calls.map((c) => c.span)).toEqual(unix.calls.map((c) => c.span));
      expect(model.writes.map((w) => w.span)).toEqual(unix.writes.map((w) => w.span));
    } finally {
      tree.delete();
    }
  });
});
