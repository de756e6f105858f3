/**
 * The seeded random-edit differential of the model extractor (issue 15,
 * defect 3): Python sources are edited at random, each edited text is parsed
 * once and extracted both by `extractModel`, whose calls, assignments and
 * headers come from the text readers (scan.ts, exprs.ts, textFacts.ts,
 * textScopes.ts), and by referenceExtract.ts, the node-only oracle, and every
 * field where the two models differ is reported.
 *
 * The fixed-input equality test (extract.test.ts) only sees texts someone
 * wrote; the readers go wrong on texts nobody writes on purpose but an editor
 * shows between keystrokes (`0.5for`, a string prefix glued to a name, a
 * comment inside a chain). The edits are chosen to reach those texts while
 * keeping most of them free of syntax errors, because the readers only run on
 * error-free trees: character and token edits, expressions substituted for
 * names, digits glued to keywords, string prefixes, duplicated lines and
 * broken indentation.
 *
 * Everything is a function of the seed: the generator is stated here
 * (mulberry32), and input `i` of a run has its own seed, so any one input can
 * be rebuilt without the others. `npm test` runs a few thousand inputs
 * (differential.test.ts); `runDifferential` is exported for larger runs
 * (`npm run fuzz`, or test/model/differentialRun.ts from a shell).
 */
import fs from 'node:fs';
import path from 'node:path';
import { extractModel } from '../../server/src/model/extract';
import type { ModuleModel } from '../../server/src/model/types';
import { parse, SkippedSource, type Syntax } from '../../server/src/syntax/parser';
import { pyFiles } from '../pyFiles';
import { extractModel as referenceExtract } from './referenceExtract';

/** A seeded generator of floats in [0, 1) (mulberry32), the same on every machine. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of input `index` of a run seeded `seed`, so one input is rebuilt without the ones before it. */
export function inputSeed(seed: number, index: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0;
}

/** A source to edit: its name (for the report) and text. */
export interface Source {
  name: string;
  text: string;
}

/**
 * The Python files of test/fixtures/ (or of `root`), in a stable order; the
 * differential needs nothing else. A bundle whose `__dirname` is not this
 * folder (dist/fuzz.js) passes the fixtures' folder as `root`.
 */
export function fixtureSources(root = path.join(__dirname, '../fixtures')): Source[] {
  return pyFiles(root).map((file) => ({
    name: path.relative(root, file).replace(/\\/g, '/'),
    text: fs.readFileSync(file, 'utf8'),
  }));
}

class Picker {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Tokens an edit inserts or substitutes: the words and symbols whose reading the text readers decide. */
const TOKENS = [
  ...['for', 'in', 'if', 'else', 'not', 'and', 'or', 'is', 'lambda', 'yield', 'await', 'async', 'None', 'True'],
  ...['def', 'class', 'return', 'del', 'pass', 'import', 'from', 'as', 'with', 'print', 'match', 'case', 'type'],
  ...['(', ')', '[', ']', '{', '}', ',', ':', '=', '==', ':=', '.', '...', '*', '**', '@', '->', ';', '-', '~'],
  ...['<', '>=', '<<', '//', '%', '|', '&', '^', '!=', '+=', '\\\n', '#c\n', '# c', '\n', '    ', '\t', ' '],
  ...["'s'", '"s"', '"""t"""', 'f"{x}"', "rb'x'", 'u"x"', 'b"x"', 'Rb"x"', 'f"{a:>{w}}"', "''", 'f"{{x}}"'],
  ...['0', '0.5', '1e5', '1E-3', '0x1F', '0o7', '0b1', '1_000', '1j', '.5', '5.', '0_0', '1__0', '08', '0xg'],
  ...['x', 'self', 'self.x', 'é', 'ü', '_', 'f(x)', 'a.b', 'a[0]', '`', '`x`', "`'`", 't"{x}"', '$', '?', '!'],
];

/** Words a number can be glued to (`0.5for`): the tokenizer splits them, a text reader may not. */
const GLUE_WORDS = ['for', 'if', 'else', 'in', 'is', 'or', 'and', 'not', 'lambda', 'async', 'await'];
const NUMBERS = ['0', '1', '0.5', '1.', '.5', '1e3', '1e-3', '0x1', '0x1F', '0o7', '0b1', '1j', '1_0', '0e0', '9'];
const PREFIXES = [
  'r',
  'b',
  'f',
  'u',
  'rb',
  'br',
  'Rb',
  'fR',
  'rf',
  'F',
  'U',
  'x',
  'bu',
  'ur',
  'fb',
  'rr',
  't',
  'Tr',
  'fRb',
];

/** A random expression, with random layout, for substitution where a name stood. */
function expression(r: Picker, depth: number): string {
  const sp = () => r.pick(['', '', '', ' ', '  ', '\t']);
  const inner = () => (depth > 0 ? expression(r, depth - 1) : r.pick(['x', 'y', '1', '"s"', 'a.b', '0.5']));
  // Layout only brackets allow: newlines, comments, continuations.
  const bsp = () => r.pick(['', '', ' ', '\n', '\n  ', ' # c\n', ' \\\n', '\\\n']);
  switch (r.int(26)) {
    case 0:
      return r.pick(['x', 'self', 'None', 'True', 'False', '...', '_', 'é', 'print', 'match', 'type']);
    case 1:
      return r.pick(NUMBERS);
    case 2:
      return `${r.pick(PREFIXES)}${r.pick(["'s'", '"s"', '"""s"""', "'{x}'", '"{x:{y}}"'])}`;
    case 3:
      return `${inner()}${sp()}.${sp()}${r.pick(['a', 'b', 'join', 'submit', 'é'])}`;
    case 4:
      return `${inner()}${sp()}(${bsp()}${args(r, depth)}${bsp()})`;
    case 5:
      return `${inner()}[${bsp()}${inner()}${r.pick(['', ':', ':2', ', 1', '::'])}${bsp()}]`;
    case 6:
      return `[${bsp()}${elements(r, depth)}${bsp()}]`;
    case 7:
      return `(${bsp()}${elements(r, depth)}${bsp()})`;
    case 8:
      return `{${bsp()}${r.chance(0.5) ? `${inner()}:${sp()}${inner()}` : elements(r, depth)}${bsp()}}`;
    case 9:
    case 10: {
      const open = r.pick(['[', '(', '{']);
      const close = open === '[' ? ']' : open === '(' ? ')' : '}';
      const head = open === '{' && r.chance(0.5) ? `${inner()}:${inner()}` : inner();
      const glue = r.chance(0.4) ? r.pick(NUMBERS) : `${inner()}${sp()}`;
      const cond = r.chance(0.3) ? ` if${r.pick([' ', '(', ''])}${inner()}${r.pick(['', ')'])}` : '';
      return `${open}${head} * ${glue}for i in ${inner()}${cond}${close}`;
    }
    case 11:
      return `${inner()}${sp()}${r.pick(['+', '-', '*', '/', '//', '%', '**', '@', '|', '&', '^', '<<', '>>'])}${sp()}${inner()}`;
    case 12:
      return `${inner()} ${r.pick(['<', '>', '==', '!=', '<=', '>=', 'in', 'not in', 'is', 'is not', '<>'])} ${inner()}`;
    case 13:
      return `${inner()} ${r.pick(['and', 'or'])} ${inner()}`;
    case 14:
      return `not ${inner()}`;
    case 15:
      return `${r.pick(['-', '+', '~'])}${inner()}`;
    case 16:
      return `await ${inner()}`;
    case 17:
      return `lambda${r.pick(['', ' a', ' a, b=1', ' *a', ' a:'])}: ${inner()}`;
    case 18:
      return `${inner()} if ${inner()} else ${inner()}`;
    case 19:
      return `(${r.pick(['y', 'z'])} := ${inner()})`;
    case 20:
      return `(yield ${inner()})`;
    case 21:
      return `${r.pick(NUMBERS)}${r.pick(GLUE_WORDS)} ${inner()}`;
    case 22:
      return `${inner()} ${r.pick(['"s"', "'t'", 'f"u"', 'b"v"'])}`;
    case 23:
      return `*${inner()}`;
    case 24:
      return `${inner()}${r.pick(NUMBERS)}`;
    default:
      return `${r.pick(NUMBERS)}${r.pick(['', '.', '.real', '.__class__', 'j', 'e', 'L', 'x'])}`;
  }
}

function elements(r: Picker, depth: number): string {
  const n = r.int(4);
  const parts: string[] = [];
  for (let k = 0; k < n; k++) parts.push(expression(r, depth - 1));
  return parts.join(r.pick([', ', ',', ' , ', ',\n  '])) + (r.chance(0.2) ? ',' : '');
}

function args(r: Picker, depth: number): string {
  const n = r.int(4);
  const parts: string[] = [];
  for (let k = 0; k < n; k++) {
    const value = expression(r, depth - 1);
    const shape = r.int(6);
    parts.push(shape === 0 ? `k${k}=${value}` : shape === 1 ? `*${value}` : shape === 2 ? `**${value}` : value);
  }
  if (n === 1 && r.chance(0.2)) parts[0] = `${parts[0]} for i in y`;
  return parts.join(r.pick([', ', ',', ' ,', ',\n    '])) + (r.chance(0.15) ? ',' : '');
}

/** Offsets where a word starts, found with a regular expression over the text. */
function matches(text: string, re: RegExp): number[] {
  const out: number[] = [];
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push(m.index);
    if (out.length > 4000) break;
  }
  return out;
}

/** One random edit of `text`. */
function editOnce(r: Picker, text: string, pool: readonly Source[]): string {
  const n = text.length;
  const at = r.int(n + 1);
  const lines = text.split('\n');
  switch (r.int(14)) {
    case 0:
      return text.slice(0, at) + r.pick(TOKENS) + text.slice(at);
    case 1:
      return text.slice(0, at) + text.slice(at + 1 + r.int(8));
    case 2:
      return text.slice(0, at) + String.fromCharCode(32 + r.int(95)) + text.slice(at + 1);
    case 3: {
      const k = r.int(lines.length);
      lines.splice(k, 0, lines[k]);
      return lines.join('\n');
    }
    case 4: {
      const k = r.int(lines.length);
      const line = lines[k];
      lines[k] = r.chance(0.5) ? line.replace(/^ {1,4}/, '') : r.pick([' ', '  ', '    ', '\t']) + line;
      return lines.join('\n');
    }
    case 5:
    case 6: {
      // A number glued to the keyword after it, or put in the space before one.
      const spots = matches(text, new RegExp(`[ \\t](?=(${GLUE_WORDS.join('|')})\\b)`, 'g'));
      if (spots.length === 0) return text;
      const s = r.pick(spots);
      return text.slice(0, s) + (r.chance(0.7) ? ` ${r.pick(NUMBERS)}` : r.pick(NUMBERS)) + text.slice(s + 1);
    }
    case 7: {
      // A string prefix added, changed or glued to the name before it.
      const spots = matches(text, /["']/g);
      if (spots.length === 0) return text;
      const s = r.pick(spots);
      return text.slice(0, s) + r.pick(PREFIXES) + text.slice(s);
    }
    case 8:
    case 9:
    case 10: {
      // An expression where a name stood: most such edits keep the text free of syntax errors.
      const spots = matches(text, /\b[A-Za-z_][A-Za-z_0-9]*\b/g);
      if (spots.length === 0) return text;
      const s = r.pick(spots);
      const e = s + (/^[A-Za-z_0-9]*/.exec(text.slice(s))?.[0].length ?? 0);
      return text.slice(0, s) + expression(r, 1 + r.int(3)) + text.slice(e);
    }
    case 11: {
      // A space removed or doubled between two tokens.
      const spots = matches(text, / /g);
      if (spots.length === 0) return text;
      const s = r.pick(spots);
      return text.slice(0, s) + (r.chance(0.6) ? '' : r.pick(['  ', '\t', ' \\\n '])) + text.slice(s + 1);
    }
    case 12: {
      // A line of another source, at the same indentation as the line it follows.
      const other = r.pick(pool).text.split('\n');
      const line = other[r.int(other.length)].trimStart();
      const k = r.int(lines.length);
      const indent = /^[ \t]*/.exec(lines[k])?.[0] ?? '';
      lines.splice(k + 1, 0, indent + line);
      return lines.join('\n');
    }
    default: {
      // A statement of its own: an assignment or call made of random expressions.
      const k = r.int(lines.length);
      const indent = /^[ \t]*/.exec(lines[k])?.[0] ?? '';
      const value = expression(r, 2);
      const stmt = r.chance(0.5) ? `${expression(r, 1)} = ${value}` : value;
      lines.splice(k + 1, 0, indent + stmt);
      return lines.join('\n');
    }
  }
}

/** The edited text of input `index` of a run over `sources` seeded `seed`. */
export function editedInput(sources: readonly Source[], seed: number, index: number): { source: string; text: string } {
  const r = new Picker(random(inputSeed(seed, index)));
  const base = r.pick(sources);
  let text = base.text;
  // Mostly a window of the file: shorter texts parse faster, and a window's first line may be indented.
  if (r.chance(0.7)) {
    const lines = text.split('\n');
    const from = r.int(lines.length);
    text = lines.slice(from, from + 5 + r.int(60)).join('\n');
  }
  const edits = 1 + r.int(3);
  for (let k = 0; k < edits; k++) text = editOnce(r, text, sources);
  return { source: base.name, text };
}

/** Where two models differ: up to `limit` paths, each with both values. */
export function modelDifferences(actual: unknown, expected: unknown, limit = 8): string[] {
  const out: string[] = [];
  const walk = (a: unknown, e: unknown, at: string): void => {
    if (out.length >= limit || Object.is(a, e)) return;
    if (typeof a === 'object' && typeof e === 'object' && a !== null && e !== null) {
      if (Array.isArray(a) !== Array.isArray(e)) {
        out.push(`${at}: ${brief(a)} (reference ${brief(e)})`);
        return;
      }
      const keys = new Set([...Object.keys(a), ...Object.keys(e)]);
      if (Array.isArray(a) && Array.isArray(e) && a.length !== e.length) {
        out.push(`${at}.length: ${a.length} (reference ${e.length})`);
      }
      for (const key of keys) {
        const av = (a as Record<string, unknown>)[key];
        const ev = (e as Record<string, unknown>)[key];
        // The extractors differ in which absent fields they spell out; an undefined field is no difference.
        if (av === undefined && ev === undefined) continue;
        walk(av, ev, Array.isArray(a) ? `${at}[${key}]` : `${at}.${key}`);
      }
      return;
    }
    out.push(`${at}: ${brief(a)} (reference ${brief(e)})`);
  };
  walk(actual, expected, 'model');
  return out;
}

function brief(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** One input on which the extractors disagreed. */
export interface Divergence {
  seed: number;
  index: number;
  /** The source the input was edited from. */
  source: string;
  text: string;
  /** The differing fields (`model.calls[2].args[0].kind: "list" (reference "list_comprehension")`), or the error thrown. */
  fields: string[];
}

export interface DifferentialOptions {
  /** Inputs to make and compare. */
  count: number;
  /** The run's seed; input `i` is `editedInput(sources, seed, i)`. */
  seed: number;
  /** Sources to edit; the fixtures when absent. */
  sources?: readonly Source[];
  /** Stop after this many divergences (all of them when absent). */
  maxDivergences?: number;
  /** Called after each input, e.g. for progress. */
  onInput?: (index: number) => void;
}

export interface DifferentialResult {
  /** Inputs made. */
  inputs: number;
  /** Inputs whose tree had no syntax errors: only those reach the text readers. */
  clean: number;
  /** Inputs the parser refused (syntax/nesting.ts); they are not compared. */
  skipped: number;
  divergences: Divergence[];
}

/**
 * Edit `count` inputs from the seed and compare `extractModel` with the
 * node-only reference on each. Synchronous; `syntax` comes from `initSyntax`.
 */
export function runDifferential(syntax: Syntax, options: DifferentialOptions): DifferentialResult {
  const sources = options.sources ?? fixtureSources();
  const result: DifferentialResult = { inputs: 0, clean: 0, skipped: 0, divergences: [] };
  for (let index = 0; index < options.count; index++) {
    if (options.maxDivergences !== undefined && result.divergences.length >= options.maxDivergences) break;
    const input = editedInput(sources, options.seed, index);
    result.inputs++;
    options.onInput?.(index);
    const fields = compareOn(syntax, input.text, result);
    if (fields.length > 0) {
      result.divergences.push({ seed: options.seed, index, source: input.source, text: input.text, fields });
    }
  }
  return result;
}

/** Compare the two extractors on one text; the differing fields, none when they agree. */
export function compareOn(
  syntax: Syntax,
  text: string,
  counts?: Pick<DifferentialResult, 'clean' | 'skipped'>,
): string[] {
  let tree: ReturnType<typeof parse>;
  try {
    tree = parse(syntax, text);
  } catch (error) {
    if (error instanceof SkippedSource) {
      if (counts) counts.skipped++;
      return [];
    }
    throw error;
  }
  try {
    if (counts && !tree.rootNode.hasError) counts.clean++;
    let expected: ModuleModel;
    try {
      expected = referenceExtract(syntax, tree, text, 'input.py');
    } catch {
      // The oracle's own failures are not the readers' business.
      return [];
    }
    try {
      return modelDifferences(extractModel(syntax, tree, text, 'input.py'), expected);
    } catch (error) {
      return [`extractModel threw: ${error instanceof Error ? error.message : String(error)}`];
    }
  } finally {
    tree.delete();
  }
}

/** A divergence as a block of text for a test failure or a log: how to rebuild it, the text, the fields. */
export function describeDivergence(d: Divergence): string {
  return [
    `seed ${d.seed}, input ${d.index} (edited from ${d.source}); rebuild with editedInput(fixtureSources(), ${d.seed}, ${d.index})`,
    '--- text ---',
    d.text,
    '--- differing fields ---',
    ...d.fields,
  ].join('\n');
}
