/**
 * Shared helpers for the benchmark tests: fixture paths, running the CLI
 * in-process with captured output, and reading speedups from a result.
 * Budgets are small (about a second per run) because these run in `npm test`.
 */
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { runBenchCli } from '../../server/src/bench/benchCli';
import type { BenchMode, BenchResult } from '../../server/src/bench/types';

export const FIXTURES = path.join(__dirname, 'fixtures');
export const CPUS = os.availableParallelism();
export const PYTHON = process.env.GIL_LENS_TEST_PYTHON ?? 'python3';
export const FREE_THREADED = process.env.GIL_LENS_FREE_THREADED_PYTHON;

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json?: BenchResult;
}

/** Runs `gil-lens bench ...args --format json` in-process. */
export async function benchCli(args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runBenchCli([...args, '--format', 'json'], {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  let json: BenchResult | undefined;
  try {
    json = JSON.parse(stdout) as BenchResult;
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json };
}

export function speedup(result: BenchResult | undefined, mode: BenchMode): number {
  const value = result?.modes.find((m) => m.mode === mode)?.speedup;
  if (typeof value !== 'number') throw new Error(`no ${mode} speedup in ${JSON.stringify(result?.modes)}`);
  return value;
}

/** True while any process of the group is alive; `kill(-pgid, 0)` throws ESRCH once it is empty. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/**
 * Whether the machine has a spare core for a parallel-speedup check. On a
 * shared 2-core machine another job can hold a core for a whole run; then a
 * processes or free-threaded speedup measures the other job, not the GIL.
 * Returns the reason to skip, or '' when the check is meaningful.
 */
export async function coresBusy(): Promise<string> {
  if (CPUS < 2) return `needs 2 or more cores (this machine has ${CPUS})`;
  const load = os.loadavg()[0];
  if (load > CPUS + 0.5) return `the machine is busy (1-minute load ${load.toFixed(1)} on ${CPUS} cores)`;
  // The load average lags by a minute; measure now whether two busy threads really run side by side.
  const capacity = await parallelCapacity();
  return capacity < 1.6 ? `only ${capacity.toFixed(2)} cores' worth of CPU is free right now` : '';
}

/**
 * Run a measurement with the parallel-capacity check on both sides of it: another job that takes a
 * core during the run spoils a multi-core ratio even when the machine was free just before.
 */
export async function withCoresCheck<T>(run: () => Promise<T>): Promise<{ value: T; busy: string }> {
  const before = await coresBusy();
  const value = await run();
  const after = before ? '' : await coresBusy();
  return { value, busy: before || after };
}

/** Two equal busy loops on worker threads, timed together against one alone: 2.0 means two free cores. */
async function parallelCapacity(): Promise<number> {
  const code = `const { parentPort } = require('node:worker_threads');
    let x = 0; const t0 = performance.now();
    for (let i = 0; i < 60_000_000; i++) x = (x + i * 7) % 1000003;
    parentPort.postMessage(performance.now() - t0 + (x < 0 ? 1 : 0));`;
  const run = (n: number) =>
    Promise.all(
      Array.from(
        { length: n },
        () =>
          new Promise<number>((resolve, reject) => {
            const w = new Worker(code, { eval: true });
            w.once('message', (ms: number) => {
              resolve(ms);
              void w.terminate();
            });
            w.once('error', reject);
          }),
      ),
    );
  const started = performance.now();
  await run(1);
  const alone = performance.now() - started;
  const again = performance.now();
  await run(2);
  const together = performance.now() - again;
  return (2 * alone) / together;
}
