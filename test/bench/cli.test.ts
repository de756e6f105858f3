/**
 * The benchmark through the CLI entry (`runBenchCli`, what `gil-lens bench`
 * runs) with the real python3: the three classic shapes of thread work, each
 * judged by ratios measured in the same run, never by absolute times.
 */
import { describe, expect, it } from 'vitest';
import { benchCli, CPUS, fixture, PYTHON, speedup, withCoresCheck } from './helpers';

const common = ['--python', PYTHON, '--free-threaded-python', '', '--budget', '1.5'];

describe('gil-lens bench (CLI)', () => {
  // Ratios on a shared, noisy 2-core machine: a burst of other work can steal a core for a whole
  // run, so the timing tests retry before they fail.
  it('CPU-bound pure Python: threads do not help, processes do when cores allow', { retry: 3 }, async (ctx) => {
    const { value: run, busy } = await withCoresCheck(() =>
      benchCli([`${fixture('cpu_bound.py')}::crunch`, '--call', 'crunch(150000)', '--workers', '2', ...common]),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.json?.function).toBe('crunch');
    expect(run.json?.workers).toBe(2);
    expect(run.json?.modes.map((m) => m.mode)).toEqual(['sequential', 'threads', 'processes']);
    expect(speedup(run.json, 'threads')).toBeLessThan(1.3);
    if (!busy) {
      // Processes run the same calls in parallel: they beat threads clearly.
      expect(speedup(run.json, 'processes')).toBeGreaterThan(1.3);
      expect(speedup(run.json, 'processes')).toBeGreaterThan(speedup(run.json, 'threads') * 1.2);
    } else {
      ctx.annotate(`processes speedup not checked: ${busy}`);
    }
    expect(run.json?.verdict).toMatch(/threads \d\.\d\d×/);
  });

  it('time.sleep: four threads overlap their waits', { retry: 3 }, async () => {
    const run = await benchCli([`${fixture('sleepy.py')}::wait`, '--call', 'wait(0.04)', '--workers', '4', ...common]);
    expect(run.code, run.stderr).toBe(0);
    expect(speedup(run.json, 'threads')).toBeGreaterThan(2.5);
    const seq = run.json?.modes.find((m) => m.mode === 'sequential');
    // Sleeping is waiting, not computing: the CPU time is a sliver of the wall time.
    expect(seq?.wait_fraction).toBeGreaterThan(0.5);
    expect(run.json?.verdict).toMatch(/overlap its waits/);
  });

  it.skipIf(CPUS < 2)(
    'hashlib on a large buffer releases the GIL: threads help on 2+ cores',
    { retry: 3 },
    async (ctx) => {
      const { value: run, busy } = await withCoresCheck(() =>
        benchCli([`${fixture('hashing.py')}::digest`, '--call', 'digest(1)', '--workers', '2', ...common]),
      );
      expect(run.code, run.stderr).toBe(0);
      if (busy) ctx.skip(`not measurable now: ${busy}`);
      expect(speedup(run.json, 'threads')).toBeGreaterThan(1.3);
    },
  );

  it('prints a readable table with --format text', async () => {
    let out = '';
    const { runBenchCli } = await import('../../server/src/bench/benchCli');
    const code = await runBenchCli(
      [
        `${fixture('sleepy.py')}::wait`,
        '--call',
        'wait(0.01)',
        '--workers',
        '2',
        '--python',
        PYTHON,
        '--budget',
        '0.5',
        '--free-threaded-python',
        '',
      ],
      { stdout: (t) => (out += t), stderr: () => {} },
    );
    expect(code).toBe(0);
    expect(out).toMatch(/threads\s+\d/);
    expect(out).toMatch(/×/);
  });

  it('rejects bad usage with exit status 2', async () => {
    expect((await benchCli(['no-function-here.py'])).code).toBe(2);
    expect((await benchCli([`${fixture('cpu_bound.py')}::crunch`, '--workers', 'many'])).code).toBe(2);
  });
});
