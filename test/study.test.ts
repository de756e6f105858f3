/**
 * The real-code study's scoring (study/score.mjs) and the data it reads: the kit refuses repositories
 * reserved for independent evaluation, keys judgements exactly, and counts precision, kept TPs and
 * classification the way closing notes report them. The study itself needs snapshots and is not run here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module of the study kit, without type declarations.
import { parseReserved, refuseReserved, score, summaryLine } from '../study/score.mjs';

const STUDY = path.join(__dirname, '..', 'study');
const read = (name: string) => JSON.parse(fs.readFileSync(path.join(STUDY, name), 'utf8'));

describe('study kit', () => {
  it('refuses every reserved repository, case-insensitively', () => {
    const reserved = parseReserved('# comment\npsf/requests\nPallets/Jinja  # trailing\n');
    expect(() => refuseReserved([{ repo: 'pallets/jinja' }], reserved)).toThrow(/reserved/);
    expect(() => refuseReserved([{ repo: 'encode/uvicorn' }], reserved)).not.toThrow();
  });

  it('pins at least 12 repositories, none of them reserved, and judges enough of them', () => {
    const { repos } = read('repos.json');
    expect(repos.length).toBeGreaterThanOrEqual(12);
    for (const r of repos) expect(r.commit).toMatch(/^[0-9a-f]{40}$/);
    const reserved = parseReserved(fs.readFileSync(path.join(STUDY, 'reserved-repos.txt'), 'utf8'));
    expect(() => refuseReserved(repos, reserved)).not.toThrow();
    const judged = read('judged.json');
    expect(judged.findings.length).toBeGreaterThanOrEqual(150);
    expect(judged.targets.length).toBeGreaterThanOrEqual(60);
    const names = new Set(repos.map((r: { repo: string }) => r.repo));
    for (const j of [...judged.findings, ...judged.targets]) expect(names.has(j.repo)).toBe(true);
    for (const j of judged.findings) expect(['TP', 'FP', 'unsure']).toContain(j.verdict);
  });

  it('scores precision by severity, kept TPs, classification and what is new', () => {
    const judged = {
      findings: [
        { repo: 'a/b', path: 'x.py', line: 1, rule: 'shared-mutation', verdict: 'TP' },
        { repo: 'a/b', path: 'x.py', line: 2, rule: 'shared-mutation', verdict: 'FP', category: 'benign' },
        { repo: 'a/b', path: 'x.py', line: 3, rule: 'shared-mutation', verdict: 'FP' },
        { repo: 'a/b', path: 'x.py', line: 4, rule: 'shared-mutation', verdict: 'TP' },
        { repo: 'a/b', path: 'x.py', line: 5, rule: 'shared-mutation', verdict: 'FP' },
      ],
      targets: [
        { repo: 'a/b', path: 'x.py', line: 10, trueClass: 'io' },
        { repo: 'a/b', path: 'x.py', line: 20, trueClass: 'none' },
        { repo: 'a/b', path: 'x.py', line: 30, trueClass: 'cpu' },
      ],
    };
    const f = (line: number, severity: string) => ({
      repo: 'a/b',
      path: 'x.py',
      line,
      rule: 'shared-mutation',
      severity,
      message: '',
    });
    const reported = {
      findings: [f(1, 'warning'), f(2, 'warning'), f(5, 'hint'), f(9, 'warning')],
      targets: [
        { repo: 'a/b', path: 'x.py', line: 10, classification: 'io' },
        { repo: 'a/b', path: 'x.py', line: 30, classification: 'io' },
        { repo: 'a/b', path: 'x.py', line: 40, classification: 'cpu' },
      ],
    };
    const s = score(reported, judged, 2000);
    expect(s.warningPrecision).toBe(0.5);
    expect(s.hintPrecision).toBe(0);
    expect([s.keptTps, s.judgedTps]).toEqual([1, 2]);
    expect(s.lostTps.map((j: { line: number }) => j.line)).toEqual([4]);
    // Line 20 is truly no thread target and is not reported: right. Line 30 is misclassified.
    expect([s.classRight, s.classJudged]).toEqual([2, 3]);
    expect(s.unjudged.map((u: { line: number }) => u.line)).toEqual([9]);
    expect(s.unjudgedTargets.map((u: { line: number }) => u.line)).toEqual([40]);
    expect(s.findingsPerKloc).toBe(2);
    expect(summaryLine(s)).toMatch(/^study: warning precision 0\.50 \(1 TP \/ 1 FP \/ 0 unsure\)/);
  });
});
