/**
 * The fixture format (shared/corpus/FORMAT.md): what a file's trailing `# expect:` and
 * `# expect-target:` comments ask for, and what a report gives, as sorted `line rule` and
 * `line class` pairs that compare exactly.
 */
import type { FileReport } from '../server/src/analysis/types';

/** Expected pairs from trailing comments; `#` inside string literals is not used by fixtures. */
export function expectations(text: string): { findings: string[]; targets: string[] } {
  const findings: string[] = [];
  const targets: string[] = [];
  text.split('\n').forEach((line, i) => {
    const rules = /#\s*expect:\s*([a-z, -]+?)\s*(#|$)/.exec(line);
    if (rules) for (const r of rules[1].split(',')) findings.push(`${i + 1} ${r.trim()}`);
    const cls = /#\s*expect-target:\s*([a-z]+)/.exec(line);
    if (cls) targets.push(`${i + 1} ${cls[1]}`);
  });
  return { findings: findings.sort(), targets: targets.sort() };
}

export function actual(report: FileReport): { findings: string[]; targets: string[] } {
  return {
    findings: report.findings.map((f) => `${f.span.line + 1} ${f.rule}`).sort(),
    targets: report.threadTargets.map((t) => `${t.span.line + 1} ${t.classification}`).sort(),
  };
}
