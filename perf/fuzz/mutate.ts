/**
 * How the fuzzer makes hostile Python out of ordinary Python: byte, line and
 * token mutations, truncation, odd line endings (CRLF, lone CR, mixed),
 * invalid UTF-8 and deep nesting, stacked one to three at a time on a file of
 * the fixtures or the corpus. Everything is a function of the Random it is
 * given, so a run seed and an input index name one input for good.
 *
 * The mutations aim where a Python tool breaks rather than spread evenly:
 * brackets, quotes, f-strings, indentation and the words the analysis keys on
 * (def, class, with, Thread, global) are the tokens inserted, and the nesting
 * depths straddle the limits that matter (Python's 100, the grammar scanner's
 * 256 and 511).
 */
import type { Random } from './random';

/** Tokens worth inserting: syntax that opens or closes things, and the words the analysis reads. */
const PUNCTUATION = ['(', ')', '[', ']', '{', '}', ':', ',', '.', '=', '+=', '->', '@', '*', '**', '\\', '#', ';'];
const QUOTES = ['"', "'", '"""', "'''", 'f"', "f'", 'f"{', '}"', 'rb"', 'f"""{', '{x!r:>{w}}'];
const KEYWORDS = ['def', 'class', 'async', 'await', 'lambda', 'yield', 'with', 'for', 'while', 'if', 'else', 'elif'];
const MORE_KEYWORDS = ['try', 'except', 'finally', 'return', 'global', 'nonlocal', 'import', 'from', 'as', 'del'];
const SOFT_KEYWORDS = ['match', 'case', 'pass', 'type', '_'];
const THREADING = ['threading.Thread(target=', 'Thread', 'Lock()', 'ThreadPoolExecutor', 'ProcessPoolExecutor'];
const CALLS = ['.submit(', 'time.sleep(1)', 'self', 'self.x', 'counter += 1', '__main__', 'if __name__ == "__main__":'];
const ODD = ['x', '0', '1e9', '0x_', '…', 'é', '𝔘', '😀', '\t', ' ', '    ', '\u00a0', '\u2028', '\f', '\v', '\0'];
export const TOKENS = [
  ...PUNCTUATION,
  ...QUOTES,
  ...KEYWORDS,
  ...MORE_KEYWORDS,
  ...SOFT_KEYWORDS,
  ...THREADING,
  ...CALLS,
  ...ODD,
];

/** Whole lines worth inserting, each broken or odd in its own way. */
export const LINES = [
  'def f(:',
  'class C(threading.Thread:',
  '    global counter',
  'with lock:',
  '    with lock:',
  'async def g(): await asyncio.sleep(0)',
  'threading.Thread(target=lambda: None).start()',
  'x = f"{f"{f"{x}"}"}"',
  'if True:',
  '\tif True:',
  '  \t  y = 1',
  '"""',
  "'''",
  '#',
  '\\',
  'match x:',
  '    case [a, *b] if a: pass',
  '@decorator',
  'type X = list[int]',
  'lambda: (yield)',
];

/** Depths around the limits: Python's, the string guard's (256) and the scanner's (511). */
const DEPTHS = [20, 100, 101, 255, 256, 300, 511, 512, 600, 1000];

export type TextMutation = (r: Random, text: string, pool: readonly string[]) => string;
export type ByteMutation = (r: Random, bytes: Buffer) => Buffer;

function splitLines(text: string): string[] {
  return text.split('\n');
}

/** An offset into text that never splits a surrogate pair (splitting one is the byte mutations' job). */
function offset(r: Random, text: string): number {
  const at = r.int(text.length + 1);
  const code = text.charCodeAt(at);
  return code >= 0xdc00 && code <= 0xdfff ? at - 1 : at;
}

const deleteLines: TextMutation = (r, text) => {
  const lines = splitLines(text);
  const start = r.int(lines.length);
  lines.splice(start, 1 + r.int(Math.min(8, lines.length - start)));
  return lines.join('\n');
};

const duplicateLines: TextMutation = (r, text) => {
  const lines = splitLines(text);
  const start = r.int(lines.length);
  const chunk = lines.slice(start, start + 1 + r.int(6));
  lines.splice(r.int(lines.length + 1), 0, ...chunk);
  return lines.join('\n');
};

const swapLines: TextMutation = (r, text) => {
  const lines = splitLines(text);
  const a = r.int(lines.length);
  const b = r.int(lines.length);
  [lines[a], lines[b]] = [lines[b], lines[a]];
  return lines.join('\n');
};

const reindentLine: TextMutation = (r, text) => {
  const lines = splitLines(text);
  const at = r.int(lines.length);
  const body = lines[at].trimStart();
  lines[at] = r.pick(['', ' ', '\t', '    ', '        ', ' '.repeat(r.int(40)), '\t    ']) + body;
  return lines.join('\n');
};

/** A line from another file of the pool, or a hostile line of our own. */
const foreignLine: TextMutation = (r, text, pool) => {
  const lines = splitLines(text);
  const source = splitLines(r.pick(pool));
  const line = r.chance(0.5) ? source[r.int(source.length)] : r.pick(LINES);
  lines.splice(r.int(lines.length + 1), 0, line);
  return lines.join('\n');
};

/** The first part of this file and the last of another: statements cut mid-way meet. */
const spliceFiles: TextMutation = (r, text, pool) => {
  const other = r.pick(pool);
  return text.slice(0, offset(r, text)) + other.slice(offset(r, other));
};

const insertToken: TextMutation = (r, text) => {
  const at = offset(r, text);
  return text.slice(0, at) + r.pick(TOKENS) + text.slice(at);
};

/** Replace or delete one token of the text, found by a rough Python tokenizer. */
const replaceToken: TextMutation = (r, text) => {
  const tokens = [...text.matchAll(/[A-Za-z_]\w*|\d+|"""|'''|\S/g)];
  if (tokens.length === 0) return text;
  const token = r.pick(tokens);
  const start = token.index ?? 0;
  const replacement = r.chance(0.3) ? '' : r.pick(TOKENS);
  return text.slice(0, start) + replacement + text.slice(start + token[0].length);
};

const deleteRange: TextMutation = (r, text) => {
  const start = offset(r, text);
  const end = Math.min(text.length, start + 1 + r.int(r.chance(0.8) ? 20 : 2000));
  return text.slice(0, start) + text.slice(end);
};

const truncateText: TextMutation = (r, text) => text.slice(0, offset(r, text));

/** CRLF everywhere, lone CR everywhere, or a mixture line by line, with or without a final break. */
const lineEndings: TextMutation = (r, text) => {
  const lines = splitLines(text.replace(/\r\n?/g, '\n'));
  const style = r.int(4);
  const pickBreak = () =>
    style === 0 ? '\r\n' : style === 1 ? '\r' : style === 2 ? r.pick(['\n', '\r\n', '\r']) : '\n\r';
  let out = '';
  for (let i = 0; i < lines.length; i++) out += lines[i] + (i < lines.length - 1 ? pickBreak() : '');
  return r.chance(0.5) ? out : out.replace(/[\r\n]+$/, '');
};

/** A stray break or blank-ish character where a line break would confuse: lone CR, form feed, U+2028. */
const strayBreak: TextMutation = (r, text) => {
  const at = offset(r, text);
  return (
    text.slice(0, at) + r.pick(['\r', '\r\r\n', '\n\r', '\f', '\v', '\u2028', '\u2029', '\u0085']) + text.slice(at)
  );
};

/** Deep nesting at a random line: blocks, brackets, f-strings or strings inside blocks. */
const deepNest: TextMutation = (r, text) => {
  const depth = r.pick(DEPTHS);
  const lines = splitLines(text);
  const at = r.int(lines.length + 1);
  let nest: string;
  switch (r.int(6)) {
    case 0: {
      // Blocks, each one space deeper, around a statement.
      let s = '';
      for (let k = 0; k < depth; k++) s += `${' '.repeat(k)}if x:\n`;
      nest = `${s}${' '.repeat(depth)}counter += 1`;
      break;
    }
    case 1:
      nest = `y = ${'('.repeat(depth)}1${')'.repeat(r.chance(0.8) ? depth : r.int(depth))}`;
      break;
    case 2:
      nest = `y = ${'[{'.repeat(depth >> 1)}${'}]'.repeat(depth >> 1)}`;
      break;
    case 3:
      nest = `${'f"{'.repeat(Math.min(depth, 300))}x${'}"'.repeat(Math.min(depth, 300))}`;
      break;
    case 4: {
      // The shape of issue 13 defect 1: blocks inside an f-string's replacement field.
      let s = 'f"{';
      for (let k = 0; k < depth; k++) s += `${' '.repeat(k)}if x:\n`;
      nest = `${s}${' '.repeat(depth)}y\n}"`;
      break;
    }
    default: {
      // Nested defs: a thread target far down.
      let s = '';
      for (let k = 0; k < depth; k++) s += `${'    '.repeat(k)}def f${k}():\n`;
      nest = `${s}${'    '.repeat(depth)}threading.Thread(target=f0).start()`;
    }
  }
  lines.splice(at, 0, nest);
  return lines.join('\n');
};

export const TEXT_MUTATIONS: readonly TextMutation[] = [
  deleteLines,
  duplicateLines,
  swapLines,
  reindentLine,
  foreignLine,
  foreignLine,
  spliceFiles,
  insertToken,
  insertToken,
  insertToken,
  replaceToken,
  replaceToken,
  replaceToken,
  deleteRange,
  truncateText,
  lineEndings,
  strayBreak,
  deepNest,
];

const flipBytes: ByteMutation = (r, bytes) => {
  const out = Buffer.from(bytes);
  for (let n = 1 + r.int(4); n > 0 && out.length > 0; n--) out[r.int(out.length)] ^= 1 << r.int(8);
  return out;
};

const insertBytes: ByteMutation = (r, bytes) => {
  const at = r.int(bytes.length + 1);
  const junk = Buffer.from(Array.from({ length: 1 + r.int(6) }, () => r.int(256)));
  return Buffer.concat([bytes.subarray(0, at), junk, bytes.subarray(at)]);
};

const deleteBytes: ByteMutation = (r, bytes) => {
  const at = r.int(bytes.length + 1);
  return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + r.int(8))]);
};

/** Byte sequences UTF-8 forbids: stray continuation and lead bytes, overlong forms, surrogates, a BOM mid-file. */
const INVALID_UTF8 = [
  [0xff],
  [0xfe],
  [0x80],
  [0xc3],
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf0, 0x9f, 0x98],
  [0xef, 0xbb, 0xbf],
];

const invalidUtf8: ByteMutation = (r, bytes) => {
  const at = r.int(bytes.length + 1);
  return Buffer.concat([bytes.subarray(0, at), Buffer.from(r.pick(INVALID_UTF8)), bytes.subarray(at)]);
};

/** Truncation at a byte, which can cut a multi-byte character in half. */
const truncateBytes: ByteMutation = (r, bytes) => bytes.subarray(0, r.int(bytes.length + 1));

export const BYTE_MUTATIONS: readonly ByteMutation[] = [
  flipBytes,
  insertBytes,
  deleteBytes,
  invalidUtf8,
  truncateBytes,
];

/**
 * One fuzz input: one to three text mutations of `base`, and with some
 * chance a byte mutation of the result. A file of the pool is sometimes
 * given with a BOM, as editors on Windows save it.
 */
export function mutateSource(r: Random, base: string, pool: readonly string[]): Buffer {
  let text = base;
  for (let n = 1 + r.int(3); n > 0; n--) text = r.pick(TEXT_MUTATIONS)(r, text, pool);
  let bytes: Buffer = Buffer.from(text, 'utf8');
  if (r.chance(0.03)) bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
  if (r.chance(0.2)) bytes = r.pick(BYTE_MUTATIONS)(r, bytes);
  return bytes;
}
