/**
 * The human-readable report, modelled on Ruff's concise output so it reads
 * well in a terminal and editors can jump to `path:line:col`:
 *
 *     examples/racy_counter.py:9:9: shared-mutation `counter` is written ...
 *
 *     Thread targets:
 *     examples/racy_counter.py:6: target work → cpu (pure-Python loop)
 *
 *     Found 2 findings in 1 file (5 files checked).
 *
 * Colour is the caller's decision (a TTY without NO_COLOR); this module only
 * applies it.
 */
import type { Finding, Severity, ThreadTarget } from '../../analysis/types';
import { toOneBased } from '../positions';
import { type CheckedFile, sortedFindings, sortedTargets } from '../results';

export interface TextOptions {
  color: boolean;
}

type Paint = (code: string, text: string) => string;

const SEVERITY_COLOUR: Record<Severity, string> = { error: '31;1', warning: '33;1', info: '34;1', hint: '2' };
/** Reasons shown per target; the JSON and the editor hover carry the full list. */
const MAX_REASONS = 2;

export function formatText(files: CheckedFile[], options: TextOptions): string {
  const paint: Paint = options.color ? (code, text) => `\u001b[${code}m${text}\u001b[0m` : (_code, text) => text;
  const lines: string[] = [];
  for (const file of files) {
    for (const finding of sortedFindings(file.report)) lines.push(findingLine(file.path, finding, paint));
  }
  const targets = files.flatMap((file) => sortedTargets(file.report).map((t) => targetLine(file.path, t, paint)));
  if (targets.length > 0) {
    if (lines.length > 0) lines.push('');
    lines.push(paint('1', 'Thread targets:'), ...targets);
  }
  if (lines.length > 0) lines.push('');
  lines.push(summary(files, paint));
  return `${lines.join('\n')}\n`;
}

function findingLine(path: string, finding: Finding, paint: Paint): string {
  const { line, column } = toOneBased(finding.span);
  // Continuation lines are indented so every output line still starts with a location or a space.
  const message = finding.message.replace(/\n/g, '\n    ');
  return `${paint('1', path)}:${line}:${column}: ${paint(SEVERITY_COLOUR[finding.severity], finding.rule)} ${message}`;
}

function targetLine(path: string, target: ThreadTarget, paint: Paint): string {
  const { line } = toOneBased(target.span);
  const shown = target.reasons.slice(0, MAX_REASONS).map((r) => r.text);
  if (target.reasons.length > MAX_REASONS) shown.push(`+${target.reasons.length - MAX_REASONS} more`);
  const why = shown.length > 0 ? ` (${shown.join('; ')})` : '';
  return `${paint('1', path)}:${line}: target ${target.name} → ${paint('1', target.classification)}${why}`;
}

function summary(files: CheckedFile[], paint: Paint): string {
  const checked = files.filter((f) => f.report).length;
  const skipped = files.length - checked;
  const findings = files.reduce((n, f) => n + (f.report?.findings.length ?? 0), 0);
  const withFindings = files.filter((f) => (f.report?.findings.length ?? 0) > 0).length;
  const extra = [`${plural(checked, 'file')} checked`];
  if (skipped > 0) extra.push(`${plural(skipped, 'file')} skipped`);
  if (findings === 0) return `${paint('32;1', 'All checks passed')} (${extra.join(', ')}).`;
  return `Found ${plural(findings, 'finding')} in ${plural(withFindings, 'file')} (${extra.join(', ')}).`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
