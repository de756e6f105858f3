/**
 * What a check run produced, in the shape every output format reads: one
 * entry per file in the order the files were found, holding either the
 * analysis report or the reason the file was skipped. The helpers here give
 * every format the same ordering and the same notion of "failing".
 */
import type { FileReport, Finding, Severity, ThreadTarget } from '../analysis/types';

export interface CheckedFile {
  /** The path as shown to the user: as given, or joined onto the folder given. */
  path: string;
  absPath: string;
  /** Absent when the file was skipped. */
  report?: FileReport;
  /** Why the file was skipped (binary, not UTF-8, too large, unreadable, refused by the parser). */
  error?: string;
}

/** Severities that make `check` exit 1. */
const FAILING: ReadonlySet<Severity> = new Set(['error', 'warning']);

export function isFailing(finding: Finding): boolean {
  return FAILING.has(finding.severity);
}

/** Findings in reading order, so output does not depend on the order rules ran in. */
export function sortedFindings(report: FileReport | undefined): Finding[] {
  return [...(report?.findings ?? [])].sort(
    (a, b) =>
      a.span.line - b.span.line ||
      a.span.col - b.span.col ||
      a.rule.localeCompare(b.rule) ||
      a.message.localeCompare(b.message),
  );
}

export function sortedTargets(report: FileReport | undefined): ThreadTarget[] {
  return [...(report?.threadTargets ?? [])].sort(
    (a, b) => a.span.line - b.span.line || a.span.col - b.span.col || a.name.localeCompare(b.name),
  );
}

/** The exit status for a finished run: 1 when any finding is at warning level or above. */
export function exitCodeFor(files: CheckedFile[]): 0 | 1 {
  return files.some((f) => f.report?.findings.some(isFailing)) ? 1 : 0;
}
