/**
 * `gil-lens confirm` with a real python3: a race shown on a global `+=` in
 * threads that a no-argument main() starts, on a dict read-modify-write in a
 * ThreadPoolExecutor and on a lazily created module singleton driven with
 * --call; nothing observed on the locked twin of each; hostile --call texts
 * rejected before the module is imported; an endless loop killed at the
 * timeout with its process group; and the error verdict for bad input.
 * Most cases call runConfirm with no free-threaded interpreter, so what they
 * check does not depend on which interpreters the machine has.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runConfirmCli } from '../../server/src/confirm/confirmCli';
import { runConfirm } from '../../server/src/confirm/runConfirm';
import type { ConfirmRequest, ConfirmResult } from '../../server/src/confirm/types';
import { fixture, groupAlive, PYTHON } from './helpers';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gil-lens-confirm-test-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function confirmFixture(name: string): string {
  return fixture(path.join('confirm', name));
}

function request(file: string, line: number, over: Partial<ConfirmRequest> = {}): ConfirmRequest {
  return {
    file: confirmFixture(file),
    line,
    threads: 8,
    runs: 3,
    timeoutSeconds: 60,
    python: PYTHON,
    ...over,
  };
}

/** Runs `gil-lens confirm ...args` in-process and returns its status, output and parsed JSON. */
async function confirmCli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runConfirmCli(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  const json = args.includes('json') ? (JSON.parse(stdout) as ConfirmResult) : undefined;
  return { code, stdout, stderr, json };
}

function expectConfirmed(result: ConfirmResult, kind: string, line: number): void {
  expect(result.verdict, result.summary).toBe('confirmed');
  const evidence = result.evidence.find((e) => e.kind === kind);
  expect(evidence, JSON.stringify(result.evidence)).toBeDefined();
  expect(evidence?.line).toBe(line);
  expect(evidence?.count).toBeGreaterThan(0);
  const steps = evidence?.example.steps ?? [];
  expect(steps).toHaveLength(3);
  // The interleaving: one thread reads or checks, another writes, the first writes on a stale version.
  expect(steps[0].thread).toBe(steps[2].thread);
  expect(steps[1].thread).not.toBe(steps[0].thread);
  expect(steps[2].based_on).toBe(steps[0].version);
  expect(steps[1].version).toBeGreaterThan(steps[0].version);
}

function expectNotObserved(result: ConfirmResult): void {
  expect(result.verdict, JSON.stringify(result.evidence)).toBe('not-observed');
  expect(result.evidence).toEqual([]);
  expect(result.passes[0].executions).toBeGreaterThan(0);
  expect(result.passes[0].forced_switches).toBeGreaterThan(0);
  expect(result.summary).toMatch(/^Not observed: \d+ runs?, [\d,]+ read-write windows?/);
  expect(result.summary).not.toMatch(/safe/i);
}

describe('confirm: a global += in threads that main() starts', () => {
  it('shows a lost update, running main() found by the analysis (exit 1)', async () => {
    const run = await confirmCli([`${confirmFixture('global_counter.py')}:10`, '--python', PYTHON, '--format', 'json']);
    expect(run.code, run.stderr).toBe(1);
    const result = run.json as ConfirmResult;
    expectConfirmed(result, 'lost-update', 10);
    expect(result.version).toBe(1);
    expect(result.entry).toMatchObject({ kind: 'spawner', call: 'main()' });
    expect(result.entry?.why).toMatch(/starts the threads that run `record`/);
    // main() starts four threads, and all of them reached the statement.
    expect(result.threads).toBe(4);
    expect(result.statement).toMatchObject({ line: 10, text: 'hits += 1', target: 'hits', location: 'global' });
    expect(result.statement?.finding?.rule).toBe('shared-mutation');
    expect(result.python?.version).toMatch(/^3\./);
    expect(result.evidence[0].example.text).toMatch(
      /^thread .+ read hits at version \d+ \(line 10\); thread .+ wrote version \d+.*; thread .+ wrote version \d+ based on \d+/,
    );
  });

  it('prints the interleaving as text', async () => {
    const run = await confirmCli([`${confirmFixture('global_counter.py')}:10`, '--python', PYTHON, '--runs', '2']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/global_counter\.py:10: `hits \+= 1` \(global `hits`\)/);
    expect(run.stdout).toMatch(/^verdict: confirmed$/m);
    expect(run.stdout).toMatch(/^lost update at line 10: [\d,]+×$/m);
    expect(run.stdout).toMatch(/read hits at version \d+ \(line 10\)/);
    expect(run.stdout).toMatch(/wrote hits as version \d+, based on version \d+ \(line 10\)/);
  });

  it('observes nothing on the locked twin (exit 0)', async () => {
    const run = await confirmCli([
      `${confirmFixture('global_counter_locked.py')}:12`,
      '--python',
      PYTHON,
      '--runs',
      '2',
      '--format',
      'json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const result = run.json as ConfirmResult;
    expectNotObserved(result);
    expect(result.entry?.call).toBe('main()');
    // The lock keeps every other thread out of the statement's read-write window.
    expect(result.passes[0].contended).toBe(0);
    expect(result.statement?.finding).toBeNull();
  });
});

describe('confirm: a free-threaded run that times out after the evidence is in', () => {
  it('keeps the confirmed verdict and says the second run was stopped', async () => {
    // A stand-in interpreter that never answers: the forced-switch run confirms, the second one times out.
    const stuck = path.join(scratch, 'stuck-python');
    fs.writeFileSync(stuck, '#!/bin/sh\nexec sleep 60\n', { mode: 0o755 });
    const result = await runConfirm(
      request('global_counter.py', 10, { runs: 1, timeoutSeconds: 8, freeThreadedPython: stuck }),
    );
    expect(result.verdict, result.summary).toBe('confirmed');
    expect(result.notes.join('\n')).toMatch(/free-threaded run stopped/);
  }, 60_000);
});

describe('confirm: a dict read-modify-write in a ThreadPoolExecutor', () => {
  it('shows a lost update on one key', async () => {
    const result = await runConfirm(request('word_counts.py', 11));
    expectConfirmed(result, 'lost-update', 11);
    expect(result.statement).toMatchObject({ location: 'item', target: 'counts[word]', reads: true });
    expect(result.evidence[0].example.location).toMatch(/^counts\['(alpha|beta|gamma|delta)'\]$/);
    expect(result.entry?.why).toMatch(/`count`/);
  });

  it('observes nothing on the locked twin', async () => {
    const result = await runConfirm(request('word_counts_locked.py', 14));
    expectNotObserved(result);
    expect(result.runs).toBe(3);
  });
});

describe('confirm: a lazily created module singleton, driven with --call', () => {
  it('shows a stale check: two threads both create the object', async () => {
    const result = await runConfirm(request('lazy_registry.py', 18, { call: "register('x', None)" }));
    expectConfirmed(result, 'stale-check', 18);
    expect(result.statement).toMatchObject({ guard_line: 17, reads: false, target: '_registry' });
    expect(result.evidence[0].example.steps?.[0]).toMatchObject({ action: 'checked', line: 17 });
    expect(result.threads).toBe(8);
    expect(result.entry).toBeNull();
  });

  it('observes nothing on the double-checked, locked twin', async () => {
    const result = await runConfirm(request('lazy_registry_locked.py', 22, { call: "register('x', None)" }));
    expectNotObserved(result);
    expect(result.statement?.guard_line).toBe(21);
  });

  it('says what to do when no function without arguments starts the threads', async () => {
    const result = await runConfirm(request('lazy_registry.py', 18));
    expect(result.verdict).toBe('error');
    expect(result.error?.kind).toBe('no-entry');
    expect(result.error?.message).toMatch(/--call/);
  });
});

describe('confirm: hostile input', () => {
  it('rejects hostile --call texts before the module is imported', async () => {
    const imported = path.join(scratch, 'imported');
    const pwned = path.join(scratch, 'pwned');
    process.env.GIL_LENS_TEST_MARKER = imported;
    const hostile = [
      `__import__('os').system('touch ${pwned}')`,
      `os.system('touch ${pwned}')`,
      "bump(open('/etc/passwd').read())",
      `bump(__import__('os').system('touch ${pwned}'))`,
      'bump(*[1])',
      `bump(1); __import__('os').system('touch ${pwned}')`,
      'bump.__globals__',
      `bump(n=f"{__import__('os').system('touch ${pwned}')}")`,
      `(lambda: __import__('os').system('touch ${pwned}'))()`,
      `__builtins__.exec('open("${pwned}", "w")')`,
      'bump.__call__(1)',
    ];
    try {
      for (const call of hostile) {
        const run = await confirmCli([
          `${confirmFixture('marks_import.py')}:12`,
          '--call',
          call,
          '--python',
          PYTHON,
          '--format',
          'json',
        ]);
        expect(run.code, call).toBe(2);
        expect(run.json?.verdict, call).toBe('error');
        expect(run.json?.error?.kind, call).toBe('invalid-call');
      }
    } finally {
      delete process.env.GIL_LENS_TEST_MARKER;
    }
    expect(fs.existsSync(pwned)).toBe(false);
    // The module writes this file when it is imported: it never was.
    expect(fs.existsSync(imported)).toBe(false);
  });

  it('gives the error verdict for a line without an assignment, an unreadable file and a local variable', async () => {
    const blank = await runConfirm(request('lazy_registry.py', 3));
    expect(blank.error?.kind).toBe('no-statement');
    const ifLine = await runConfirm(request('lazy_registry.py', 17, { call: 'get_registry()' }));
    expect(ifLine.error?.kind).toBe('no-statement');
    const missing = await runConfirm(request('no_such_file.py', 1));
    expect(missing.error?.kind).toBe('usage');
    expect(missing.error?.message).toMatch(/cannot read/);
    const past = await runConfirm(request('lazy_registry.py', 999));
    expect(past.error?.kind).toBe('no-statement');
    for (const result of [blank, ifLine, missing, past]) {
      expect(result.verdict).toBe('error');
      expect(result.runs).toBe(0);
    }
    const local = path.join(scratch, 'local_write.py');
    fs.writeFileSync(local, 'def work():\n    total = 0\n    total += 1\n    return total\n');
    const localResult = await runConfirm({ ...request('x.py', 3, { call: 'work()' }), file: local });
    expect(localResult.error?.kind).toBe('no-statement');
    expect(localResult.error?.message).toMatch(/local variable of `work`/);
  });

  it('rejects bad arguments as usage errors (exit 2)', async () => {
    for (const args of [[], ['x.py'], ['x.py:0'], ['x.py:3', '--threads', '1'], ['x.py:3', '--format', 'sarif']]) {
      const run = await confirmCli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/^gil-lens confirm: /);
    }
  });
});

describe('confirm: limits', () => {
  /** Runs with TMPDIR pointed at an empty folder, to see that the run's temporary folder is gone afterwards. */
  async function withTmp<T>(run: () => Promise<T>): Promise<{ value: T; left: string[] }> {
    const tmp = fs.mkdtempSync(path.join(scratch, 'tmp-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const value = await run();
      return { value, left: fs.readdirSync(tmp) };
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  }

  it('kills an endless loop at the timeout, leaving no process in the group and no temporary folder', async () => {
    let pgid = 0;
    const started = Date.now();
    const { value: result, left } = await withTmp(() =>
      runConfirm(request('spins.py', 10, { timeoutSeconds: 2 }), {
        onSpawn: (id) => {
          pgid = id;
        },
      }),
    );
    expect(result.verdict).toBe('error');
    expect(result.error?.kind).toBe('timeout');
    expect(result.error?.message).toMatch(/stopped after the 2 s timeout/);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(pgid).toBeGreaterThan(0);
    expect(groupAlive(pgid)).toBe(false);
    expect(left).toEqual([]);
  });

  it('cancels a run and kills its group', async () => {
    const controller = new AbortController();
    let pgid = 0;
    const { value: result, left } = await withTmp(() =>
      runConfirm(request('spins.py', 10, { timeoutSeconds: 30 }), {
        signal: controller.signal,
        onSpawn: (id) => {
          pgid = id;
        },
        // Cancel once the first run has started, with the spinning threads inside the statement.
        onProgress: () => setTimeout(() => controller.abort(), 300),
      }),
    );
    expect(result.verdict).toBe('error');
    expect(result.error?.kind).toBe('cancelled');
    expect(groupAlive(pgid)).toBe(false);
    expect(left).toEqual([]);
  });
});
