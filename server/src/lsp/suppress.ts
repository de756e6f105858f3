/**
 * The "Suppress on this line" edit: a trailing `# gil-lens: ignore[rule]`
 * comment on the line where a finding starts, which the analysis honours.
 *
 * When the line already carries a gil-lens ignore comment, the rule is merged
 * into its list instead of adding a second comment, so suppressing two rules
 * on one line reads `# gil-lens: ignore[shared-mutation, cpu-bound-thread]`.
 * A line ending in a backslash continuation cannot take a comment, so no
 * suppression is offered there.
 */
import type { TextEdit } from '../analysis/types';

const IGNORE_LIST = /#\s*gil-lens:\s*ignore\[([^\]]*)\]/;
const IGNORE_ALL = /#\s*gil-lens:\s*ignore(?![-[])/;

/** The edit suppressing `rule` on `line`, or undefined when there is nothing to add. */
export function suppressionEdit(lineText: string, line: number, rule: string): TextEdit | undefined {
  const listed = IGNORE_LIST.exec(lineText);
  if (listed) {
    const rules = listed[1]
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r.length > 0);
    if (rules.includes(rule)) return undefined;
    const start = listed.index + listed[0].indexOf('[') + 1;
    const end = start + listed[1].length;
    return { span: { line, col: start, endLine: line, endCol: end }, newText: [...rules, rule].join(', ') };
  }
  if (IGNORE_ALL.test(lineText)) return undefined;
  const body = lineText.replace(/\s+$/, '');
  if (body.endsWith('\\')) return undefined;
  const comment = body.length > 0 ? `  # gil-lens: ignore[${rule}]` : `# gil-lens: ignore[${rule}]`;
  return { span: { line, col: body.length, endLine: line, endCol: lineText.length }, newText: comment };
}
