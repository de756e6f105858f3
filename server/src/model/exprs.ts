/**
 * Reads Python expressions from the text, using the bracket and string map of
 * scan.ts, to answer what the model needs without touching tree nodes: where
 * a comma-separated list splits, how a postfix chain (`a.b[c](d)`) is built,
 * and which tree-sitter node type an expression has.
 *
 * Every reader answers `undefined` when the text holds anything it does not
 * fully understand (unknown keywords, comments in awkward places, non-ASCII
 * names, yield, ...). The caller then reads the nodes instead, so a wrong
 * guess is never produced; only a slower path is taken. The node types follow
 * the tree-sitter-python grammar's precedences, which differ from Python's in
 * places (`await x ** 2` is an `await`).
 */
import { isPrefixLetter, isWordChar, type Scan, skipTrivia } from './scan';

export type OpKind = 'attribute' | 'subscript' | 'call';

/** One postfix operation of a chain: `.name`, `[...]` or `(...)`, starting at `at`. */
export interface Op {
  kind: OpKind;
  at: number;
  end: number;
}

/** An atom followed by postfix operations, e.g. `self._pool.submit(f)`. */
export interface Chain {
  atom: string;
  ops: Op[];
  end: number;
}

const HARD_KEYWORDS = new Set([
  'def',
  'class',
  'return',
  'del',
  'pass',
  'raise',
  'import',
  'from',
  'as',
  'with',
  'while',
  'try',
  'except',
  'finally',
  'global',
  'nonlocal',
  'assert',
  'break',
  'continue',
  'elif',
  'yield',
]);

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12;
}

function isQuote(c: number): boolean {
  return c === 34 || c === 39;
}

/** End of the word (ASCII name characters) starting at `i`; -1 when a non-ASCII character joins it. */
export function wordEnd(text: string, i: number): number {
  let j = i;
  while (isWordChar(text.charCodeAt(j))) j++;
  return text.charCodeAt(j) > 127 ? -1 : j;
}

/**
 * Is `text[i, j)` a string prefix directly followed by a quote? The grammar's
 * scanner takes any run of f, t, r, b and u (any case) as one, so `fRb"x"` is
 * a string to it, however Python sees it.
 */
function isStringPrefix(text: string, i: number, j: number): boolean {
  if (!isQuote(text.charCodeAt(j))) return false;
  for (let k = i; k < j; k++) if (!isPrefixLetter(text.charCodeAt(k))) return false;
  return true;
}

/** End of the string literal starting at `i` (quote or prefix), or -1. */
function stringEnd(scan: Scan, i: number): number {
  const { text } = scan;
  if (isQuote(text.charCodeAt(i))) return scan.jump[i];
  const j = wordEnd(text, i);
  if (j < 0 || !isStringPrefix(text, i, j)) return -1;
  return scan.jump[j];
}

/** What a split found besides the parts. */
export interface Split {
  commas: number;
  /** A comment sits at the top level: the tree keeps it as a child, so readers of children must read nodes. */
  comments: boolean;
  /** A line continuation sits between parts: the tree keeps it as a child (a `line_continuation` node). */
  continuations: boolean;
}

/** Is the word `lambda` at `i`? */
export function isLambdaAt(text: string, i: number): boolean {
  return text.startsWith('lambda', i) && !isWordChar(text.charCodeAt(i - 1)) && !isWordChar(text.charCodeAt(i + 6));
}

/**
 * Split `[s, e)` at its top-level commas into trimmed `[start, end)` pairs,
 * appended to `out`. Commas between `lambda` and its colon separate the
 * lambda's parameters, not parts, so they do not split.
 */
export function segments(scan: Scan, s: number, e: number, out: number[]): Split {
  const { text, jump } = scan;
  const split: Split = { commas: 0, comments: false, continuations: false };
  let i = s;
  let start = -1;
  let last = -1;
  let lambdas = 0;
  // A continuation after the last token of a part lies between parts unless another token follows.
  let trailing = false;
  while (i < e) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
    } else if (c === 92 && isSpace(text.charCodeAt(i + 1))) {
      if (start < 0) split.continuations = true;
      else trailing = true;
      i += 2;
    } else if (c === 35) {
      split.comments = true;
      i = jump[i];
    } else if (c === 44 && lambdas === 0) {
      if (trailing) split.continuations = true;
      trailing = false;
      if (start >= 0) out.push(start, last);
      split.commas++;
      start = -1;
      i++;
    } else {
      if (start < 0) start = i;
      trailing = false;
      if (c === 108 && isLambdaAt(text, i)) lambdas++;
      else if (c === 58 && lambdas > 0 && text.charCodeAt(i + 1) !== 61) lambdas--;
      const j = jump[i];
      i = j > i ? j : i + 1;
      last = i;
    }
  }
  if (trailing) split.continuations = true;
  if (start >= 0) out.push(start, last);
  return split;
}

/** Node type of a number literal, or undefined. */
function numberType(word: string): string | undefined {
  if (/^(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*)[lLjJ]?$/.test(word)) return 'integer';
  if (/^([0-9][0-9_]*\.?[0-9_]*|\.[0-9][0-9_]*)([eE][+-]?[0-9_]+)?[jJ]?$/.test(word)) return 'float';
  return undefined;
}

/**
 * End of the number literal starting at `i`, including exponent signs, or -1
 * when the word there is no number as a whole. The grammar's lexer ends a
 * number where its pattern ends, so `0.5for` is `0.5` and `for`, and
 * `0x1for` is `0x1f` and `or`; rather than split words as it does, the
 * readers decline such text.
 */
function numberAt(text: string, i: number): number {
  // Most numbers are a few digits followed by an operator, a bracket or a space: no pattern needed.
  let j = i;
  while (isDigit(text.charCodeAt(j))) j++;
  if (j > i && !isWordChar(text.charCodeAt(j)) && text.charCodeAt(j) !== 46) return j;
  j = numberEnd(text, i);
  return numberType(text.slice(i, j)) ? j : -1;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** End of the run of word characters, dots and exponent signs starting at `i`. */
function numberEnd(text: string, i: number): number {
  let j = i;
  for (;;) {
    const c = text.charCodeAt(j);
    if (isWordChar(c) || c === 46) j++;
    else if ((c === 43 || c === 45) && (text.charCodeAt(j - 1) | 32) === 101 && !/^0[xX]/.test(text.slice(i, j))) j++;
    else return j;
  }
}

/** The top level of a bracket group, as far as its node type depends on it. */
interface Group {
  empty: boolean;
  /** First character of the content. */
  first: number;
  comma: boolean;
  colon: boolean;
  colonBeforeFor: boolean;
  forWord: boolean;
  /** `lambda` or `yield` at the top level: colons and commas would be misread. */
  odd: boolean;
  /** The scan stopped early at something it cannot read, so `forWord` may be missing. */
  cut: boolean;
}

function groupOf(scan: Scan, open: number): Group {
  const { text, jump } = scan;
  const close = jump[open] - 1;
  const start = skipTrivia(scan, open + 1, close);
  const group: Group = {
    empty: start === close,
    first: text.charCodeAt(start),
    comma: false,
    colon: false,
    colonBeforeFor: false,
    forWord: false,
    odd: false,
    cut: false,
  };
  let i = start;
  while (i < close) {
    const c = text.charCodeAt(i);
    if (c === 44) {
      group.comma = true;
      i++;
    } else if (c === 58) {
      if (text.charCodeAt(i + 1) !== 61) {
        group.colon = true;
        if (!group.forWord) group.colonBeforeFor = true;
      }
      i++;
    } else if (((c >= 48 && c <= 57) || c === 46) && !isWordChar(text.charCodeAt(i - 1))) {
      // A number, which may hide a keyword glued to it (`0.5for`).
      const j = c === 46 && !isDigit(text.charCodeAt(i + 1)) ? i + 1 : numberAt(text, i);
      if (j < 0) {
        group.odd = true;
        group.cut = true;
        return group;
      }
      i = j;
    } else if (isWordChar(c) && !isWordChar(text.charCodeAt(i - 1))) {
      const j = wordEnd(text, i);
      if (j < 0) {
        group.odd = true;
        group.cut = true;
        return group;
      }
      if (isStringPrefix(text, i, j)) {
        i = jump[j];
        continue;
      }
      const word = text.slice(i, j);
      if (word === 'lambda' || word === 'yield') group.odd = true;
      else if (word === 'for') group.forWord = true;
      i = j;
    } else {
      const j = jump[i];
      i = j > i ? j : i + 1;
    }
  }
  return group;
}

/** Is the bracket group at `open` a comprehension or generator (a top-level `for`)? Undefined when unsure. */
export function isComprehension(scan: Scan, open: number): boolean | undefined {
  const group = groupOf(scan, open);
  if (group.forWord || group.cut) return group.odd ? undefined : true;
  return false;
}

/** Node type of the bracket group opening at `open`, from its top-level content. */
export function bracketType(scan: Scan, open: number): string | undefined {
  const group = groupOf(scan, open);
  const kind = scan.text.charCodeAt(open);
  if (group.empty) return kind === 40 ? 'tuple' : kind === 91 ? 'list' : 'dictionary';
  // A lone comma (`{,}`) is no Python, but the grammar accepts it, as a dictionary among others.
  if (group.odd || group.first === 44) return undefined;
  if (kind === 40) {
    if (group.first === 42) return undefined;
    return group.forWord ? 'generator_expression' : group.comma ? 'tuple' : 'parenthesized_expression';
  }
  if (kind === 91) return group.forWord ? 'list_comprehension' : 'list';
  if (group.forWord) return group.colonBeforeFor ? 'dictionary_comprehension' : 'set_comprehension';
  const start = skipTrivia(scan, open + 1, scan.jump[open] - 1);
  if (group.colon || (group.first === 42 && scan.text.charCodeAt(start + 1) === 42)) return 'dictionary';
  return 'set';
}

/**
 * Parse the chain starting at `s` and ending by `e`: an atom and its postfix
 * operations. Stops at the first token that continues no chain. Undefined when
 * the atom is not understood or a comment or line continuation sits between
 * the parts (node texts would not include it).
 */
export function parseChain(scan: Scan, s: number, e: number): Chain | undefined {
  const { text, jump } = scan;
  const c = text.charCodeAt(s);
  let atom: string;
  let i: number;
  if (isQuote(c) || (isWordChar(c) && !(c >= 48 && c <= 57))) {
    let j = isQuote(c) ? -1 : wordEnd(text, s);
    if (isQuote(c) || (j >= 0 && isStringPrefix(text, s, j))) {
      j = stringEnd(scan, s);
      if (j <= 0) return undefined;
      atom = 'string';
      for (;;) {
        const k = skipTrivia(scan, j, e);
        if (k === j || k >= e || text.slice(j, k).includes('#') || text.slice(j, k).includes('\\')) break;
        const next = stringEnd(scan, k);
        if (next <= 0) break;
        atom = 'concatenated_string';
        j = next;
      }
      i = j;
    } else {
      if (j < 0) return undefined;
      const word = text.slice(s, j);
      if (word === 'None') atom = 'none';
      else if (word === 'True') atom = 'true';
      else if (word === 'False') atom = 'false';
      else if (HARD_KEYWORDS.has(word) || KEYWORD_OPERATORS.has(word)) return undefined;
      else atom = 'identifier';
      i = j;
    }
  } else if (c === 40 || c === 91 || c === 123) {
    // A bracket the scan did not map lies in text it read differently from the grammar (a string, say).
    if (jump[s] <= s) return undefined;
    const type = bracketType(scan, s);
    if (!type) return undefined;
    atom = type;
    i = jump[s];
  } else if (c === 46 && text.startsWith('...', s)) {
    atom = 'ellipsis';
    i = s + 3;
  } else if ((c >= 48 && c <= 57) || c === 46) {
    const j = numberEnd(text, s);
    const type = numberType(text.slice(s, j));
    if (!type) return undefined;
    return { atom: type, ops: [], end: j };
  } else {
    return undefined;
  }
  const ops: Op[] = [];
  let end = i;
  for (;;) {
    const k = skipTrivia(scan, end, e);
    if (k >= e) break;
    const op = text.charCodeAt(k);
    if (op !== 46 && op !== 40 && op !== 91) break;
    if (k > end && (text.slice(end, k).includes('#') || text.slice(end, k).includes('\\'))) return undefined;
    if (op === 46) {
      if (text.charCodeAt(k + 1) === 46) break;
      const name = skipTrivia(scan, k + 1, e);
      if (name > k + 1 && text.slice(k + 1, name).includes('#')) return undefined;
      const j = wordEnd(text, name);
      if (j <= name) return undefined;
      ops.push({ kind: 'attribute', at: k, end: j });
      end = j;
    } else {
      end = jump[k];
      if (end <= k) return undefined;
      ops.push({ kind: op === 40 ? 'call' : 'subscript', at: k, end });
    }
  }
  return { atom, ops, end };
}

/** Node type of the first `count` operations of a chain. */
export function chainType(chain: Chain, count: number): string {
  return count === 0 ? chain.atom : chain.ops[count - 1].kind;
}

const KEYWORD_OPERATORS = new Set(['lambda', 'not', 'and', 'or', 'if', 'else', 'in', 'is', 'for', 'async', 'await']);

/** What the top level of an expression holds, as far as its node type depends on it. */
interface Shape {
  first: 'operand' | 'lambda' | 'not' | 'unary' | 'await' | 'star' | 'other';
  comma: boolean;
  walrus: boolean;
  ifWord: boolean;
  boolOp: boolean;
  compare: boolean;
  lowBinary: boolean;
  power: boolean;
  /** Something no rule below covers: a colon, `=`, `for`, yield, an unknown character. */
  odd: boolean;
}

function shapeOf(scan: Scan, s: number, e: number): Shape {
  const { text, jump } = scan;
  const shape: Shape = {
    first: 'other',
    comma: false,
    walrus: false,
    ifWord: false,
    boolOp: false,
    compare: false,
    lowBinary: false,
    power: false,
    odd: false,
  };
  let i = s;
  let operand = false;
  let atStart = true;
  let afterDot = false;
  const start = (kind: Shape['first']) => {
    if (atStart) shape.first = kind;
    atStart = false;
  };
  while (i < e) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === 92 || c === 35) {
      i = c === 35 ? jump[i] : i + 2;
      continue;
    }
    if (isWordChar(c) && !(c >= 48 && c <= 57)) {
      const j = wordEnd(text, i);
      if (j < 0) {
        shape.odd = true;
        return shape;
      }
      if (isStringPrefix(text, i, j)) {
        start('operand');
        i = scan.jump[j];
        operand = true;
        continue;
      }
      const word = text.slice(i, j);
      i = j;
      if (afterDot) {
        afterDot = false;
        operand = true;
        continue;
      }
      if (!KEYWORD_OPERATORS.has(word)) {
        if (HARD_KEYWORDS.has(word)) shape.odd = true;
        start('operand');
        operand = true;
        continue;
      }
      switch (word) {
        case 'lambda':
          start('lambda');
          return shape;
        case 'not':
          if (operand) shape.compare = true;
          else start('not');
          break;
        case 'and':
        case 'or':
          shape.boolOp = true;
          break;
        case 'if':
          shape.ifWord = true;
          break;
        case 'in':
        case 'is':
          shape.compare = true;
          break;
        case 'await':
          start('await');
          break;
        default:
          shape.odd = true;
      }
      operand = false;
      continue;
    }
    if (c >= 48 && c <= 57) {
      start('operand');
      i = numberAt(text, i);
      if (i < 0) {
        shape.odd = true;
        return shape;
      }
      operand = true;
      continue;
    }
    if (isQuote(c) || c === 40 || c === 91 || c === 123) {
      start('operand');
      i = jump[i];
      operand = true;
      continue;
    }
    const d = text.charCodeAt(i + 1);
    switch (c) {
      case 46:
        if (d === 46 && text.charCodeAt(i + 2) === 46) {
          start('operand');
          operand = true;
          i += 3;
        } else if (operand) {
          afterDot = true;
          i++;
        } else if (d >= 48 && d <= 57) {
          start('operand');
          i = numberAt(text, i);
          if (i < 0) {
            shape.odd = true;
            return shape;
          }
          operand = true;
        } else {
          shape.odd = true;
          return shape;
        }
        continue;
      case 44:
        shape.comma = true;
        break;
      case 58:
        if (d === 61) {
          shape.walrus = true;
          i++;
        } else shape.odd = true;
        break;
      case 60:
      case 62:
        if (d === c) {
          shape.lowBinary = true;
          i++;
        } else {
          shape.compare = true;
          if (d === 61) i++;
          else if (d === 62) shape.odd = true;
        }
        break;
      case 61:
        if (d === 61) {
          shape.compare = true;
          i++;
        } else shape.odd = true;
        break;
      case 33:
        if (d === 61) {
          shape.compare = true;
          i++;
        } else shape.odd = true;
        break;
      case 42:
        if (d === 42) i++;
        if (operand) {
          if (d === 42) shape.power = true;
          else shape.lowBinary = true;
        } else if (atStart) {
          start('star');
        } else shape.odd = true;
        break;
      case 43:
      case 45:
      case 126:
        if (operand && c !== 126) shape.lowBinary = true;
        else start('unary');
        break;
      case 47:
      case 37:
      case 64:
      case 124:
      case 94:
      case 38:
        if (c === 47 && d === 47) i++;
        if (!operand || text.charCodeAt(i + 1) === 61) shape.odd = true;
        shape.lowBinary = true;
        break;
      default:
        shape.odd = true;
        return shape;
    }
    atStart = false;
    operand = false;
    i++;
  }
  return shape;
}

/**
 * The tree-sitter node type of the expression `[s, e)` (already trimmed), or
 * undefined when unsure. Callers split at top-level commas first (segments):
 * a comma's meaning depends on the context, and a lambda's parameters hold
 * commas too, so a region starting with `lambda` is taken as one lambda.
 */
export function exprType(scan: Scan, s: number, e: number): string | undefined {
  // Most arguments and values are a bare name: settle those without the general scan.
  const c = scan.text.charCodeAt(s);
  if (isWordChar(c) && !(c >= 48 && c <= 57) && wordEnd(scan.text, s) === e) {
    const word = scan.text.slice(s, e);
    if (word === 'None') return 'none';
    if (word === 'True') return 'true';
    if (word === 'False') return 'false';
    if (!HARD_KEYWORDS.has(word) && !KEYWORD_OPERATORS.has(word)) return 'identifier';
    // A keyword operator alone (`x = await`) is whatever tree-sitter's recovery makes of it: read the node.
    return undefined;
  }
  const shape = shapeOf(scan, s, e);
  if (shape.first === 'lambda') return 'lambda';
  if (shape.odd || shape.comma || shape.first === 'star' || shape.first === 'other') return undefined;
  if (shape.walrus) return 'named_expression';
  if (shape.ifWord) return 'conditional_expression';
  if (shape.boolOp) return 'boolean_operator';
  if (shape.first === 'not') return 'not_operator';
  if (shape.compare) return 'comparison_operator';
  if (shape.lowBinary) return 'binary_operator';
  if (shape.first === 'unary') return 'unary_operator';
  if (shape.first === 'await') return 'await';
  if (shape.power) return 'binary_operator';
  const chain = parseChain(scan, s, e);
  if (!chain || chain.end !== e) return undefined;
  return chainType(chain, chain.ops.length);
}
