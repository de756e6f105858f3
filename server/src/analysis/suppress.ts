/**
 * Suppression comments: `# gil-lens: ignore[rule, ...]` (or bare
 * `# gil-lens: ignore`) on a finding's first line, and
 * `# gil-lens: ignore-file[rule, ...]` (or bare `ignore-file`) anywhere in
 * the file. Pure text matching over the model's lines.
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
  const fileRules: (Set<string> | 'all')[] = [];
  for (const line of model.lines) {
    if (!line.includes('gil-lens')) continue;
    const m = FILE.exec(line);
    if (m) fileRules.push(rulesOf(m));
  }
  return findings.filter((f) => {
    if (fileRules.some((r) => covers(r, f.rule))) return false;
    const text = model.lines[f.span.line] ?? '';
    const m = text.includes('gil-lens') ? LINE.exec(text) : null;
    return !(m && covers(rulesOf(m), f.rule));
  });
}
