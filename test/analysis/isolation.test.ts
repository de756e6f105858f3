/**
 * A rule that throws (a defect of gil-lens) loses only its own findings: analyzeProject records the
 * failure on the file's report and every other rule still reports, whether the rule fails in its
 * project-wide step or on one file.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeProject } from '../../server/src/analysis/index';
import { RULES, type Rule } from '../../server/src/analysis/rules/registry';
import { defaultConfig } from '../../server/src/analysis/types';
import { extractModel } from '../../server/src/model/extract';
import { initSyntax, parse, type Syntax } from '../../server/src/syntax/parser';

let syntax: Syntax;
beforeAll(async () => {
  syntax = await initSyntax();
});

const SOURCE = `import threading
import time

counter = 0


def work():
    global counter
    counter += 1


async def handler():
    time.sleep(1)


threads = [threading.Thread(target=work) for _ in range(4)]
`;

function model(path: string) {
  const tree = parse(syntax, SOURCE);
  try {
    return extractModel(syntax, tree, SOURCE, path);
  } finally {
    tree.delete();
  }
}

const failing = (where: 'run' | 'check'): Rule => ({
  ...RULES[0],
  run(facts) {
    if (where === 'run') throw new Error('broken in run');
    RULES[0].run(facts);
    return () => {
      throw new Error('broken in check');
    };
  },
});

describe('a failing rule', () => {
  for (const where of ['run', 'check'] as const) {
    it(`keeps the other rules' findings when it fails in ${where}`, () => {
      const models = [model('a.py'), model('b.py')];
      const healthy = analyzeProject(models, defaultConfig());
      const rules = [failing(where), ...RULES.slice(1)];
      const reports = analyzeProject(models, defaultConfig(), undefined, false, rules);
      expect(reports).toHaveLength(2);
      for (const [i, report] of reports.entries()) {
        expect(report.internalErrors).toEqual([`${RULES[0].id}: broken in ${where}`]);
        const others = healthy[i].findings.filter((f) => f.rule !== RULES[0].id);
        expect(others.length).toBeGreaterThan(0);
        expect(report.findings).toEqual(others);
        expect(report.threadTargets).toEqual(healthy[i].threadTargets);
      }
      expect(healthy.every((r) => r.internalErrors === undefined)).toBe(true);
      expect(healthy[0].findings.some((f) => f.rule === RULES[0].id)).toBe(true);
    });
  }
});
