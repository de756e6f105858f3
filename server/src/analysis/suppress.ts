/**
 * Suppression comments: `# gil-lens: ignore[rule, ...]` (or bare
 * `# gil-lens: ignore`) on a finding's first line, and
 * `# gil-lens: ignore-file[rule, ...]` (or bare `ignore-file`) anywhere in
 * the file. Pure text matching over the lines the model lists as mentioning
 * `gil-lens`: most files have none, and their lines are never read here.
 */
import type { ModuleModel } from '../model/types';
import type { Finding } from './types';

const LINE = /#\s*gil-lens:\s*ignore(?!-file)(?:\[([^\]]*)\])?/;
const FILE = /#\s*gil-lens:\s*ignore-file(?:\[([^\]]*)\])?/;

function rulesOf(match: RegExpExecArray): Set<string> | 'all' {
  if (match[1] === undefined) return 'all';
  return new Set(
    match[1]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

function covers(rules: Set<string> | 'all', rule: string): boolean {
  return rules === 'all' || rules.has(rule);
}

export function applySuppressions(model: ModuleModel, findings: Finding[]): Finding[] {
  const marked = model.directiveLines;
  if (marked.length === 0 || findings.length === 0) return findings;
  const fileRules: (Set<string> | 'all')[] = [];
  for (const line of marked) {
    const m = FILE.exec(model.lines[line] ?? '');
    if (m) fileRules.push(rulesOf(m));
  }
  return findings.filter((f) => {
    if (fileRules.some((r) => covers(r, f.rule))) return false;
    const m = marked.includes(f.span.line) ? LINE.exec(model.lines[f.span.line] ?? '') : null;
    return !(m && covers(rulesOf(m), f.rule));
  });
}
