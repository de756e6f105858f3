/**
 * The data-driven fixture runner: every `test/fixtures/**\/*.py` file carries
 * inline `# expect: RULE` and `# expect-target: CLASS` comments, and this
 * runner asserts the exact set of (line, rule) and (line, class) pairs the
 * engine reports. Files under `test/fixtures/projects/<name>/` are analysed
 * together as one project, so calls between them resolve.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, type FileReport } from '../server/src/analysis/types';
import { checkSources, initSyntax, type SourceFile, type Syntax } from '../server/src/engine';
import { pyFiles } from './pyFiles';

const ROOT = path.join(__dirname, 'fixtures');

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

function actual(report: FileReport): { findings: string[]; targets: string[] } {
  return {
    findings: report.findings.map((f) => `${f.span.line + 1} ${f.rule}`).sort(),
    targets: report.threadTargets.map((t) => `${t.span.line + 1} ${t.classification}`).sort(),
  };
}

/** Groups of files analysed together: one per project folder, one per other file. */
function groups(): string[][] {
  const projects = path.join(ROOT, 'projects');
  const all = pyFiles(ROOT);
  const out: string[][] = all.filter((f) => !f.startsWith(projects)).map((f) => [f]);
  for (const dir of fs.readdirSync(projects)) out.push(pyFiles(path.join(projects, dir)));
  return out;
}

let syntax: Syntax;
beforeAll(async () => {
  syntax = await initSyntax();
});

describe('fixtures', () => {
  for (const group of groups()) {
    const name = path.relative(ROOT, group.length === 1 ? group[0] : path.dirname(group[0]));
    it(name, () => {
      const sources: SourceFile[] = group.map((p) => ({ path: p, text: fs.readFileSync(p, 'utf8') }));
      const reports = checkSources(syntax, sources, defaultConfig());
      for (const [i, report] of reports.entries()) {
        const rel = path.relative(ROOT, group[i]);
        expect({ file: rel, ...actual(report) }).toEqual({ file: rel, ...expectations(sources[i].text) });
      }
    });
  }
  it('every fixture folder has at least one expectation and one safe file', () => {
    const expected = pyFiles(ROOT).map((p) => expectations(fs.readFileSync(p, 'utf8')));
    expect(expected.some((e) => e.findings.length > 0)).toBe(true);
    expect(fs.readdirSync(path.join(ROOT, 'safe')).length).toBeGreaterThan(0);
  });
});
