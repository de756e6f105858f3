/**
 * Quick fixes. The analysis already attaches structured fixes to each finding
 * (ProcessPoolExecutor rewrites, the `__main__` guard, `with lock:` wrapping,
 * `asyncio.sleep`, `asyncio.to_thread`); this module only adapts them into
 * WorkspaceEdits, keeps the analysis's `isPreferred` choice so VS Code's
 * auto-fix picks the right one, and adds the generic "Suppress on this line".
 *
 * Actions are offered for findings whose span touches the requested range,
 * not only for the diagnostics the client passes back, so editors that send
 * an empty diagnostics list still get fixes at the cursor. Lines a fix
 * inserts end with the document's own line break.
 */

import {
  type CodeAction,
  CodeActionKind,
  type CodeActionParams,
  type Diagnostic,
  type WorkspaceEdit,
} from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { FileReport, Finding, TextEdit } from '../analysis/types';
import { toDiagnostic } from './diagnostics';
import { spanTouches, toTextEdit } from './positions';
import { suppressionEdit } from './suppress';

/** The edits for `doc`, whose inserted lines end as the document's lines do (fixes write `\n`). */
function workspaceEdit(doc: TextDocument, edits: TextEdit[]): WorkspaceEdit {
  const eol = lineBreakOf(doc);
  const adapt = (edit: TextEdit) => (eol === '\n' ? edit : { ...edit, newText: edit.newText.replace(/\n/g, eol) });
  return { changes: { [doc.uri]: edits.map((edit) => toTextEdit(adapt(edit))) } };
}

/** The document's first line break (`\r\n`, `\n` or a lone `\r`); `\n` when it has none. */
function lineBreakOf(doc: TextDocument): string {
  return /\r\n|\r|\n/.exec(doc.getText())?.[0] ?? '\n';
}

function lineText(doc: TextDocument, line: number): string {
  const text = doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } });
  return text.replace(/(\r\n|\r|\n)$/, '');
}

function actionsFor(finding: Finding, diagnostic: Diagnostic, doc: TextDocument): CodeAction[] {
  const actions: CodeAction[] = finding.fixes.map((fix) => ({
    title: fix.title,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    isPreferred: fix.isPreferred === true,
    edit: workspaceEdit(doc, fix.edits),
  }));
  const line = finding.span.line;
  const suppress = suppressionEdit(lineText(doc, line), line, finding.rule);
  if (suppress) {
    actions.push({
      title: `Suppress ${finding.rule} on this line`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      isPreferred: false,
      edit: workspaceEdit(doc, [suppress]),
    });
  }
  return actions;
}

export function codeActionsFor(report: FileReport, doc: TextDocument, params: CodeActionParams): CodeAction[] {
  const only = params.context.only;
  if (only && !only.some((kind) => CodeActionKind.QuickFix.startsWith(kind))) return [];
  const actions: CodeAction[] = [];
  for (const finding of report.findings) {
    if (!spanTouches(finding.span, params.range)) continue;
    actions.push(...actionsFor(finding, toDiagnostic(finding), doc));
  }
  return actions;
}
