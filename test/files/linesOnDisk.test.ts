/**
 * Lines dropped from a model (linesOnDisk.ts) come back from the file, exactly,
 * on first read only; a file changed or deleted since its modelling gives
 * stand-in lines that keep the count and the suppression comments, and says so
 * once. The pool drops them on either thread when asked, and `check` leaves the
 * fixes out for a changed file and names it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { leaveOutChanged } from '../../server/src/cli/check';
import type { CheckedFile } from '../../server/src/cli/results';
import { initSyntax, modelOf } from '../../server/src/engine';
import { dropLines, readLinesFromDisk } from '../../server/src/files/linesOnDisk';
import type { ModelRequest } from '../../server/src/files/modelFile';
import { modelFiles, WORKER_FILE } from '../../server/src/files/modelPool';
import type { ModuleModel } from '../../server/src/model/types';

const SOURCE = [
  'import threading',
  'counter = 0  # gil-lens: ignore[shared-mutation]',
  'naïve = "日本語 🐍"\r',
  'def work():',
  '    global counter',
  '    counter += 1',
  '',
].join('\r\n');

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function modelled(files: Record<string, string>): Promise<{ dir: string; requests: ModelRequest[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gil-lens-lines-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const requests = Object.keys(files).map((name) => ({
    absPath: path.join(dir, name),
    displayPath: name,
    moduleName: name.replace(/\.py$/, ''),
  }));
  return { dir, requests };
}

async function dropped(file: ModelRequest, text: string) {
  const model = modelOf(await initSyntax(), { path: file.displayPath, text, moduleName: file.moduleName });
  const original = { ...model, lines: [...model.lines] };
  const kept = dropLines(model);
  let changes = 0;
  readLinesFromDisk(model, file, kept, () => changes++);
  return { model, original, changes: () => changes };
}

describe('lines read again from disk', () => {
  it('are dropped, leaving an empty list, and read back exactly on first read only', async () => {
    const { requests } = await modelled({ 'm.py': SOURCE });
    const { model, original, changes } = await dropped(requests[0], SOURCE);
    expect(Object.keys(model)).toEqual(Object.keys(original));
    expect(typeof Object.getOwnPropertyDescriptor(model, 'lines')?.get).toBe('function');
    expect(model.lines).toEqual(original.lines);
    expect(model.lines).toContain('naïve = "日本語 🐍"');
    expect(Object.getOwnPropertyDescriptor(model, 'lines')?.get).toBeUndefined();
    expect(model).toEqual(original);
    expect(changes()).toBe(0);
  });

  it('are stood in for, keeping the count and the suppression comments, when the file changed or went', async () => {
    const { requests } = await modelled({ 'm.py': SOURCE, 'gone.py': SOURCE });
    const edited = await dropped(requests[0], SOURCE);
    // Same line count, one character changed: the fingerprint, not the count, tells them apart.
    fs.writeFileSync(requests[0].absPath, SOURCE.replace('counter += 1', 'counter += 2'));
    const removed = await dropped(requests[1], SOURCE);
    fs.rmSync(requests[1].absPath);
    for (const { model, original, changes } of [edited, removed]) {
      expect(model.directiveLines).toEqual([1]);
      const expected = original.lines.map((line, i) => (i === 1 ? line : ''));
      expect(model.lines).toEqual(expected);
      expect(model.lines).toEqual(expected);
      expect(changes()).toBe(1);
    }
  });

  it('are dropped by the pool on the main thread and on workers, and read back as a plain pool keeps them', async () => {
    const { requests } = await modelled({ 'a.py': SOURCE, 'b.py': 'x = 1\n', 'c.py': '\u0000' });
    const syntax = await initSyntax();
    const plain = await modelFiles(syntax, requests, { jobs: 1 });
    const script = path.join(__dirname, '../../dist', WORKER_FILE);
    for (const options of [{ jobs: 1 }, { jobs: 2, script, workersOnly: true }]) {
      const changed: number[] = [];
      const outcomes = await modelFiles(syntax, requests, {
        ...options,
        lines: 'disk',
        onChangedOnDisk: (i) => changed.push(i),
      });
      const models = outcomes.filter((o): o is ModuleModel => 'lines' in o);
      expect(models).toHaveLength(2);
      expect(models.every((m) => typeof Object.getOwnPropertyDescriptor(m, 'lines')?.get === 'function')).toBe(true);
      expect(outcomes).toEqual(plain);
      expect(changed).toEqual([]);
    }
    const changed: number[] = [];
    const outcomes = await modelFiles(syntax, requests, {
      jobs: 1,
      lines: 'disk',
      onChangedOnDisk: (i) => changed.push(i),
    });
    fs.writeFileSync(requests[1].absPath, 'x = 2\n');
    expect((outcomes[1] as ModuleModel).lines).toEqual(['', '']);
    expect((outcomes[0] as ModuleModel).lines).toEqual((plain[0] as ModuleModel).lines);
    expect(changed).toEqual([1]);
  });
});

describe('check, for a file changed while being checked', () => {
  it('leaves out its fixes and names it, in file order', () => {
    const fix = { title: 'Wrap in a lock', edits: [] };
    const finding = (line: number) => ({
      rule: 'shared-mutation' as const,
      severity: 'warning' as const,
      span: { line, col: 0, endLine: line, endCol: 1 },
      message: 'm',
      fixes: [fix],
    });
    const report = (line: number) => ({ path: 'x', threadTargets: [], findings: [finding(line)], locks: [] });
    const checked = [
      { path: 'a.py', absPath: '/a.py', report: report(1) },
      { path: 'b.py', absPath: '/b.py', report: report(2) },
      { path: 'c.py', absPath: '/c.py', error: 'binary' },
      { path: 'd.py', absPath: '/d.py', report: report(3) },
    ] as unknown as CheckedFile[];
    const said: string[] = [];
    leaveOutChanged(checked, new Set([3, 1]), { stderr: (text) => said.push(text) });
    expect(checked.map((f) => f.report?.findings[0].fixes.length)).toEqual([1, 0, undefined, 0]);
    expect(said).toEqual([
      'gil-lens: b.py: changed while being checked: its findings are for the version read first, any source text they quote is missing, and their fixes are left out\n',
      'gil-lens: d.py: changed while being checked: its findings are for the version read first, any source text they quote is missing, and their fixes are left out\n',
    ]);
  });
});
