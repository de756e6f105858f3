/**
 * One-line and full descriptions of each rule, for SARIF's rule metadata and
 * `gil-lens check --help`, read from the rule registry (analysis/rules/
 * registry.ts); each rule's detailed documentation is the README's rules
 * section, which `helpUri` points at.
 */
import { RULES } from '../analysis/rules/registry';
import type { RuleId } from '../analysis/types';

/** Where the project lives; SARIF viewers link rule help here. */
export const HOMEPAGE = 'https://github.com/gil-lens/gil-lens';

export interface RuleHelp {
  short: string;
  full: string;
}

/** Each rule's texts come from the registry, the one place they are written. */
export const RULE_HELP = Object.fromEntries(
  RULES.map((r) => [r.id, { short: r.title, full: r.description }]),
) as Record<RuleId, RuleHelp>;

/** The README anchor of a rule's documentation. */
export function ruleHelpUri(rule: RuleId): string {
  return `${HOMEPAGE}#${rule}`;
}
