/**
 * Unit tests of the benchmark's pure parts: validating the harness's JSON,
 * the verdict (agreement and disagreement with the prediction), and the
 * client's helpers (function at the cursor, call prefill, the HTML page).
 */
import { describe, expect, it } from 'vitest';
import { type BenchView, renderBenchmarkHtml } from '../../client/src/benchmarkHtml';
import { functionAt, looksLiteral, suggestCall } from '../../client/src/benchmarkTarget';
import { parseHarnessLine } from '../../server/src/bench/harnessOutput';
import type { ModeResult } from '../../server/src/bench/types';
import { measuredClass, verdict } from '../../server/src/bench/verdict';

function mode(name: ModeResult['mode'], speedup: number, wait = 0): ModeResult {
  return { mode: name, median_s: 1 / speedup, iqr_s: 0.01, speedup, cpu_s: 1, wait_fraction: wait };
}

describe('harness output validation', () => {
  it('accepts a well-formed result and rejects malformed ones', () => {
    const good = {
      event: 'result',
      ok: true,
      interpreter: { version: '3.11.7', executable: '/usr/bin/python3', gil_enabled: true, free_threaded_build: false },
      loops: 1,
      call_s: 0.01,
      modes: [{ mode: 'threads', median_s: 0.1, iqr_s: 0.01, cpu_s: 0.1, repeats: 5, wait_fraction: 0.1 }],
      mode_errors: [],
    };
    const parsed = parseHarnessLine(JSON.stringify(good));
    expect(parsed.event === 'result' && parsed.ok && parsed.modes[0].median_s).toBe(0.1);
    expect(() => parseHarnessLine('not json')).toThrow();
    expect(() =>
      parseHarnessLine(JSON.stringify({ ...good, modes: [{ mode: 'threads', median_s: 'fast' }] })),
    ).toThrow();
    expect(() =>
      parseHarnessLine(JSON.stringify({ ...good, modes: [{ ...good.modes[0], mode: 'rm -rf' }] })),
    ).toThrow();
    expect(() => parseHarnessLine(JSON.stringify({ event: 'surprise' }))).toThrow();
    const failed = parseHarnessLine(
      JSON.stringify({ event: 'result', ok: false, error: { kind: 'weird', message: 'm' } }),
    );
    expect(failed.event === 'result' && !failed.ok && failed.error.kind).toBe('harness');
  });
});

describe('verdict', () => {
  it('says the GIL serialises a CPU-bound function', () => {
    const modes = [
      mode('sequential', 1),
      mode('threads', 1.02),
      mode('processes', 1.91),
      mode('free-threaded-threads', 1.95),
    ];
    expect(measuredClass(modes)).toBe('cpu');
    const text = verdict({ prediction: 'cpu', modes, workers: 2, cpuCount: 2 });
    expect(text).toBe(
      'Predicted CPU-bound. Measured: threads 1.02×, processes 1.91× on 2 cores, free-threaded 1.95×. The GIL serialises this function; processes or a free-threaded build run it in parallel.',
    );
  });

  it('says plainly when the measurement disagrees, with likely reasons', () => {
    const modes = [mode('sequential', 1, 0.9), mode('threads', 3.8), mode('processes', 3.5)];
    const text = verdict({ prediction: 'cpu', modes, workers: 4, cpuCount: 2 });
    expect(text).toMatch(/The measurement disagrees: it behaves like I\/O-bound/);
    expect(text).toMatch(/extra-io/);
  });

  it('explains a run where nothing could be parallel', () => {
    const modes = [mode('sequential', 1), mode('threads', 1), mode('processes', 1)];
    expect(verdict({ prediction: 'unknown', modes, workers: 1, cpuCount: 1 })).toMatch(/nothing can run in parallel/);
  });
});

describe('client helpers', () => {
  const source = [
    'import threading',
    'class Worker:',
    '    def run(self, n=5):',
    '        return n',
    '',
    'def crunch(n: int = 1000, label="x"):',
    '    total = 0',
    '    for i in range(n):',
    '        total += i',
    '    return total',
    '',
    't = threading.Thread(target=crunch, args=(250_000, "big"))',
    'def outer():',
    '    def inner():',
    '        pass',
  ];

  it('finds the function or method around a line, and refuses nested functions', () => {
    expect(functionAt(source, 8)?.qualified).toBe('crunch');
    expect(functionAt(source, 5)?.params).toEqual(['n: int = 1000', 'label="x"']);
    expect(functionAt(source, 3)?.qualified).toBe('Worker.run');
    expect(functionAt(source, 14)).toBeUndefined();
    expect(functionAt(source, 0)).toBeUndefined();
  });

  it('prefills the call from the spawn site, then defaults, then f()', () => {
    const text = source.join('\n');
    expect(suggestCall(text, functionAt(source, 6)!)).toBe('crunch(250_000, "big")');
    expect(suggestCall(text, functionAt(source, 3)!)).toBe('run(5)');
    expect(suggestCall('def f(a):\n  pass', functionAt(['def f(a):', '  pass'], 1)!)).toBe('f()');
    expect(looksLiteral("__import__('os')")).toBe(false);
    expect(looksLiteral('[1, 2.5e3, (True, None)]')).toBe(true);
  });

  it('renders a page with a strict CSP, no scripts, and escaped text', () => {
    const view: BenchView = {
      ok: false,
      function: 'f',
      call: 'f("<script>")',
      prediction: 'cpu',
      workers: 2,
      cpu_count: 2,
      modes: [],
      verdict: 'No measurement',
      warnings: [],
      error: { kind: 'exception', message: 'boom', traceback: 'ValueError: <img src=x onerror=alert(1)>' },
    };
    const html = renderBenchmarkHtml(view, { nonce: 'abc', cspSource: 'vscode-resource:' });
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const ok = renderBenchmarkHtml(
      { ...view, ok: true, error: undefined, modes: [{ ...mode('sequential', 1) }, { ...mode('threads', 1.02) }] },
      { nonce: 'abc', cspSource: 'x' },
    );
    expect(ok).toContain('<svg');
    expect(ok).toContain('1.02×');
  });
});
