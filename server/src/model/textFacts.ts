/**
 * Text readers for the two most frequent captures, calls and assignments.
 *
 * A capture brings its node's start offset and position for free; anything
 * else read from the node (fields, children, end offsets, types) is a call
 * into wasm costing about 0.4 µs, and a module has tens of thousands of them.
 * These readers instead take the rest from the source text with the bracket
 * map of scan.ts and the expression readers of exprs.ts, and produce exactly
 * the objects the node readers of nodeFacts.ts produce (same fields, same
 * order). They return undefined whenever the text is not plainly understood,
 * and the caller falls back to the node readers.
 */
import { type Chain, chainType, exprType, isComprehension, isLambdaAt, parseChain, segments, wordEnd } from './exprs';
import { compact } from './nodeFacts';
import { exact, isWordChar, lineOf, type Scan, skipTrivia } from './scan';
import type { Arg, Call, Span, Write, WriteTarget } from './types';

/** Span from a known start position to the end offset `end`. */
function spanFrom(scan: Scan, line: number, col: number, end: number): Span {
  const endLine = lineOf(scan, end);
  return { line, col, endLine, endCol: end - scan.lineStarts[endLine] };
}

/** Span of `[s, e)`. */
function spanOfRange(scan: Scan, s: number, e: number): Span {
  const line = lineOf(scan, s);
  return spanFrom(scan, line, s - scan.lineStarts[line], e);
}

/** Whitespace-free text of `[s, e)`, as `compact` gives for a node with that range. */
function compactAt(scan: Scan, s: number, e: number): string {
  return compact(scan.text.slice(s, e));
}

/** The name of `.name` ending a chain at `op`. */
function attributeName(scan: Scan, at: number, end: number): string {
  return scan.text.slice(skipTrivia(scan, at + 1, end), end);
}

/** If `[s, e)` is `name = value` (a keyword argument), the offset of the `=`; otherwise -1. */
function keywordEquals(scan: Scan, s: number, e: number): number {
  const j = wordEnd(scan.text, s);
  if (j <= s) return -1;
  const k = skipTrivia(scan, j, e);
  return scan.text.charCodeAt(k) === 61 && scan.text.charCodeAt(k + 1) !== 61 ? k : -1;
}

/** Element texts of the list or tuple `[s, e)`; undefined when a continuation would be a child. */
function elementsOf(scan: Scan, s: number, e: number): string[] | undefined {
  const parts: number[] = [];
  if (segments(scan, s + 1, e - 1, parts).continuations) return undefined;
  const out: string[] = [];
  for (let k = 0; k < parts.length; k += 2) out.push(compactAt(scan, parts[k], parts[k + 1]));
  return out;
}

/** Callee text and first positional argument text of the call `[s, e)`; undefined when unsure. */
function callParts(scan: Scan, s: number, e: number): { callee: string; firstArg?: string } | undefined {
  const chain = parseChain(scan, s, e);
  const op = chain?.ops[chain.ops.length - 1];
  if (op?.kind !== 'call' || isComprehension(scan, op.at) !== false) return undefined;
  const parts: number[] = [];
  if (segments(scan, op.at + 1, op.end - 1, parts).continuations) return undefined;
  const out: { callee: string; firstArg?: string } = { callee: compactAt(scan, s, op.at) };
  if (parts.length > 0 && keywordEquals(scan, parts[0], parts[1]) < 0)
    out.firstArg = compactAt(scan, parts[0], parts[1]);
  return out;
}

function argAt(scan: Scan, s: number, e: number, keyword?: string, splat?: '*' | '**'): Arg | undefined {
  const kind = exprType(scan, s, e);
  if (!kind) return undefined;
  const arg: Arg = {
    text: compactAt(scan, s, e),
    kind,
    span: spanOfRange(scan, s, e),
    keyword: undefined,
    splat: undefined,
    callee: undefined,
    firstArg: undefined,
    elements: undefined,
  };
  if (keyword) arg.keyword = keyword;
  if (splat) arg.splat = splat;
  if (kind === 'call') {
    const parts = callParts(scan, s, e);
    if (!parts) return undefined;
    arg.callee = parts.callee;
    if (parts.firstArg !== undefined) arg.firstArg = parts.firstArg;
  } else if (kind === 'list' || kind === 'tuple') {
    const elements = elementsOf(scan, s, e);
    if (!elements) return undefined;
    arg.elements = elements;
  }
  return arg;
}

/**
 * Arguments of the group `(...)` at `[open, end)`. In a call of a bare
 * `print` the grammar weighs a Python 2 print statement too, and then reads
 * `print(x, *a.b())` as a call of `*a.b`, so there a star argument must be a
 * bare name.
 */
function argsAt(scan: Scan, open: number, end: number, print: boolean): Arg[] | undefined {
  const generator = isComprehension(scan, open);
  if (generator === undefined) return undefined;
  if (generator) {
    const arg = argAt(scan, open, end);
    return arg ? [arg] : undefined;
  }
  const { text } = scan;
  const parts: number[] = [];
  if (segments(scan, open + 1, end - 1, parts).continuations) return undefined;
  const args: Arg[] = [];
  for (let k = 0; k < parts.length; k += 2) {
    const s = parts[k];
    const e = parts[k + 1];
    let arg: Arg | undefined;
    if (text.charCodeAt(s) === 42) {
      const double = text.charCodeAt(s + 1) === 42;
      const inner = skipTrivia(scan, s + (double ? 2 : 1), e);
      if (text.slice(s, inner).includes('#')) return undefined;
      if (print && !double && wordEnd(text, inner) !== e) return undefined;
      arg = argAt(scan, inner, e, undefined, double ? '**' : '*');
    } else {
      const eq = keywordEquals(scan, s, e);
      if (eq >= 0) {
        const value = skipTrivia(scan, eq + 1, e);
        if (text.slice(eq, value).includes('#')) return undefined;
        arg = argAt(scan, value, e, text.slice(s, wordEnd(text, s)));
      } else {
        arg = argAt(scan, s, e);
      }
    }
    if (!arg) return undefined;
    args.push(arg);
  }
  return exact(args);
}

/**
 * The call starting at `s` whose argument list is the `nth` call group
 * (1-based) of the chain starting there: calls sharing a start (`f(a)(b)`)
 * arrive outermost first, and the outermost owns the last group.
 */
export function callFromText(
  scan: Scan,
  s: number,
  line: number,
  col: number,
  nth: number,
  id: number,
  scope: number,
  regions: number[],
): Call | undefined {
  const { text } = scan;
  const chain = parseChain(scan, s, text.length);
  if (!chain) return undefined;
  let index = -1;
  for (let k = 0, seen = 0; k < chain.ops.length; k++) {
    if (chain.ops[k].kind === 'call' && ++seen === nth) {
      index = k;
      break;
    }
  }
  if (index < 0) return undefined;
  const group = chain.ops[index];
  const print = index === 0 && chain.atom === 'identifier' && group.at - s >= 5 && text.startsWith('print', s);
  const args = argsAt(scan, group.at, group.end, print && wordEnd(text, s) === s + 5);
  if (!args) return undefined;
  const calleeKind = chainType(chain, index);
  const call: Call = {
    id,
    callee: compactAt(scan, s, group.at),
    calleeKind,
    args,
    scope,
    regions,
    span: spanFrom(scan, line, col, group.end),
    start: s,
    end: group.end,
    awaited: false,
    receiver: undefined,
    receiverKind: undefined,
    method: undefined,
    assignedTo: undefined,
  };
  if (calleeKind === 'attribute') {
    const dot = chain.ops[index - 1];
    call.receiver = compactAt(scan, s, dot.at);
    call.receiverKind = chainType(chain, index - 1);
    call.method = attributeName(scan, dot.at, dot.end);
  }
  return call;
}

/** The target `[s, e)`, flattened into `out` like the node reader's targetsOf; false when unsure. */
function targetsAt(scan: Scan, s: number, e: number, out: WriteTarget[]): boolean {
  const parts: number[] = [];
  const split = segments(scan, s, e, parts);
  if (split.comments || split.continuations) return false;
  if (split.commas > 0) {
    for (let k = 0; k < parts.length; k += 2) if (!targetsAt(scan, parts[k], parts[k + 1], out)) return false;
    return true;
  }
  const { text } = scan;
  const c = text.charCodeAt(s);
  // A bracketed target is a tuple or list pattern, even with one element: `(a) = 1`.
  if ((c === 40 || c === 91) && scan.jump[s] === e) return targetsAt(scan, s + 1, e - 1, out);
  const target: WriteTarget = {
    text: compactAt(scan, s, e),
    kind: 'other',
    span: spanOfRange(scan, s, e),
    object: undefined,
    key: undefined,
  };
  if (c === 42) {
    // Only `*name` is a plain starred target: the grammar reads `*x.b` as an attribute of `*x`.
    const name = skipTrivia(scan, s + 1, e);
    if (name >= e || text.charCodeAt(s + 1) === 42 || wordEnd(text, name) !== e || text.slice(s, name).includes('#'))
      return false;
    out.push(target);
    return true;
  }
  const chain = parseChain(scan, s, e);
  if (!chain || chain.end !== e) return false;
  const kind = chainType(chain, chain.ops.length);
  const last = chain.ops[chain.ops.length - 1];
  if (kind === 'identifier') {
    target.kind = 'identifier';
  } else if (kind === 'attribute') {
    target.kind = 'attribute';
    target.object = compactAt(scan, s, last.at);
    target.key = attributeName(scan, last.at, last.end);
  } else if (kind === 'subscript') {
    const keys: number[] = [];
    segments(scan, last.at + 1, last.end - 1, keys);
    if (keys.length === 0) return false;
    target.kind = 'subscript';
    target.object = compactAt(scan, s, last.at);
    target.key = compactAt(scan, keys[0], keys[1]);
  } else {
    return false;
  }
  out.push(target);
  return true;
}

/** Where the parts of an assignment statement lie, from one scan of its top level. */
interface AssignShape {
  leftEnd: number;
  /** Start of the right-hand side, or -1 for a bare annotation `x: int`. */
  right: number;
  /** A second `=` follows: the right-hand side is itself an assignment (`a = b = 1`). */
  chained: boolean;
  end: number;
  /** An annotation's colon and where the annotation ends (the `=`, or the statement's end), or -1. */
  colon: number;
  annotationEnd: number;
}

/** Scan the statement starting at `s` up to its end (newline, `;` or end of text at the top level). */
/** Characters that turn a following `=` into an augmented assignment operator (`+=`, `//=`, `>>=`...). */
const AUGMENTED_PREFIX = new Set([...'+-*/%&|^@'].map((c) => c.charCodeAt(0)));

function assignShape(scan: Scan, s: number): AssignShape | undefined {
  const { text, jump } = scan;
  const n = text.length;
  let i = s;
  let last = s;
  let leftEnd = -1;
  let equals = -1;
  let colon = -1;
  let chained = false;
  // Inside a lambda's parameters `=` gives a default and `:` ends them.
  let lambdas = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 59) break;
    if (c === 32 || c === 9 || c === 13 || c === 12) {
      i++;
      continue;
    }
    if (c === 35) {
      i = jump[i];
      continue;
    }
    if (c === 92) {
      // Only a line continuation may hold a backslash outside strings.
      i = text.charCodeAt(i + 1) === 13 ? i + 3 : i + 2;
      continue;
    }
    const d = text.charCodeAt(i + 1);
    if (c === 108 && isLambdaAt(text, i)) {
      lambdas++;
    } else if (lambdas > 0) {
      if (c === 58 && d !== 61) lambdas--;
    } else if (c === 61 && d !== 61) {
      const prev = text.charCodeAt(i - 1);
      // An augmented operator after the `=` (`a = b += 1`) only happens in broken code, where
      // tree-sitter's recovery decides the shape: let the node reader handle it.
      if (equals >= 0 && AUGMENTED_PREFIX.has(prev)) return undefined;
      // `==`, `<=`, `>=`, `!=`, `:=` and augmented operators are not the assignment's `=`.
      if (prev !== 61 && prev !== 60 && prev !== 62 && prev !== 33 && prev !== 58) {
        if (equals < 0) {
          if (leftEnd < 0) leftEnd = last;
          equals = i;
        } else {
          chained = true;
        }
      }
    } else if (c === 58 && d !== 61) {
      // Only an annotation's colon may sit at the top level; any other is error recovery's to read.
      if (leftEnd >= 0 || equals >= 0) return undefined;
      leftEnd = last;
      colon = i;
    } else if (c === 61 && d === 61) {
      i += 2;
      last = i;
      continue;
    }
    const j = jump[i];
    i = j > i ? j : i + 1;
    last = i;
  }
  if (leftEnd < 0 || endsOpen(text, last)) return undefined;
  if (text.charCodeAt(i) === 10 && bracketThenEquals(scan, i, last)) return undefined;
  // `x:` with nothing after the colon is no statement; tree-sitter's recovery may take the next line in.
  if (equals < 0 && skipTrivia(scan, text.indexOf(':', leftEnd) + 1, last) >= last) return undefined;
  const right = equals < 0 ? -1 : skipTrivia(scan, equals + 1, last);
  if (right >= 0 && text.slice(equals, right).includes('#')) return undefined;
  // A comment inside the annotation is the node reader's to read.
  const annotationEnd = colon < 0 ? -1 : equals < 0 ? last : equals;
  if (colon >= 0 && text.slice(colon, annotationEnd).includes('#')) return undefined;
  return { leftEnd, right, chained, end: last, colon, annotationEnd };
}

/** Operator characters that, ending a line, leave an expression waiting for its operand. */
const OPEN_ENDS = new Set([...'+-*/%@|&^~<>=!.:'].map((c) => c.charCodeAt(0)));

/** Keywords that leave an expression waiting for more. */
const OPEN_WORDS = ['in', 'is', 'or', 'and', 'not', 'if', 'else', 'for', 'async', 'await', 'lambda', 'from'];

/**
 * Does the statement ending at `last` end on an operator or keyword that
 * wants an operand? The grammar's scanner then emits no newline and the
 * statement goes on to the next line (`x = a ^` followed by `print(x)` is one
 * error-free statement), which a reader stopping at the line's end cannot know.
 */
function endsOpen(text: string, last: number): boolean {
  const c = text.charCodeAt(last - 1);
  if (OPEN_ENDS.has(c)) {
    // A float may end in a dot (`x = 1.`), and so does `...`; otherwise a dot wants an attribute.
    if (c !== 46) return true;
    if (text.startsWith('...', last - 3)) return false;
    let k = last - 2;
    while (isWordChar(text.charCodeAt(k))) k--;
    const first = text.charCodeAt(k + 1);
    return k === last - 2 || !(first >= 48 && first <= 57);
  }
  if (!isWordChar(c)) return false;
  let k = last - 1;
  while (k > 0 && isWordChar(text.charCodeAt(k - 1))) k--;
  const first = text.charCodeAt(k);
  // A word starting with a digit is a number the lexer may end early (`1or` is `1` and `or`).
  const number = first >= 48 && first <= 57;
  if (!number && last - k > 6) return false;
  for (const word of OPEN_WORDS) {
    if (last - k === word.length ? text.startsWith(word, k) : number && text.startsWith(word, last - word.length)) {
      return true;
    }
  }
  return false;
}

/** Operator characters an augmented assignment's `=` may follow (`+=`, `//=`, `>>=`...). */
const AUGMENTED_CHARS = new Set([...'+-*/%@&|^<>'].map((c) => c.charCodeAt(0)));

/**
 * Does a statement ending in a bracket at `last` (and a newline at `newline`)
 * meet an `=` or augmented operator first thing on a later line? The grammar
 * reads `[a, b]` there as a pattern and joins the lines into one error-free
 * chained assignment (`x = [a, b]` then `= [c]`), which no line-bound reader sees.
 */
function bracketThenEquals(scan: Scan, newline: number, last: number): boolean {
  const { text } = scan;
  const c = text.charCodeAt(last - 1);
  if (c !== 93 && c !== 41) return false;
  let k = skipTrivia(scan, newline, text.length);
  const start = k;
  while (k < start + 3 && AUGMENTED_CHARS.has(text.charCodeAt(k))) k++;
  return text.charCodeAt(k) === 61 && text.charCodeAt(k + 1) !== 61;
}

/** Node type of an assignment's right-hand side `[s, e)`. */
function valueType(scan: Scan, s: number, e: number, chained: boolean): string | undefined {
  if (chained) return 'assignment';
  // `yield 1, 2` is one yield of a tuple, not a tuple: leave yields to the node reader.
  if (scan.text.startsWith('yield', s) && !isWordChar(scan.text.charCodeAt(s + 5))) return undefined;
  const parts: number[] = [];
  const split = segments(scan, s, e, parts);
  if (split.commas > 0) return 'expression_list';
  return exprType(scan, s, e);
}

/** The plain assignment starting at `s` (`a = 1`, `a: int = 1`, `a = b = 1`, `a, b = t`). */
export function assignmentFromText(
  scan: Scan,
  s: number,
  line: number,
  col: number,
  id: number,
  scope: number,
  regions: number[],
): Write | undefined {
  const shape = assignShape(scan, s);
  if (!shape) return undefined;
  const targets: WriteTarget[] = [];
  if (!targetsAt(scan, s, shape.leftEnd, targets)) return undefined;
  const { right, end } = shape;
  const valueKind = right < 0 ? '' : valueType(scan, right, end, shape.chained);
  if (valueKind === undefined) return undefined;
  const write: Write = {
    id,
    scope,
    regions,
    span: spanFrom(scan, line, col, end),
    start: s,
    end,
    kind: 'assign',
    op: '=',
    targets: exact(targets),
    value: right < 0 ? '' : compactAt(scan, right, end),
    valueKind,
    valueCallee: undefined,
    valueStart: undefined,
    valueElements: undefined,
  };
  if (valueKind === 'call') {
    const chain = parseChain(scan, right, end) as Chain;
    write.valueCallee = compactAt(scan, right, chain.ops[chain.ops.length - 1].at);
    write.valueStart = right;
  }
  if (valueKind === 'list' || valueKind === 'tuple') {
    const elements = elementsOf(scan, right, end);
    if (!elements) return undefined;
    write.valueElements = elements;
  }
  if (shape.colon >= 0) write.annotation = compactAt(scan, shape.colon + 1, shape.annotationEnd);
  return write;
}
