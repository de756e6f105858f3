/**
 * The one place where positions cross between gil-lens and LSP.
 *
 * The model's Span and LSP's Range both count lines from 0 and columns in
 * UTF-16 code units (web-tree-sitter measures JavaScript strings in UTF-16),
 * so the mapping is field for field; it still lives here alone so that a
 * change of convention has one place to go. Tree-sitter edits are built here
 * too, from the document as it was before each change, and so are the 1-based
 * line numbers people read in hovers.
 */

import type { Position, Range, TextEdit } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextEdit as FixEdit, Span } from '../analysis/types';
import type { Edit } from '../syntax/documents';
import { lspLineBreaks } from '../syntax/lineBreaks';

export function toRange(span: Span): Range {
  return { start: { line: span.line, character: span.col }, end: { line: span.endLine, character: span.endCol } };
}

export function toTextEdit(edit: FixEdit): TextEdit {
  return { range: toRange(edit.span), newText: edit.newText };
}

function before(a: Position, line: number, col: number): boolean {
  return a.line < line || (a.line === line && a.character < col);
}

/** The position lies within the span, both ends included (a cursor just after a name still hovers it). */
export function spanContains(span: Span, pos: Position): boolean {
  return (
    !before(pos, span.line, span.col) &&
    !before({ line: span.endLine, character: span.endCol }, pos.line, pos.character)
  );
}

/** The span and the range share at least one position. */
export function spanTouches(span: Span, range: Range): boolean {
  return (
    !before(range.end, span.line, span.col) &&
    !before({ line: span.endLine, character: span.endCol }, range.start.line, range.start.character)
  );
}

/** 1-based line number for people, from a 0-based model line. */
export function displayLine(line: number): number {
  return line + 1;
}

/** A markdown-able link to a line of a document; VS Code opens `#L<n>` at that line. */
export function lineLink(uri: string, line: number): string {
  return `${uri}#L${displayLine(line)}`;
}

/**
 * The tree-sitter edit for one incremental change, computed against the
 * document before the change is applied. Row and column of the new end are
 * derived from the inserted text, since the new document does not exist yet.
 *
 * Tree-sitter reads the text with every lone `\r` made a `\n` (syntax/lineBreaks.ts),
 * so rows are LSP's lines and a column is the offset from its line's start,
 * even between a `\r` and its `\n`, where LSP would clamp. Whether a `\r` is
 * lone depends on the character after it, so a change just after one starts
 * at it instead: the reparse then rereads it.
 */
export function syntaxEdit(doc: TextDocument, range: Range, text: string): Edit {
  const source = doc.getText();
  let startIndex = doc.offsetAt(range.start);
  const oldEndIndex = doc.offsetAt(range.end);
  if (source.charCodeAt(startIndex - 1) === CR) {
    startIndex--;
    text = `\r${text}`;
  }
  const start = treePoint(doc, startIndex);
  // A `\r` ending the inserted text is lone unless the text after the change starts with `\n`.
  const inserted = lspLineBreaks(text + source.charAt(oldEndIndex)).slice(0, text.length);
  const lastBreak = inserted.lastIndexOf('\n');
  let newlines = 0;
  for (let i = inserted.indexOf('\n'); i >= 0; i = inserted.indexOf('\n', i + 1)) newlines++;
  const newEndPosition =
    lastBreak < 0
      ? { row: start.row, column: start.column + text.length }
      : { row: start.row + newlines, column: text.length - lastBreak - 1 };
  return {
    startIndex,
    oldEndIndex,
    newEndIndex: startIndex + text.length,
    startPosition: start,
    oldEndPosition: treePoint(doc, oldEndIndex),
    newEndPosition,
  };
}

const CR = 13;

/** Row and column of an offset as tree-sitter counts them (offsetAt has already clamped it into the text). */
function treePoint(doc: TextDocument, offset: number): { row: number; column: number } {
  const row = doc.positionAt(offset).line;
  return { row, column: offset - doc.offsetAt({ line: row, character: 0 }) };
}

/**
 * Does the change put a `\r` next to a `\n` at one of its edges, or part
 * them? Then the two make one line break where they made two, or the other
 * way round, and TextDocument.update, which counts the breaks of the inserted
 * text alone, leaves its line table a line out.
 */
export function movesLineBreaks(doc: TextDocument, range: Range, text: string): boolean {
  const source = doc.getText();
  const start = doc.offsetAt(range.start);
  const end = doc.offsetAt(range.end);
  return (
    source.charCodeAt(start - 1) === CR || text.endsWith('\r') || (end > start && source.charCodeAt(end - 1) === CR)
  );
}
