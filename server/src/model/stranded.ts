/**
 * Scopes for `def` and `class` headers that error recovery left loose.
 *
 * When tree-sitter cannot close a block it sometimes gives up on the
 * enclosing definition: the `def` keyword, name, parameters and colon become
 * loose children of an ERROR node, and the body's statements follow as
 * siblings. A body nested deeper than the 511 levels the Python scanner can
 * save always ends this way, and so do many half-typed edits. The model query
 * then finds no function, and every call and write of its body would count
 * as module code: a thread target vanishes with all its findings. The query
 * marks such keywords (`mark.def`, `mark.class`); this module reads the
 * header from the text and lets the body run as Python's indentation says:
 * over the nodes after the header until one starts a line no deeper than the
 * header, and never past the scope or region the header sits in. A header it
 * cannot read plainly opens no scope, as before.
 */
import type { Node } from '../syntax/parser';
import { compact } from './nodeFacts';
import type { Param, Scope, Span } from './types';

const NAME = '[\\p{L}_][\\p{L}\\p{N}_]*';
/** The rest of a header after its keyword: the name and what follows it. */
const HEADER = new RegExp(`[ \\t]+(${NAME})[ \\t]*`, 'uy');
/** Longest header read, so a bracket left open cannot make a scan run on through the file. */
const MAX_HEADER = 4000;

/**
 * The scope a loose `def` or `class` keyword opens, or undefined when its
 * header is not plainly `[async] def name(params) [-> type]:` or
 * `class Name[(bases)]:`. `limit` is where the enclosing scope or region ends.
 */
export function strandedScope(
  text: string,
  keyword: Node,
  kind: 'function' | 'class',
  id: number,
  parent: number,
  limit: number,
): Scope | undefined {
  const header = readHeader(text, keyword.startIndex, kind);
  if (!header) return undefined;
  const at = keyword.startPosition;
  const lineStart = keyword.startIndex - at.column;
  const asyncStart = kind === 'function' ? /async[ \t]+$/.exec(text.slice(lineStart, keyword.startIndex)) : null;
  const start = asyncStart ? lineStart + asyncStart.index : keyword.startIndex;
  const body = bodyOf(text, keyword, header.colon + 1, start - lineStart, limit);
  return {
    id,
    kind,
    name: header.name,
    parent,
    span: spanOfRange(text, at.row, start, body.end, lineStart),
    nameSpan: spanOfRange(text, at.row, header.nameStart, header.nameStart + header.name.length, lineStart),
    start,
    end: body.end,
    isAsync: asyncStart !== null,
    params: kind === 'function' ? header.parts.map(paramOf).filter((p) => p !== undefined) : [],
    decorators: [],
    bases:
      kind === 'class'
        ? header.parts.filter((b) => !/^[\p{L}_][\p{L}\p{N}_]*\s*=[^=]/u.test(b)).map((b) => compact(b))
        : [],
    docstring: body.docstring,
    bodyStart: body.start,
  };
}

interface Header {
  name: string;
  nameStart: number;
  /** The parameters or bases as written, split at top-level commas. */
  parts: string[];
  /** Offset of the colon ending the header. */
  colon: number;
}

function readHeader(text: string, keyword: number, kind: 'function' | 'class'): Header | undefined {
  HEADER.lastIndex = keyword + (kind === 'function' ? 3 : 5);
  const match = HEADER.exec(text);
  if (!match) return undefined;
  const nameStart = keyword + (kind === 'function' ? 3 : 5) + match[0].indexOf(match[1]);
  let i = HEADER.lastIndex;
  let parts: string[] = [];
  if (text[i] === '(') {
    const close = closingBracket(text, i);
    if (close < 0) return undefined;
    parts = splitTopLevel(text.slice(i + 1, close));
    i = close + 1;
  } else if (kind === 'function') {
    return undefined;
  }
  const colon = headerColon(text, i);
  return colon < 0 ? undefined : { name: match[1], nameStart, parts, colon };
}

/** Offset of the bracket closing the one at `open`, skipping strings; -1 when none closes it nearby. */
function closingBracket(text: string, open: number): number {
  let depth = 0;
  const end = Math.min(text.length, open + MAX_HEADER);
  for (let i = open; i < end; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      const close = text.indexOf(c, i + 1);
      if (close < 0) return -1;
      i = close;
    } else if (c === '(' || c === '[' || c === '{') {
      depth++;
    } else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** The colon ending a header whose name and parameters end at `from` (after any `-> type`); -1 when absent. */
function headerColon(text: string, from: number): number {
  let i = from;
  while (text[i] === ' ' || text[i] === '\t') i++;
  if (text.startsWith('->', i)) {
    for (i += 2; i < text.length && text[i] !== '\n'; i++) {
      if (text[i] === '(' || text[i] === '[' || text[i] === '{') {
        i = closingBracket(text, i);
        if (i < 0) return -1;
      } else if (text[i] === ':') {
        return i;
      }
    }
    return -1;
  }
  return text[i] === ':' ? i : -1;
}

/** `text` split at commas outside brackets, each part trimmed; empty parts dropped. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      const close = text.indexOf(c, i + 1);
      i = close < 0 ? text.length - 1 : close;
    } else if (c === '(' || c === '[' || c === '{') {
      depth++;
    } else if (c === ')' || c === ']' || c === '}') {
      depth--;
    } else if ((c === ',' && depth === 0) || i === text.length) {
      const part = text.slice(from, i).trim();
      if (part) parts.push(part);
      from = i + 1;
    }
  }
  return parts;
}

const PARAM = new RegExp(`^(\\*{0,2})\\s*(${NAME})\\s*(?::([^=]*))?(?:=\\s*([\\s\\S]*))?$`, 'u');

/** One parameter as paramsOf reads it; undefined for the `*` and `/` markers and anything unclear. */
function paramOf(part: string): Param | undefined {
  const match = PARAM.exec(part);
  if (!match) return undefined;
  if (match[1]) return { name: match[2], splat: true };
  const param: Param = match[4] === undefined ? { name: match[2] } : { name: match[2], defaultText: match[4].trim() };
  if (match[3]?.trim()) param.annotation = compact(match[3]);
  return param;
}

interface Body {
  start: number;
  end: number;
  docstring: string;
}

/**
 * The body after a header ending at `headerEnd`: the nodes that follow the
 * keyword, until a node other than a comment starts a line at `indent` or
 * less, or one starts at `limit`.
 */
function bodyOf(text: string, keyword: Node, headerEnd: number, indent: number, limit: number): Body {
  let end = headerEnd;
  let first: Node | undefined;
  // A cursor steps to the next sibling in constant time; Node.nextSibling searches the parent's children each time.
  const cursor = keyword.tree.walk();
  try {
    while (cursor.currentNode.id !== keyword.id && cursor.gotoFirstChildForIndex(keyword.startIndex)) {}
    while (nextInOrder(cursor)) {
      const node = cursor.currentNode;
      if (node.startIndex >= limit) break;
      if (node.startIndex >= headerEnd) {
        // The column test first: in deeply nested text most nodes sit right of the header, and startsLine
        // reads the whole indentation before them.
        if (node.startPosition.column <= indent && node.type !== 'comment' && startsLine(text, node)) break;
        first ??= node;
      }
      end = Math.max(end, node.endIndex);
    }
  } finally {
    cursor.delete();
  }
  return { start: first?.startIndex ?? headerEnd, end: Math.min(end, limit), docstring: docstringOf(text, first) };
}

/** Move to the node after the current one in document order, at its own level or an ancestor's. */
function nextInOrder(cursor: ReturnType<Node['walk']>): boolean {
  for (;;) {
    if (cursor.gotoNextSibling()) return true;
    if (!cursor.gotoParent()) return false;
  }
}

function startsLine(text: string, node: Node): boolean {
  const lineStart = node.startIndex - node.startPosition.column;
  return text.slice(lineStart, node.startIndex).trim() === '';
}

/** A lone string statement opening the body, as the node reader takes docstrings. */
function docstringOf(text: string, first: Node | undefined): string {
  const str = first?.type === 'expression_statement' ? first.firstNamedChild : null;
  return str?.type === 'string' && str.endIndex === first?.endIndex ? text.slice(str.startIndex, str.endIndex) : '';
}

/** The span `[from, to)`, where `from` lies on line `row`, which starts at `lineStart`. */
function spanOfRange(text: string, row: number, from: number, to: number, lineStart: number): Span {
  let endLine = row;
  let endStart = lineStart;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) {
    endLine++;
    endStart = i + 1;
  }
  return { line: row, col: from - lineStart, endLine, endCol: to - endStart };
}
