/**
 * Race confirmation on a free-threaded interpreter, from
 * scripts/build-free-threaded-python.sh in GIL_LENS_FREE_THREADED_PYTHON
 * (.ci/run sets it). After the forced-switch runs on the normal interpreter,
 * one run happens there without the forced switch: with no GIL the threads
 * really run at once, so the lost update shows up on its own, while the
 * locked twin still shows nothing.
 */
import { describe, expect, it } from 'vitest';
import { runConfirm } from '../../server/src/confirm/runConfirm';
import type { ConfirmRequest } from '../../server/src/confirm/types';
import { CPUS, FREE_THREADED, fixture, PYTHON } from './helpers';

const reason = !FREE_THREADED
  ? 'GIL_LENS_FREE_THREADED_PYTHON is not set; build one with scripts/build-free-threaded-python.sh'
  : CPUS < 2
    ? 'needs 2 or more cores'
    : '';

function request(file: string, line: number): ConfirmRequest {
  return {
    file: fixture(`confirm/${file}`),
    line,
    threads: 8,
    runs: 2,
    timeoutSeconds: 60,
    python: PYTHON,
    freeThreadedPython: FREE_THREADED,
  };
}

describe(`confirm on a free-threaded interpreter${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it.skipIf(Boolean(reason))(
    'shows the lost update without a forced switch, with the GIL off',
    { retry: 2 },
    async () => {
      const result = await runConfirm(request('global_counter.py', 10));
      expect(result.verdict, result.summary).toBe('confirmed');
      const ft = result.passes.find((p) => p.pass === 'free-threaded');
      expect(ft).toMatchObject({ forced_switch: false, forced_switches: 0, runs: 1 });
      expect(result.free_threaded_python).toMatchObject({ free_threaded_build: true, gil_enabled: false });
      const unforced = result.evidence.find((e) => e.pass === 'free-threaded');
      expect(unforced?.kind, JSON.stringify(result.evidence)).toBe('lost-update');
      expect(unforced?.count).toBeGreaterThan(0);
    },
  );

  it.skipIf(Boolean(reason))('observes nothing on the locked twin there either', async () => {
    const result = await runConfirm(request('global_counter_locked.py', 12));
    expect(result.verdict, JSON.stringify(result.evidence)).toBe('not-observed');
    expect(result.passes.map((p) => p.pass)).toEqual(['forced-switch', 'free-threaded']);
    expect(result.passes[1].executions).toBeGreaterThan(0);
  });
});
