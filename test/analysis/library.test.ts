/**
 * Library mode beyond the (line, rule) pairs the fixture runner checks: the
 * severity of free-threading hints, the evidence in messages, and the
 * `assume-threads` setting.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Config, defaultConfig, type FileReport } from '../../server/src/analysis/types';
import { checkSources, initSyntax, type Syntax } from '../../server/src/engine';

const DIR = path.join(__dirname, '../fixtures/library');
let syntax: Syntax;
beforeAll(async () => {
  syntax = await initSyntax();
});

function check(file: string, config: Partial<Config> = {}): FileReport {
  const p = path.join(DIR, file);
  return checkSources(syntax, [{ path: p, text: fs.readFileSync(p, 'utf8') }], { ...defaultConfig(), ...config })[0];
}

function lines(report: FileReport): number[] {
  return report.findings.map((f) => f.span.line + 1);
}

describe('library mode', () => {
  it('reports module caches in a module without thread awareness as hints', () => {
    const report = check('tz_factory.py');
    expect(report.findings.length).toBeGreaterThan(0);
    for (const f of report.findings) expect(f.severity).toBe('hint');
    expect(report.findings[0].message).toContain('free-threaded');
  });

  it('reports them as warnings when the module uses threads or locks', () => {
    const report = check('cache_decorator.py');
    expect(report.findings.map((f) => f.severity)).toEqual(['warning']);
  });

  it('names the lock used elsewhere and where', () => {
    const report = check('connection_pool.py');
    const text = fs.readFileSync(path.join(DIR, 'connection_pool.py'), 'utf8').split('\n');
    const line = text.findIndex((l) => l.includes('self._pools[host] = HTTPConnectionPool(host)')) + 1;
    const cta = report.findings.find((f) => f.span.line + 1 === line);
    expect(cta?.message).toContain('`self._lock`');
    expect(cta?.message).toContain('connection_from_host');
    expect(cta?.data?.lock).toBe('self._lock');
  });

  it('gives the signal that made a class shared', () => {
    const report = check('metrics_registry.py');
    expect(report.findings[0].message).toContain('docstring says it is thread-safe');
  });

  it('assume-threads = "never" keeps only what spawns reach', () => {
    expect(lines(check('connection_pool.py', { assumeThreads: 'never' }))).toEqual([]);
    expect(lines(check('background_thread.py', { assumeThreads: 'never' }))).toEqual([]);
  });

  it('assume-threads = "always" treats every public function as concurrent', () => {
    expect(lines(check('safe_twins.py'))).toEqual([]);
    const always = check('safe_twins.py', { assumeThreads: 'always' });
    expect(lines(always)).toEqual([38, 40]);
    for (const f of always.findings) expect(f.severity).toBe('warning');
  });
});
