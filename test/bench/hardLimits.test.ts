/**
 * The limits a benchmark run must keep whatever the user's code does: a run
 * returns at its timeout, or as soon as the harness is done, even when a child
 * that left the process group holds the harness's pipes open; and SIGTERM or
 * SIGHUP to `gil-lens bench` cancel the run as Ctrl-C does, killing the
 * harness and removing its temporary folder. The signal tests start the built CLI (bin/gil-lens.js) in a child
 * process, because a signal has to reach a whole gil-lens process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runBenchmark } from '../../server/src/bench/runBenchmark';
import { fixture, PYTHON } from './helpers';

const BIN = fileURLToPath(new URL('../../bin/gil-lens.js', import.meta.url));

const scratch: string[] = [];
const clis: ChildProcess[] = [];

function scratchDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gil-lens-limits-'));
  scratch.push(dir);
  return dir;
}

/** The process ids a fixture recorded, one a line. */
function recordedPids(file: string): number[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => Number(line));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone, which is what the test wanted.
  }
}

async function waitUntil(done: () => boolean, limitMs: number): Promise<void> {
  const until = Date.now() + limitMs;
  while (!done() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
}

afterEach(() => {
  // Whatever the tests and the fixtures started is killed, whether or not the test passed.
  for (const cli of clis.splice(0)) if (cli.exitCode === null && cli.signalCode === null) cli.kill('SIGKILL');
  for (const dir of scratch.splice(0)) {
    for (const pid of recordedPids(path.join(dir, 'pids'))) killQuietly(pid);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('the timeout is a hard limit', () => {
  it('returns on time when a child outside the process group keeps the pipes open', async () => {
    const pids = path.join(scratchDir(), 'pids');
    const started = Date.now();
    const result = await runBenchmark({
      file: fixture('escapes.py'),
      function: 'orphan_then_spin',
      call: `orphan_then_spin(${JSON.stringify(pids)})`,
      workers: 2,
      python: PYTHON,
      budgetSeconds: 0.5,
      timeoutSeconds: 2,
    });
    const elapsed = Date.now() - started;
    expect(result.error?.kind).toBe('timeout');
    // The orphan sleeps 20 s; returning well before that means its pipes were let go.
    expect(elapsed).toBeLessThan(8_000);
    const [orphan] = recordedPids(pids);
    expect(orphan).toBeGreaterThan(0);
    // The child that left the group is out of reach, as the README says.
    expect(alive(orphan)).toBe(true);
  });

  it('is not held up by a child that outlives a run that finished', async () => {
    const pids = path.join(scratchDir(), 'pids');
    const started = Date.now();
    const result = await runBenchmark({
      file: fixture('escapes.py'),
      function: 'orphan_then_return',
      call: `orphan_then_return(${JSON.stringify(pids)})`,
      workers: 2,
      python: PYTHON,
      budgetSeconds: 0.5,
      timeoutSeconds: 15,
    });
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(recordedPids(pids).length).toBeGreaterThan(0);
  });
});

describe('signals to gil-lens bench', () => {
  it.each(['SIGTERM', 'SIGHUP', 'SIGINT'] as const)(
    '%s kills the harness and removes its temporary folder',
    async (signal) => {
      const dir = scratchDir();
      const tmp = path.join(dir, 'tmp');
      fs.mkdirSync(tmp);
      const pids = path.join(dir, 'pids');
      const cli = spawn(
        process.execPath,
        [
          BIN,
          'bench',
          `${fixture('escapes.py')}::spin_and_record`,
          '--call',
          `spin_and_record(${JSON.stringify(pids)})`,
          '--python',
          PYTHON,
          '--timeout',
          '60',
        ],
        { env: { ...process.env, TMPDIR: tmp }, stdio: 'ignore' },
      );
      clis.push(cli);
      const exited = exitOf(cli);
      // The harness records its pid once the user's function runs.
      await waitUntil(() => recordedPids(pids).length > 0, 20_000);
      const [harness] = recordedPids(pids);
      expect(harness).toBeGreaterThan(0);
      expect(fs.readdirSync(tmp).filter((name) => name.startsWith('gil-lens-bench-'))).toHaveLength(1);

      cli.kill(signal);
      const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('hung'), 10_000))]);
      expect(code).toBe(1);
      await waitUntil(() => !alive(harness), 3_000);
      expect(alive(harness)).toBe(false);
      expect(fs.readdirSync(tmp)).toEqual([]);
    },
  );
});

function exitOf(child: ChildProcess): Promise<number | string | null> {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
}
