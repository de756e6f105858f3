/**
 * The one place where model positions become CLI positions. The model uses
 * 0-based lines and 0-based UTF-16 columns with an exclusive end (like LSP);
 * the JSON report, the text output and SARIF all use 1-based lines and columns,
 * still in UTF-16 code units, and SARIF's end column is also exclusive ("the
 * column after the last character"), so every format shares this conversion.
 */
import type { Span } from '../model/types';

export interface Range1 {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export function toOneBased(span: Span): Range1 {
  return { line: span.line + 1, column: span.col + 1, endLine: span.endLine + 1, endColumn: span.endCol + 1 };
}
