/**
 * Unit tests of the three output formats on hand-made reports, so the shapes
 * are pinned down independently of what the analysis finds: the JSON report
 * against FORMAT.md (1-based positions, UTF-16 columns, fixes, targets), SARIF
 * against the fields the 2.1.0 schema and GitHub code scanning require, and
 * the Ruff-like text lines.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defaultConfig,
  type FileReport,
  type Finding,
  RULE_IDS,
  type ThreadTarget,
} from '../../server/src/analysis/types';
import { toJsonReport } from '../../server/src/cli/formats/json';
import { sarifLevel, toSarif } from '../../server/src/cli/formats/sarif';
import { formatText } from '../../server/src/cli/formats/text';
import { type CheckedFile, exitCodeFor } from '../../server/src/cli/results';

const CWD = path.resolve('/repo');

// `s = "héllo😀"; n += 1`: the emoji takes two UTF-16 units, so `n` starts at
// 0-based UTF-16 column 14 (1-based 15) although it is the 13th code point.
const mutation: Finding = {
  rule: 'shared-mutation',
  severity: 'warning',
  span: { line: 8, col: 14, endLine: 8, endCol: 20 },
  message: '`n` is written by 4 threads without a lock',
  fixes: [
    {
      title: 'Guard with a lock',
      edits: [{ span: { line: 8, col: 14, endLine: 8, endCol: 14 }, newText: 'with lock: ' }],
    },
  ],
};
const hint: Finding = {
  rule: 'cpu-bound-thread',
  severity: 'hint',
  span: { line: 11, col: 0, endLine: 11, endCol: 10 },
  message: 'work is CPU-bound',
  fixes: [],
};
const target: ThreadTarget = {
  name: 'work',
  span: { line: 5, col: 0, endLine: 8, endCol: 20 },
  spawns: [
    { kind: 'thread', span: { line: 11, col: 11, endLine: 11, endCol: 45 }, api: 'threading.Thread', concurrent: true },
  ],
  classification: 'cpu',
  reasons: [
    { text: 'pure-Python loop', line: 7, kind: 'cpu' },
    { text: 'no I/O', line: 5, kind: 'note' },
    { text: 'third', line: 5, kind: 'note' },
  ],
  concurrent: true,
  picklable: true,
  runsIn: 'thread',
};

function report(p: string, findings: Finding[], targets: ThreadTarget[] = []): FileReport {
  return { path: p, findings, threadTargets: targets, locks: [] };
}

const files: CheckedFile[] = [
  { path: 'pkg/a.py', absPath: path.join(CWD, 'pkg/a.py'), report: report('pkg/a.py', [hint, mutation], [target]) },
  { path: 'pkg/blob.py', absPath: path.join(CWD, 'pkg/blob.py'), error: 'binary file (contains NUL bytes), skipped' },
  { path: 'b.py', absPath: path.join(CWD, 'b.py'), report: report('b.py', []) },
];

describe('json format', () => {
  const json = toJsonReport(files);

  it('has version 1 and one entry per file, in order, skipped files included', () => {
    expect(Object.keys(json).sort()).toEqual(['files', 'version']);
    expect(json.version).toBe(1);
    expect(json.files.map((f) => f.path)).toEqual(['pkg/a.py', 'pkg/blob.py', 'b.py']);
    expect(json.files[1]).toEqual({
      path: 'pkg/blob.py',
      findings: [],
      threadTargets: [],
      error: 'binary file (contains NUL bytes), skipped',
    });
    expect(json.files[2]).toEqual({ path: 'b.py', findings: [], threadTargets: [] });
  });

  it('writes findings in reading order with 1-based UTF-16 positions and fixes', () => {
    expect(json.files[0].findings).toEqual([
      {
        rule: 'shared-mutation',
        severity: 'warning',
        line: 9,
        column: 15,
        endLine: 9,
        endColumn: 21,
        message: '`n` is written by 4 threads without a lock',
        fixes: [
          {
            title: 'Guard with a lock',
            edits: [{ line: 9, column: 15, endLine: 9, endColumn: 15, newText: 'with lock: ' }],
          },
        ],
      },
      {
        rule: 'cpu-bound-thread',
        severity: 'hint',
        line: 12,
        column: 1,
        endLine: 12,
        endColumn: 11,
        message: 'work is CPU-bound',
        fixes: [],
      },
    ]);
  });

  it('writes thread targets with their def line, spawn line and reasons as strings', () => {
    expect(json.files[0].threadTargets).toEqual([
      {
        name: 'work',
        line: 6,
        column: 1,
        spawnLine: 12,
        classification: 'cpu',
        reasons: ['pure-Python loop', 'no I/O', 'third'],
      },
    ]);
  });
});

/** The SARIF log as a consumer sees it: plain parsed JSON. */
const sarifOf = (input: CheckedFile[]) =>
  JSON.parse(JSON.stringify(toSarif(input, { cwd: CWD, config: defaultConfig(), version: '9.9.9' })));

describe('sarif format', () => {
  const sarif = sarifOf(files);
  const run = sarif.runs[0];

  it('has the log-level fields', () => {
    expect(sarif.$schema).toMatch(/sarif-2\.1\.0/);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs).toHaveLength(1);
  });

  it('describes the tool and every rule', () => {
    const driver = run.tool.driver;
    expect(driver.name).toBe('gil-lens');
    expect(driver.version).toBe('9.9.9');
    expect(driver.informationUri).toMatch(/^https:\/\//);
    expect(driver.rules.map((r: { id: string }) => r.id)).toEqual([...RULE_IDS]);
    for (const rule of driver.rules) {
      expect(rule.shortDescription.text).toEqual(expect.any(String));
      expect(rule.fullDescription.text.length).toBeGreaterThan(rule.shortDescription.text.length);
      expect(rule.helpUri).toMatch(new RegExp(`^https://.*#${rule.id}$`));
      expect(['error', 'warning', 'note', 'none']).toContain(rule.defaultConfiguration.level);
    }
    expect(driver.rules[RULE_IDS.indexOf('process-pool-hazard')].defaultConfiguration.level).toBe('error');
  });

  it('writes one result per finding with rule index, level, message and a relative location', () => {
    expect(run.results).toHaveLength(2);
    const [first, second] = run.results;
    expect(first.ruleId).toBe('shared-mutation');
    expect(run.tool.driver.rules[first.ruleIndex].id).toBe(first.ruleId);
    expect(first.level).toBe('warning');
    expect(first.message.text).toBe(mutation.message);
    const location = first.locations[0].physicalLocation;
    expect(location.artifactLocation).toEqual({ uri: 'pkg/a.py', uriBaseId: '%SRCROOT%' });
    expect(location.region).toEqual({ startLine: 9, startColumn: 15, endLine: 9, endColumn: 21 });
    expect(second.level).toBe('note');
    expect(run.tool.driver.rules[second.ruleIndex].id).toBe('cpu-bound-thread');
  });

  it('reports skipped files as notifications of a successful run', () => {
    const invocation = run.invocations[0];
    expect(invocation.executionSuccessful).toBe(true);
    expect(invocation.toolExecutionNotifications).toHaveLength(1);
    expect(invocation.toolExecutionNotifications[0].message.text).toContain('pkg/blob.py');
  });

  it('maps severities onto SARIF levels', () => {
    expect(['error', 'warning', 'info', 'hint', 'off'].map((s) => sarifLevel(s as 'error'))).toEqual([
      'error',
      'warning',
      'note',
      'note',
      'none',
    ]);
  });

  it('uses file URIs for files outside the working folder and encodes odd characters', () => {
    const outside: CheckedFile[] = [
      { path: '../x y.py', absPath: path.resolve(CWD, '../x y.py'), report: report('../x y.py', [mutation]) },
      { path: 'a b#c.py', absPath: path.join(CWD, 'a b#c.py'), report: report('a b#c.py', [mutation]) },
    ];
    const results = sarifOf(outside).runs[0].results;
    expect(results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('file:///x%20y.py');
    expect(results[1].locations[0].physicalLocation.artifactLocation.uri).toBe('a%20b%23c.py');
  });
});

describe('text format', () => {
  const text = formatText(files, { color: false });

  it('prints path:line:col: rule message lines, targets and a summary', () => {
    expect(text.split('\n')).toEqual([
      'pkg/a.py:9:15: shared-mutation `n` is written by 4 threads without a lock',
      'pkg/a.py:12:1: cpu-bound-thread work is CPU-bound',
      '',
      'Thread targets:',
      'pkg/a.py:6: target work → cpu (pure-Python loop; no I/O; +1 more)',
      '',
      'Found 2 findings in 1 file (2 files checked, 1 file skipped).',
      '',
    ]);
  });

  it('says all checks passed when nothing was found', () => {
    expect(formatText([files[2]], { color: false })).toBe('All checks passed (1 file checked).\n');
  });

  it('colours only when asked', () => {
    expect(text).not.toContain('\u001b[');
    expect(formatText(files, { color: true })).toContain('\u001b[33;1mshared-mutation\u001b[0m');
  });
});

describe('exit status', () => {
  it('is 1 only for findings at warning level or above', () => {
    expect(exitCodeFor(files)).toBe(1);
    expect(exitCodeFor([{ ...files[0], report: report('pkg/a.py', [hint]) }])).toBe(0);
    expect(exitCodeFor([{ ...files[0], report: report('pkg/a.py', [{ ...hint, severity: 'error' }]) }])).toBe(1);
    expect(exitCodeFor([files[1], files[2]])).toBe(0);
  });
});
