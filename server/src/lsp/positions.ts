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
 */
export function syntaxEdit(doc: TextDocument, range: Range, text: string): Edit {
  const startIndex = doc.offsetAt(range.start);
  const oldEndIndex = doc.offsetAt(range.end);
  // offsetAt clamps out-of-range positions; positionAt gives the clamped rows and columns back.
  const start = doc.positionAt(startIndex);
  const oldEnd = doc.positionAt(oldEndIndex);
  const lastBreak = text.lastIndexOf('\n');
  let newlines = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) newlines++;
  const newEndPosition =
    lastBreak < 0
      ? { row: start.line, column: start.character + text.length }
      : { row: start.line + newlines, column: text.length - lastBreak - 1 };
  return {
    startIndex,
    oldEndIndex,
    newEndIndex: startIndex + text.length,
    startPosition: { row: start.line, column: start.character },
    oldEndPosition: { row: oldEnd.line, column: oldEnd.character },
    newEndPosition,
  };
}
