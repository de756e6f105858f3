/**
 * The rule registry is the one place a rule's id and texts are written: the stable ids (RULE_IDS), the
 * editor settings in package.json, the README's rule sections and the CLI's help must agree with it, so
 * adding or renaming a rule without updating them fails here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../server/src/analysis/rules/registry';
import { DEFAULT_SEVERITY, RULE_IDS } from '../server/src/analysis/types';
import { RULE_HELP } from '../server/src/cli/ruleHelp';

const ROOT = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

describe('rule registry', () => {
  it('lists every stable rule id once, in RULE_IDS order, each with a default severity', () => {
    expect(RULES.map((r) => r.id)).toEqual([...RULE_IDS]);
    for (const r of RULES) expect(DEFAULT_SEVERITY[r.id]).toBeDefined();
  });

  it('gives each editor setting the registry title', () => {
    const props: Record<string, { markdownDescription?: string }> = pkg.contributes.configuration.properties;
    const ruleKeys = Object.keys(props).filter((k) => k.startsWith('gil-lens.rules.'));
    expect(ruleKeys.sort()).toEqual(RULES.map((r) => `gil-lens.rules.${r.id}`).sort());
    for (const r of RULES) {
      expect(props[`gil-lens.rules.${r.id}`].markdownDescription).toBe(
        `Severity of \`${r.id}\`: ${r.title}. \`default\` keeps the project's setting.`,
      );
    }
  });

  it('has a README section per rule, and no section for a rule the registry lacks', () => {
    const section = readme.slice(readme.indexOf('<!-- section: rules -->'), readme.indexOf('<!-- /section: rules -->'));
    const headings = [...section.matchAll(/^### ([a-z]+(?:-[a-z]+)+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(RULES.map((r) => r.id));
  });

  it('feeds the CLI help and SARIF metadata', () => {
    for (const r of RULES) expect(RULE_HELP[r.id]).toEqual({ short: r.title, full: r.description });
  });
});
