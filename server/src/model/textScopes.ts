/**
 * Text readers for function and class headers: name, `async`, parameters,
 * bases, where the body starts and its docstring. A function capture would
 * otherwise cost a dozen wasm calls (fields, parameter children and their
 * types, the docstring's first statements); here only the end offset comes
 * from the node, passed in by the caller.
 *
 * Like textFacts.ts, every reader returns undefined when the header holds
 * anything it does not plainly understand (type parameters, comments among
 * the bases, non-ASCII names), and the caller reads the nodes instead.
 */
import { segments, wordEnd } from './exprs';
import { compact } from './nodeFacts';
import { exact, isPrefixLetter, isWordChar, lineOf, type Scan, skipTrivia } from './scan';
import type { Param, Scope, Span } from './types';

function spanOfRange(scan: Scan, s: number, e: number): Span {
  const line = lineOf(scan, s);
  const endLine = lineOf(scan, e);
  return { line, col: s - scan.lineStarts[line], endLine, endCol: e - scan.lineStarts[endLine] };
}

/** Skip trivia between header tokens; -1 when a comment or continuation sits there (rare, read nodes). */
function next(scan: Scan, i: number, end: number): number {
  const j = skipTrivia(scan, i, end);
  if (j > i) {
    const gap = scan.text.slice(i, j);
    if (gap.includes('#') || gap.includes('\\')) return -1;
  }
  return j;
}

/** Offset of the first top-level `=` (not part of `==`, `<=`, ...) in `[s, e)`, or -1. */
function topLevelEquals(scan: Scan, s: number, e: number): number {
  const { text, jump } = scan;
  for (let i = s; i < e; ) {
    const c = text.charCodeAt(i);
    if (c === 61) {
      const prev = text.charCodeAt(i - 1);
      if (text.charCodeAt(i + 1) !== 61 && prev !== 61 && prev !== 60 && prev !== 62 && prev !== 33) return i;
      i += 2;
      continue;
    }
    const j = jump[i];
    i = j > i ? j : i + 1;
  }
  return -1;
}

/** One parameter `[s, e)`, as the node reader's paramsOf reads it; null for `*` and `/`; undefined when unsure. */
function paramAt(scan: Scan, s: number, e: number): Param | null | undefined {
  const { text } = scan;
  let i = s;
  let stars = 0;
  while (text.charCodeAt(i) === 42 && stars < 2) {
    i++;
    stars++;
  }
  if (stars > 0 || text.charCodeAt(s) === 47) {
    if (i === e || text.charCodeAt(s) === 47) return e === s + 1 || i === e ? null : undefined;
    i = next(scan, i, e);
    if (i < 0) return undefined;
  }
  const nameEnd = wordEnd(text, i);
  if (nameEnd <= i) return undefined;
  const name = text.slice(i, nameEnd);
  const k = next(scan, nameEnd, e);
  if (k < 0) return undefined;
  if (k === e) return stars > 0 ? { name, splat: true } : { name };
  const c = text.charCodeAt(k);
  if (stars > 0) {
    // `*args: T` is a typed parameter whose first child is the whole `*args` pattern.
    return c === 58 ? { name: text.slice(s, nameEnd), splat: true } : undefined;
  }
  let eq = -1;
  if (c === 61) eq = k;
  else if (c === 58) eq = topLevelEquals(scan, k + 1, e);
  else return undefined;
  // The declared type between the colon and the default (or the end); a comment in it is the node reader's.
  let annotation: string | undefined;
  if (c === 58) {
    const typeText = text.slice(k + 1, eq < 0 ? e : eq);
    if (typeText.includes('#')) return undefined;
    annotation = compact(typeText);
  }
  if (eq < 0) return annotation === undefined ? { name } : { name, annotation };
  const value = next(scan, eq + 1, e);
  if (value < 0 || value >= e) return undefined;
  return annotation === undefined
    ? { name, defaultText: text.slice(value, e) }
    : { name, defaultText: text.slice(value, e), annotation };
}

function paramsAt(scan: Scan, open: number, end: number): Param[] | undefined {
  const parts: number[] = [];
  segments(scan, open + 1, end - 1, parts);
  const params: Param[] = [];
  for (let k = 0; k < parts.length; k += 2) {
    const p = paramAt(scan, parts[k], parts[k + 1]);
    if (p === undefined) return undefined;
    if (p) params.push(p);
  }
  return exact(params);
}

/** Class bases as written, keyword arguments left out; undefined when a comment or continuation would be a base. */
function basesAt(scan: Scan, open: number, end: number): string[] | undefined {
  const parts: number[] = [];
  const split = segments(scan, open + 1, end - 1, parts);
  if (split.comments || split.continuations) return undefined;
  const { text } = scan;
  const bases: string[] = [];
  for (let k = 0; k < parts.length; k += 2) {
    const s = parts[k];
    const j = wordEnd(text, s);
    // A keyword argument (`metaclass = Meta`, spaces allowed) is no base; `==` would be a comparison.
    const eq = j > s ? skipTrivia(scan, j, parts[k + 1]) : -1;
    if (eq >= 0 && text.charCodeAt(eq) === 61 && text.charCodeAt(eq + 1) !== 61) continue;
    bases.push(compact(text.slice(s, parts[k + 1])));
  }
  return bases;
}

/** The docstring at `body`: a lone string literal statement; '' otherwise. */
function docstringAt(scan: Scan, body: number, end: number): string | undefined {
  const { text, jump } = scan;
  // A string prefix is any run of f, t, r, b and u to the grammar's scanner, as long as it is a whole word.
  let q = body;
  while (isPrefixLetter(text.charCodeAt(q))) q++;
  const c = text.charCodeAt(q);
  if (c !== 34 && c !== 39) return '';
  const close = jump[q];
  if (close <= q) return undefined;
  let i = close;
  while (i < end && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  const after = text.charCodeAt(i);
  // The statement is the string alone, or a bare tuple whose first child is the string.
  if (i >= end || after === 10 || after === 13 || after === 59 || after === 35 || after === 44) {
    return text.slice(body, close);
  }
  // A backslash may continue the statement with anything: leave it to the node reader.
  return after === 92 ? undefined : '';
}

/**
 * The function or class whose capture starts at `s`, ending at `end`.
 * Decorators come from the caller (they need the parent node).
 */
export function scopeFromText(
  scan: Scan,
  s: number,
  line: number,
  col: number,
  end: number,
  kind: 'function' | 'class',
  id: number,
  parent: number,
  decorators: string[],
): Scope | undefined {
  const { text, jump } = scan;
  let i = s;
  let isAsync = false;
  if (text.startsWith('async', i) && !isWordChar(text.charCodeAt(i + 5))) {
    isAsync = true;
    i = next(scan, i + 5, end);
    if (i < 0) return undefined;
  }
  const keyword = kind === 'function' ? 'def' : 'class';
  if (!text.startsWith(keyword, i)) return undefined;
  const nameStart = next(scan, i + keyword.length, end);
  if (nameStart < 0) return undefined;
  const nameEnd = wordEnd(text, nameStart);
  if (nameEnd <= nameStart) return undefined;
  i = next(scan, nameEnd, end);
  if (i < 0) return undefined;
  let params: Param[] | undefined = [];
  let bases: string[] | undefined = [];
  if (text.charCodeAt(i) === 40) {
    if (kind === 'function') params = paramsAt(scan, i, jump[i]);
    else bases = basesAt(scan, i, jump[i]);
    if (!params || !bases) return undefined;
    i = jump[i];
  } else if (kind === 'function') {
    return undefined;
  }
  // The body follows the first top-level colon (after any return annotation).
  while (i < end && !(text.charCodeAt(i) === 58 && text.charCodeAt(i + 1) !== 61)) {
    const j = jump[i];
    i = j > i ? j : i + 1;
  }
  if (i >= end) return undefined;
  const bodyStart = skipTrivia(scan, i + 1, end);
  const docstring = docstringAt(scan, bodyStart, end);
  if (docstring === undefined) return undefined;
  return {
    id,
    kind,
    name: text.slice(nameStart, nameEnd),
    parent,
    span: { line, col, endLine: lineOf(scan, end), endCol: end - scan.lineStarts[lineOf(scan, end)] },
    nameSpan: spanOfRange(scan, nameStart, nameEnd),
    start: s,
    end,
    isAsync,
    params,
    decorators,
    bases,
    docstring,
    bodyStart,
  };
}
