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
import { defaultConfig } from '../server/src/analysis/types';
import { checkSources, initSyntax, type SourceFile, type Syntax } from '../server/src/engine';
import { actual, expectations } from './expectations';
import { pyFiles } from './pyFiles';

const ROOT = path.join(__dirname, 'fixtures');

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
  it('every fixture folder has at least one expectation, and safe code has files of its own', () => {
    // A folder whose files expect nothing checks only that nothing is found: each needs something to find.
    for (const dir of fs.readdirSync(ROOT)) {
      const files = pyFiles(path.join(ROOT, dir));
      if (files.length === 0) continue;
      const expected = files.map((p) => expectations(fs.readFileSync(p, 'utf8')));
      expect({ dir, some: expected.some((e) => e.findings.length + e.targets.length > 0) }).toEqual({
        dir,
        some: true,
      });
    }
    expect(pyFiles(path.join(ROOT, 'safe')).length).toBeGreaterThan(0);
  });
});
