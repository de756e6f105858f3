/**
 * A one-pass lexical map of a Python source text, so the model can read
 * calls and assignments from the text instead of asking wasm about each node.
 *
 * `buildScan` walks the text once and records, for every opening bracket,
 * string and comment, the offset just past its end (`jump`). Later readers
 * scan only the top level of a region and hop over anything nested, so each
 * read costs the length of its top level, not of its whole text. It also keeps
 * the line starts, so an offset becomes a 0-based line and UTF-16 column with
 * a binary search, exactly as web-tree-sitter reports positions.
 *
 * The scan is only trusted for trees without syntax errors; `ok` is false when
 * brackets or strings do not balance, or a backtick (a string to the grammar)
 * sits in code, and the caller then reads nodes instead.
 */

export interface Scan {
  text: string;
  /** `jump[i]` is the offset just past the bracket group, string or comment starting at `i`; 0 elsewhere. */
  jump: Int32Array;
  /** Offsets where each line starts. */
  lineStarts: Int32Array;
  lineCount: number;
  ok: boolean;
}

const HASH = 35;
const QUOTE = 34;
const APOS = 39;
const BACKSLASH = 92;
const NEWLINE = 10;
const LBRACE = 123;
const RBRACE = 125;
const BACKTICK = 96;

let jumpBuffer = new Int32Array(0);
let lineBuffer: Int32Array = new Int32Array(0);

/** Is `c` an ASCII letter, digit or underscore? */
export function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/** Is `c` a letter tree-sitter-python's scanner takes into a string prefix (f, t, r, b, u, any case)? */
export function isPrefixLetter(c: number): boolean {
  const l = c | 32;
  return l === 102 || l === 116 || l === 114 || l === 98 || l === 117;
}

/**
 * Does the string starting at the quote `q` carry an `f` or `t` prefix? The
 * grammar's scanner takes a run of prefix letters of any length (`fRb"{x}"`
 * is an f-string to it) but only as a whole word: `if"x"` has no prefix.
 */
function isFormatString(text: string, q: number): boolean {
  let i = q - 1;
  let format = false;
  for (; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (!isPrefixLetter(c)) break;
    const l = c | 32;
    if (l === 102 || l === 116) format = true;
  }
  return format && (i < 0 || !isWordChar(text.charCodeAt(i)));
}

/**
 * Build the map of `text`. The buffers are reused between files: extraction is
 * synchronous and one scan is live at a time. With `from` and `to` (which must
 * lie between statements, outside any string or bracket) only that stretch is
 * mapped, for readers that read nothing else; the line table is always whole.
 */
export function buildScan(text: string, from = 0, to = text.length): Scan {
  const n = text.length;
  if (jumpBuffer.length < n + 1) jumpBuffer = new Int32Array(Math.max(n + 1, jumpBuffer.length * 2));
  const jump = jumpBuffer;
  jump.fill(0, from, to + 1);
  const { lineStarts, lineCount } = lineTable(text, lineBuffer);
  lineBuffer = lineStarts;
  const scan: Scan = { text, jump, lineStarts, lineCount, ok: true };
  scan.ok = scanCode(scan, from, to, -1) === to;
  return scan;
}

/**
 * Scan code from `i` to `end`, filling `jump`. Inside an f-string replacement
 * field (`close` is `}`), stop at the unmatched closing brace and return its
 * offset; at the top level return `end`. Returns -1 when brackets do not balance.
 */
function scanCode(scan: Scan, i: number, end: number, close: number): number {
  const { text, jump } = scan;
  const stack: number[] = [];
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === HASH) {
      if (close >= 0) return -1;
      let j = text.indexOf('\n', i);
      if (j < 0 || j > end) j = end;
      jump[i] = j;
      i = j;
    } else if (c === QUOTE || c === APOS) {
      const j = scanString(scan, i, end);
      if (j < 0) return -1;
      jump[i] = j;
      i = j;
    } else if (c === 40 || c === 91 || c === LBRACE) {
      stack.push(i);
      i++;
    } else if (c === 41 || c === 93 || c === RBRACE) {
      if (stack.length === 0) return c === close ? i : -1;
      const open = stack.pop() as number;
      const want = c === 41 ? 40 : c - 2;
      if (text.charCodeAt(open) !== want) return -1;
      jump[open] = i + 1;
      i++;
    } else if (close >= 0 && c === 58 && stack.length === 0 && text.charCodeAt(i + 1) !== 61) {
      // A format spec: literal text up to the closing brace, with nested fields.
      return scanFormatSpec(scan, i + 1, end);
    } else if (c === BACKTICK) {
      // The grammar's scanner reads a backtick as a string delimiter (Python 2's repr); this map does not.
      return -1;
    } else {
      i++;
    }
  }
  return stack.length === 0 && close < 0 ? end : -1;
}

/** Skip a format spec after `:` in a replacement field; returns the offset of its closing brace. */
function scanFormatSpec(scan: Scan, i: number, end: number): number {
  const { text } = scan;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === RBRACE) return i;
    if (c === LBRACE) {
      const j = scanCode(scan, i + 1, end, RBRACE);
      if (j < 0) return -1;
      i = j + 1;
    } else {
      i++;
    }
  }
  return -1;
}

/** Offset just past the string whose opening quote is at `q`, or -1 when it does not end. */
function scanString(scan: Scan, q: number, end: number): number {
  const { text } = scan;
  const quote = text.charCodeAt(q);
  const triple = text.charCodeAt(q + 1) === quote && text.charCodeAt(q + 2) === quote;
  const format = isFormatString(text, q);
  let i = q + (triple ? 3 : 1);
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) {
      i += 2;
    } else if (c === quote) {
      if (!triple) return i + 1;
      if (text.charCodeAt(i + 1) === quote && text.charCodeAt(i + 2) === quote) return i + 3;
      i++;
    } else if (c === NEWLINE && !triple) {
      return -1;
    } else if (format && c === LBRACE) {
      if (text.charCodeAt(i + 1) === LBRACE) {
        i += 2;
        continue;
      }
      const j = scanCode(scan, i + 1, end, RBRACE);
      if (j < 0) return -1;
      i = j + 1;
    } else {
      i++;
    }
  }
  return -1;
}

/**
 * Where each line starts, without the rest of the scan (for texts the readers will not read), in
 * `buffer` when it is large enough.
 */
export function lineTable(text: string, buffer?: Int32Array): Lines {
  let count = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  const lineStarts = buffer && buffer.length >= count ? buffer : new Int32Array(count);
  lineStarts[0] = 0;
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts[line++] = i + 1;
  return { lineStarts, lineCount: count };
}

/** The line part of a scan. */
export type Lines = Pick<Scan, 'lineStarts' | 'lineCount'>;

/** 0-based line of `offset`: the last line starting at or before it. */
export function lineOf(scan: Lines, offset: number): number {
  const starts = scan.lineStarts;
  let lo = 0;
  let hi = scan.lineCount - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Skip spaces, tabs, newlines, line continuations and comments from `i` up to `end`. */
export function skipTrivia(scan: Scan, i: number, end: number): number {
  const { text, jump } = scan;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === NEWLINE || c === 13 || c === 12) i++;
    else if (c === HASH) i = jump[i];
    else if (c === BACKSLASH && (text.charCodeAt(i + 1) === NEWLINE || text.charCodeAt(i + 1) === 13)) i += 2;
    else break;
  }
  return i;
}

/**
 * `items` in an array of exactly its length. An array grown by push keeps
 * spare room for more (17 slots after the first push); over a large project
 * the short argument, target and parameter lists of a model held that way
 * were about a sixth of all its bytes.
 */
export function exact<T>(items: T[]): T[] {
  return items.length === 0 ? [] : items.slice();
}
