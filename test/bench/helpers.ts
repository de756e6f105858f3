/**
 * Shared helpers for the benchmark tests: fixture paths, running the CLI
 * in-process with captured output, and reading speedups from a result.
 * Budgets are small (about a second per run) because these run in `npm test`.
 */
import os from 'node:os';
import path from 'node:path';
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
export function coresBusy(): string {
  if (CPUS < 2) return `needs 2 or more cores (this machine has ${CPUS})`;
  const load = os.loadavg()[0];
  return load > CPUS + 0.5 ? `the machine is busy (1-minute load ${load.toFixed(1)} on ${CPUS} cores)` : '';
}
