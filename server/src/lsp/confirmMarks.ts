/**
 * What the language server remembers about confirmation runs: per document,
 * the lines whose race a run has shown, each with the document version it
 * was run on and the run's summary. A diagnostic on such a line gains
 * "confirmed by a run" in its related information, and keeps it only until
 * the document changes: server.ts clears the document's marks on didChange
 * and didClose, and a mark whose version is no longer the document's is
 * ignored, since the run saw other code than the user now has.
 *
 * The marks hang off the Session in a WeakMap, so they live and die with it
 * without the Session knowing about confirmation; diagnostics.ts asks
 * `confirmedRelated` for each diagnostic it builds.
 */
import type { DiagnosticRelatedInformation } from 'vscode-languageserver/node';
import type { Finding } from '../analysis/types';
import { toRange } from './positions';
import type { Session } from './session';

export interface ConfirmMark {
  /** 0-based line of the confirmed statement. */
  line: number;
  /** The document version the run started on. */
  version: number;
  /** The run's one-sentence summary ("Confirmed: lost update seen 812 times."). */
  summary: string;
}

const marksBySession = new WeakMap<Session, Map<string, ConfirmMark[]>>();

function marksOf(session: Session): Map<string, ConfirmMark[]> {
  let marks = marksBySession.get(session);
  if (!marks) {
    marks = new Map();
    marksBySession.set(session, marks);
  }
  return marks;
}

/** Records a confirmed race on a line; a later run on the same line replaces the earlier one. */
export function markConfirmed(session: Session, uri: string, mark: ConfirmMark): void {
  const marks = marksOf(session);
  const kept = (marks.get(uri) ?? []).filter((m) => m.line !== mark.line);
  marks.set(uri, [...kept, mark]);
}

/** Forgets a document's marks: it changed or closed, so no run speaks for its text any more. */
export function clearConfirmed(session: Session, uri: string): boolean {
  return marksOf(session).delete(uri);
}

/** The marks of a document that still hold for its current version. */
export function confirmedMarks(session: Session, uri: string): ConfirmMark[] {
  const version = session.docs.get(uri)?.doc.version;
  return (marksOf(session).get(uri) ?? []).filter((m) => m.version === version);
}

/** "Confirmed by a run" for a shared-mutation finding whose lines hold a confirmed statement, else undefined. */
export function confirmedRelated(
  session: Session,
  uri: string,
  finding: Finding,
): DiagnosticRelatedInformation[] | undefined {
  if (finding.rule !== 'shared-mutation') return undefined;
  const mark = confirmedMarks(session, uri).find((m) => finding.span.line <= m.line && m.line <= finding.span.endLine);
  if (!mark) return undefined;
  return [{ location: { uri, range: toRange(finding.span) }, message: `confirmed by a run: ${mark.summary}` }];
}
