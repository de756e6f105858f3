/**
 * The session's failure handling, in process: when the analysis throws for a
 * file, that file gets one log line and no findings, and the session keeps
 * serving other files. The analysis is replaced by a stub that throws for
 * one path, since no real input is known to crash it.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { FileReport } from '../../server/src/analysis/types';
import type { ModuleModel } from '../../server/src/model/types';

vi.mock('../../server/src/analysis/index', () => ({
  analyzeProject: (models: ModuleModel[], _config: unknown, focus: Set<string>): FileReport[] => {
    if (focus.has('/w/bad.py')) throw new Error('boom');
    return models
      .filter((m) => focus.has(m.path))
      .map((m) => ({
        path: m.path,
        findings: [
          {
            rule: 'shared-mutation',
            severity: 'warning',
            span: { line: 0, col: 0, endLine: 0, endCol: 1 },
            message: 'stub',
            fixes: [],
          },
        ],
        threadTargets: [],
        locks: [],
      }));
  },
}));

import { createProjectConfigs } from '../../server/src/lsp/projectConfig';
import { Session } from '../../server/src/lsp/session';
import { WorkspaceIndex } from '../../server/src/lsp/workspaceIndex';
import { TreeCache } from '../../server/src/syntax/documents';
import { initSyntax, type Syntax } from '../../server/src/syntax/parser';

let syntax: Syntax;
beforeAll(async () => {
  syntax = await initSyntax();
});

function session(log: string[]): Session {
  const write = (m: string) => log.push(m);
  const index = new WorkspaceIndex(syntax, { maxFileSize: () => 1e6, isOpen: () => false, log: write });
  return new Session({ syntax, trees: new TreeCache(syntax), index, configs: createProjectConfigs(write), log: write });
}

describe('session failures', () => {
  it('logs one line and reports nothing for a file whose analysis throws', () => {
    const log: string[] = [];
    const s = session(log);
    s.open('file:///w/bad.py', 'python', 1, 'x = 1\n');
    s.open('file:///w/good.py', 'python', 1, 'y = 2\n');
    expect(s.report('file:///w/bad.py')?.findings).toEqual([]);
    expect(s.report('file:///w/good.py')?.findings).toHaveLength(1);
    s.invalidate();
    expect(s.report('file:///w/bad.py')?.findings).toEqual([]);
    expect(log.filter((l) => l.includes('bad.py') && l.includes('analysis failed'))).toHaveLength(1);
  });

  it('keeps a report while nothing it depends on changes, and drops it when the file changes', () => {
    const s = session([]);
    s.open('file:///w/a.py', 'python', 1, 'a = 1\n');
    s.open('file:///w/b.py', 'python', 1, 'b = 1\n');
    const a = s.report('file:///w/a.py');
    s.change('file:///w/b.py', 2, [
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '#' },
    ]);
    expect(s.report('file:///w/a.py')).toBe(a);
    s.change('file:///w/a.py', 2, [
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '#' },
    ]);
    expect(s.report('file:///w/a.py')).not.toBe(a);
  });
});
