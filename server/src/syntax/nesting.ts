/**
 * The guard that keeps text the Python grammar cannot survive away from the
 * parser.
 *
 * tree-sitter-python's scanner saves its state after every token into a fixed
 * 1,024-byte buffer: two bytes, then one per open string, then two per level
 * of indentation. With an odd number of strings open and 384 to 511 levels
 * (fewer the more strings are open) the last level's second byte lands just
 * past the buffer, on the parser's own stack pointer. That parse, or a later
 * one, then traps ("memory access out of bounds"), loops forever or returns
 * wrong trees, whichever file it is given. Deeper than 511 levels with no
 * string open, the saved state only drops the extra levels and the parse has
 * an ordinary syntax error there, which the model reads around.
 *
 * So a text is refused when a string is open or starts on a line nested
 * NESTING_LIMIT or more levels deep; the caller reports the file as skipped.
 * Python itself refuses more than 100 levels ("too many levels of
 * indentation"), so no program that runs is lost. Levels are counted as the
 * scanner counts them, on every line with content, inside brackets and
 * strings too (error recovery reads indentation there): a space counts one, a
 * tab eight, a form feed or `\r` starts again from zero. The limit stays well
 * under 384 because the scanner can keep a level this count has already
 * closed (inside brackets, say); for the same reason, after reading any text
 * this deep or indented 384 columns or more, parser.ts checks that the parser
 * still works. Strings are followed as the scanner follows them: one left
 * unclosed at the end of its line stays open.
 */

/** Blocks nested this deep (or deeper) must not hold a string. */
export const NESTING_LIMIT = 256;

/**
 * The scanner's levels are widths that rise from 0, so it can stack the 384
 * levels that overflow its buffer only in a text with a line indented this
 * far. Texts with none cannot damage the parser, whatever their brackets do.
 */
const DAMAGE_WIDTH = 384;

export interface DeepText {
  /** The deepest nesting, in levels of indentation. */
  depth: number;
  /** 0-based line of the first string at NESTING_LIMIT or deeper, when there is one. */
  stringLine?: number;
  /** Its nesting there. */
  stringDepth?: number;
}

const LF = 10;
const CR = 13;
const TAB = 9;
const FORM_FEED = 12;
const SPACE = 32;
const HASH = 35;
const BACKSLASH = 92;
const QUOTES = new Set([34, 39, 96]);

/**
 * How deep `text` nests, when some line reaches NESTING_LIMIT or DAMAGE_WIDTH
 * (the parser must then be checked after reading it); undefined for every
 * other text, after one pass over the line starts.
 */
export function deepNesting(text: string): DeepText | undefined {
  // Levels are widths rising from 0: a text indented less than the limit everywhere cannot nest that deep.
  const widest = widestIndent(text);
  if (widest < NESTING_LIMIT) return undefined;
  const depths: number[] = [];
  const depth = lineDepths(text, depths);
  if (depth < NESTING_LIMIT) return widest < DAMAGE_WIDTH ? undefined : { depth };
  const open = linesInsideStrings(text, depths.length);
  for (let line = 0; line < depths.length; line++) {
    if (depths[line] >= NESTING_LIMIT && open[line] === 1) {
      return { depth, stringLine: line, stringDepth: depths[line] };
    }
  }
  return { depth };
}

/** The widest indentation of any line with content. */
function widestIndent(text: string): number {
  let widest = 0;
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const width = widthAt(text, start, end);
    if (width > widest) widest = width;
    start = end + 1;
  }
  return widest;
}

/**
 * The indentation width the scanner reads at the start of line `[start, end)`;
 * -1 for a blank or comment-only line, which opens and closes no block.
 */
function widthAt(text: string, start: number, end: number): number {
  let width = 0;
  let i = start;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === SPACE) width++;
    else if (c === TAB) width += 8;
    else if (c === FORM_FEED || c === CR) width = 0;
    else break;
  }
  if (i === end || text.charCodeAt(i) === HASH) return -1;
  // The scanner keeps widths in 16 bits.
  return width & 0xffff;
}

/**
 * The deepest nesting of any line; each line's nesting is pushed onto
 * `depths` (a blank line keeps the nesting of the line before).
 */
function lineDepths(text: string, depths: number[]): number {
  const widths = [0];
  let deepest = 0;
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const width = widthAt(text, start, end);
    if (width >= 0) {
      while (widths.length > 1 && widths[widths.length - 1] > width) widths.pop();
      if (width > widths[widths.length - 1]) widths.push(width);
    }
    const depth = widths.length - 1;
    if (depth > deepest) deepest = depth;
    depths.push(depth);
    start = end + 1;
  }
  return deepest;
}

/** One open string literal; `braces` counts the open braces of an f-string replacement field being read. */
interface Frame {
  quote: number;
  triple: boolean;
  format: boolean;
  braces: number;
}

/** The string prefix letters just before `q` (`f`, `rb`, ...), or '' when a longer word precedes the quote. */
function prefixOf(text: string, q: number): string {
  let i = q;
  while (i > 0 && i > q - 3 && /[A-Za-z]/.test(text[i - 1])) i--;
  const prefix = text.slice(i, q);
  return /^[rRbBuUfFtT]{0,2}$/.test(prefix) && !/\w/.test(text[i - 1] ?? '') ? prefix : '';
}

function openString(text: string, q: number): Frame {
  const quote = text.charCodeAt(q);
  const prefix = prefixOf(text, q).toLowerCase();
  const triple = quote !== 96 && text.charCodeAt(q + 1) === quote && text.charCodeAt(q + 2) === quote;
  return { quote, triple, format: /[ft]/.test(prefix), braces: 0 };
}

/**
 * For each line, 1 when it holds a quote character or starts inside a string
 * literal (an f-string's replacement field included), else 0.
 */
function linesInsideStrings(text: string, lineCount: number): Uint8Array {
  const marks = new Uint8Array(lineCount);
  const stack: Frame[] = [];
  let line = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) {
      line++;
      if (stack.length > 0 && line < lineCount) marks[line] = 1;
      continue;
    }
    if (QUOTES.has(c)) marks[line] = 1;
    const top = stack[stack.length - 1];
    i = top && top.braces === 0 ? inString(text, i, stack, top) : inCode(text, i, stack, top);
  }
  return marks;
}

/** Read the code character at `i` (top level, or an f-string replacement field); returns the last index consumed. */
function inCode(text: string, i: number, stack: Frame[], field: Frame | undefined): number {
  const c = text.charCodeAt(i);
  if (c === HASH) {
    const end = text.indexOf('\n', i);
    return (end < 0 ? text.length : end) - 1;
  }
  if (c === BACKSLASH) return text.charCodeAt(i + 1) === LF ? i : i + 1;
  if (QUOTES.has(c)) {
    const frame = openString(text, i);
    stack.push(frame);
    return frame.triple ? i + 2 : i;
  }
  if (field && c === 123) field.braces++;
  else if (field && c === 125) field.braces--;
  return i;
}

/** Read the string character at `i` inside `frame`; returns the last index consumed. */
function inString(text: string, i: number, stack: Frame[], frame: Frame): number {
  const c = text.charCodeAt(i);
  // An escaped line break is left for the caller to count.
  if (c === BACKSLASH) return text.charCodeAt(i + 1) === LF ? i : i + 1;
  if (c === frame.quote) {
    if (!frame.triple) {
      stack.pop();
      return i;
    }
    if (text.charCodeAt(i + 1) === c && text.charCodeAt(i + 2) === c) {
      stack.pop();
      return i + 2;
    }
    return i;
  }
  if (frame.format && (c === 123 || c === 125)) {
    if (text.charCodeAt(i + 1) === c) return i + 1;
    if (c === 123) frame.braces = 1;
  }
  return i;
}
