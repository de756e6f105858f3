/**
 * The real-bug study's scoring (study/bugScore.mjs) and its data (study/bugs.json): a bug is found only by
 * a finding of its rule, in its file, covering one of its lines; everything else in the file is counted as
 * other findings; skipped bugs stay out of the ratios. The study itself needs snapshots and is not run here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module of the study kit, without type declarations.
import { bugSummaryLine, covers, scoreBug, scoreBugs, validateBugs } from '../study/bugScore.mjs';
// @ts-expect-error: a plain ES module of the study kit, without type declarations.
import { parseReserved, refuseReserved } from '../study/score.mjs';

const STUDY = path.join(__dirname, '..', 'study');

const bug = (id: string, rule: string, lines: number[], file = 'pkg/m.py') => ({
  id,
  repo: 'a/b',
  commit: '0'.repeat(40),
  fix: '1'.repeat(40),
  path: 'pkg',
  file,
  rule,
  lines: lines.map((line) => ({ line, role: 'mutate' })),
  link: 'https://example.org/issue/1',
  description: 'a race',
});
const finding = (line: number, rule: string, file = 'pkg/m.py', endLine = line) => ({
  path: file,
  line,
  endLine,
  rule,
  severity: 'warning',
  message: '',
});

describe('real-bug study kit', () => {
  it('counts a finding as covering the lines of its range', () => {
    expect(covers(finding(10, 'shared-mutation'), 10)).toBe(true);
    expect(covers(finding(10, 'shared-mutation', 'pkg/m.py', 12), 11)).toBe(true);
    expect(covers(finding(10, 'shared-mutation', 'pkg/m.py', 12), 13)).toBe(false);
    expect(covers(finding(10, 'shared-mutation'), 9)).toBe(false);
  });

  it('finds a bug only with its rule, in its file, on one of its lines', () => {
    const b = bug('x', 'shared-mutation', [5, 9]);
    expect(scoreBug(b, [finding(9, 'shared-mutation')]).found).toBe(true);
    expect(scoreBug(b, [finding(9, 'blocking-in-async')]).found).toBe(false);
    expect(scoreBug(b, [finding(7, 'shared-mutation')]).found).toBe(false);
    expect(scoreBug(b, [finding(9, 'shared-mutation', 'pkg/other.py')]).found).toBe(false);
    const r = scoreBug(b, [
      finding(5, 'shared-mutation'),
      finding(9, 'shared-mutation'),
      finding(9, 'cpu-bound-thread'),
      finding(30, 'shared-mutation'),
      finding(1, 'shared-mutation', 'pkg/other.py'),
    ]);
    expect(r.hits.map((h: { line: number }) => h.line)).toEqual([5, 9]);
    // Other findings: those in the bug's file that are not hits; other files do not count.
    expect(r.others.map((o: { line: number; rule: string }) => `${o.line} ${o.rule}`)).toEqual([
      '9 cpu-bound-thread',
      '30 shared-mutation',
    ]);
  });

  it('scores recall and other findings per bug file, leaving skipped bugs out', () => {
    const bugs = [
      bug('one', 'shared-mutation', [3]),
      bug('two', 'blocking-in-async', [4], 'pkg/n.py'),
      bug('three', 'process-pool-hazard', [8]),
      bug('gone', 'shared-mutation', [1]),
    ];
    const results = new Map([
      ['one', [finding(3, 'shared-mutation'), finding(20, 'shared-mutation')]],
      ['two', [finding(6, 'blocking-in-async', 'pkg/n.py'), finding(7, 'blocking-in-async', 'pkg/n.py')]],
      ['three', [finding(8, 'process-pool-hazard')]],
    ]);
    const s = scoreBugs(bugs, results);
    expect([s.found, s.total]).toEqual([2, 3]);
    expect(s.skipped).toEqual(['gone']);
    expect(s.otherFindings).toBe(3);
    expect(s.byRule['blocking-in-async']).toEqual({ found: 0, total: 1 });
    expect(bugSummaryLine(s)).toBe('bugs: found 2/3 (67%), other findings per bug file 1.00');
  });

  it('rejects malformed entries', () => {
    expect(validateBugs([bug('ok', 'shared-mutation', [1])])).toEqual([]);
    const bad = { ...bug('bad', 'races', [0]), commit: 'abc', file: 'elsewhere/m.py' };
    const problems = validateBugs([bad, bug('ok', 'shared-mutation', [1]), bug('ok', 'shared-mutation', [1])]);
    expect(problems.join('\n')).toMatch(/commit must be 40 hex/);
    expect(problems.join('\n')).toMatch(/file must lie under path/);
    expect(problems.join('\n')).toMatch(/unknown rule races/);
    expect(problems.join('\n')).toMatch(/bad line 0/);
    expect(problems.join('\n')).toMatch(/ok: missing or duplicate id/);
  });

  it('keeps at least 40 well-formed bugs, none from a reserved repository', () => {
    const { bugs } = JSON.parse(fs.readFileSync(path.join(STUDY, 'bugs.json'), 'utf8'));
    expect(bugs.length).toBeGreaterThanOrEqual(40);
    expect(validateBugs(bugs)).toEqual([]);
    const reserved = parseReserved(fs.readFileSync(path.join(STUDY, 'reserved-repos.txt'), 'utf8'));
    expect(() => refuseReserved(bugs, reserved)).not.toThrow();
  });
});
