/**
 * The `--format json` report, version 1, exactly as /work/shared/corpus
 * FORMAT.md defines it: 1-based lines and columns in UTF-16 code units, fixes
 * with edits in the same convention, and thread targets with their spawn line
 * and reasons as plain strings. Skipped files keep their entry with empty
 * lists and an extra `error` key, so a consumer sees every file it asked for.
 */
import type { Finding, ThreadTarget } from '../../analysis/types';
import { type Range1, toOneBased } from '../positions';
import { type CheckedFile, sortedFindings, sortedTargets } from '../results';

export interface JsonEdit extends Range1 {
  newText: string;
}

export interface JsonFinding extends Range1 {
  rule: string;
  severity: string;
  message: string;
  fixes: { title: string; edits: JsonEdit[] }[];
}

export interface JsonThreadTarget {
  name: string;
  line: number;
  column: number;
  spawnLine: number;
  classification: string;
  reasons: string[];
}

export interface JsonFile {
  path: string;
  findings: JsonFinding[];
  threadTargets: JsonThreadTarget[];
  error?: string;
}

export interface JsonReport {
  version: 1;
  files: JsonFile[];
}

export function toJsonReport(files: CheckedFile[]): JsonReport {
  return {
    version: 1,
    files: files.map((file) => {
      const entry: JsonFile = {
        path: file.path,
        findings: sortedFindings(file.report).map(jsonFinding),
        threadTargets: sortedTargets(file.report).map(jsonTarget),
      };
      if (file.error) entry.error = file.error;
      return entry;
    }),
  };
}

export function formatJson(files: CheckedFile[]): string {
  return `${JSON.stringify(toJsonReport(files), null, 2)}\n`;
}

function jsonFinding(finding: Finding): JsonFinding {
  // Key order follows FORMAT.md, so the report reads like the specification.
  const { line, column, endLine, endColumn } = toOneBased(finding.span);
  return {
    rule: finding.rule,
    severity: finding.severity,
    line,
    column,
    endLine,
    endColumn,
    message: finding.message,
    fixes: finding.fixes.map((fix) => ({
      title: fix.title,
      edits: fix.edits.map((edit) => ({ ...toOneBased(edit.span), newText: edit.newText })),
    })),
  };
}

function jsonTarget(target: ThreadTarget): JsonThreadTarget {
  const { line, column } = toOneBased(target.span);
  // A target always has a spawn site; the def line is a safe stand-in if the analysis ever omits it.
  const spawn = target.spawns[0];
  return {
    name: target.name,
    line,
    column,
    spawnLine: spawn ? toOneBased(spawn.span).line : line,
    classification: target.classification,
    reasons: target.reasons.map((reason) => reason.text),
  };
}
