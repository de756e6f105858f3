/**
 * The benchmark's failure paths: the user's function raising, a module that
 * does not import, an endless loop killed at the timeout (pool workers
 * included: the process group must be empty afterwards), cancellation, a
 * missing interpreter, an unpicklable target, and hostile call text that
 * must be rejected before anything of the user's runs.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runBenchmark } from '../../server/src/bench/runBenchmark';
import type { BenchRequest } from '../../server/src/bench/types';
import { benchCli, fixture, groupAlive, PYTHON } from './helpers';

function request(over: Partial<BenchRequest>): BenchRequest {
  return {
    file: fixture('failing.py'),
    function: 'raises',
    call: 'raises()',
    workers: 2,
    python: PYTHON,
    budgetSeconds: 0.5,
    timeoutSeconds: 20,
    ...over,
  };
}

describe('benchmark failures', () => {
  it('reports an exception with its traceback, not timings (exit 1)', async () => {
    const run = await benchCli([`${fixture('failing.py')}::raises`, '--call', 'raises(7)', '--python', PYTHON]);
    expect(run.code).toBe(1);
    expect(run.json?.ok).toBe(false);
    expect(run.json?.modes).toEqual([]);
    expect(run.json?.error?.kind).toBe('exception');
    expect(run.json?.error?.traceback).toMatch(/ValueError: bad input 7/);
    expect(run.json?.error?.traceback).toMatch(/failing\.py", line \d+, in raises/);
    expect(run.stderr).toMatch(/ValueError: bad input 7/);
  });

  it('reports an import error with its traceback (exit 1)', async () => {
    const run = await benchCli([`${fixture('broken_import.py')}::work`, '--python', PYTHON]);
    expect(run.code).toBe(1);
    expect(run.json?.error?.kind).toBe('import');
    expect(run.json?.error?.traceback).toMatch(/ModuleNotFoundError: No module named 'gil_lens_no_such_module'/);
  });

  it('kills an endless loop at the timeout, leaving no process in the group', async () => {
    let pgid = 0;
    const result = await runBenchmark(
      request({ function: 'spin_forever', call: 'spin_forever()', timeoutSeconds: 1.5 }),
      {
        onSpawn: (id) => {
          pgid = id;
        },
      },
    );
    expect(result.error?.kind).toBe('timeout');
    expect(pgid).toBeGreaterThan(0);
    expect(groupAlive(pgid)).toBe(false);
  });

  it('kills ProcessPoolExecutor workers stuck at the timeout', async () => {
    let pgid = 0;
    const started = Date.now();
    const result = await runBenchmark(
      request({ function: 'spin_in_workers', call: 'spin_in_workers()', timeoutSeconds: 3 }),
      { onSpawn: (id) => (pgid = id) },
    );
    expect(result.error?.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(groupAlive(pgid)).toBe(false);
  });

  it('cancels mid-run and kills the group', async () => {
    const controller = new AbortController();
    let pgid = 0;
    const messages: string[] = [];
    const pending = runBenchmark(
      request({ function: 'spin_in_workers', call: 'spin_in_workers()', timeoutSeconds: 30 }),
      {
        signal: controller.signal,
        onSpawn: (id) => (pgid = id),
        progress: (message) => {
          messages.push(message);
          // Cancel once the harness reaches the processes mode, with workers running.
          if (message.includes('warming up processes')) setTimeout(() => controller.abort(), 300);
        },
      },
    );
    const result = await pending;
    expect(result.error?.kind).toBe('cancelled');
    expect(messages.some((m) => m.includes('processes'))).toBe(true);
    expect(groupAlive(pgid)).toBe(false);
  });

  it('reports a missing interpreter as unavailable (exit 2)', async () => {
    const run = await benchCli([`${fixture('cpu_bound.py')}::crunch`, '--python', '/nonexistent/python3']);
    expect(run.code).toBe(2);
    expect(run.json?.error?.kind).toBe('unavailable');
    expect(run.json?.error?.message).toMatch(/not found/);
  });

  it('reports an unpicklable target as a process-pool-hazard, keeping the other timings', async () => {
    const result = await runBenchmark(request({ function: 'wrapped', call: 'wrapped(1000)' }));
    expect(result.ok).toBe(true);
    const processes = result.modes.find((m) => m.mode === 'processes');
    expect(processes?.median_s).toBeNull();
    expect(processes?.error?.kind).toBe('unpicklable');
    expect(processes?.error?.rule).toBe('process-pool-hazard');
    expect(result.modes.find((m) => m.mode === 'threads')?.speedup).toBeGreaterThan(0);
  });

  it('rejects hostile call text before importing anything', async () => {
    const marker = '/tmp/gil-lens-pwned';
    const touched = '/tmp/gil-lens-should-not-exist';
    fs.rmSync(marker, { force: true });
    fs.rmSync(touched, { force: true });
    const hostile = [
      `__import__('os').system('touch ${marker}')`,
      "touches(open('/etc/passwd').read())",
      `touches(__import__('os').system('touch ${marker}'))`,
      'touches(*[1])',
      `touches(); __import__('os').system('touch ${marker}')`,
      'touches.__globals__',
      `touches(path=f"{__import__('os').system('touch ${marker}')}")`,
      `(lambda: __import__('os').system('touch ${marker}'))()`,
    ];
    for (const call of hostile) {
      const run = await benchCli([`${fixture('failing.py')}::touches`, '--call', call, '--python', PYTHON]);
      expect(run.code, call).toBe(2);
      expect(run.json?.error?.kind, call).toBe('invalid-call');
    }
    expect(fs.existsSync(marker)).toBe(false);
    // The module was never imported and the function never ran.
    expect(fs.existsSync(touched)).toBe(false);
  });
});
