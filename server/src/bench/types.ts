/**
 * The benchmark's data: what a caller asks for and what comes back. The JSON
 * printed by `gil-lens bench --format json` and returned by the LSP command
 * is exactly `BenchResult`, so field names use the snake_case of the issue's
 * contract. Speedups are the sequential median divided by the mode's median
 * for the same N calls.
 */
import type { Classification } from '../analysis/types';

export type BenchMode = 'sequential' | 'threads' | 'processes' | 'free-threaded-threads';

/** Why a run, or one mode of it, produced no timings. */
export type BenchErrorKind =
  | 'exception'
  | 'import'
  | 'invalid-call'
  | 'not-found'
  | 'unpicklable'
  | 'timeout'
  | 'cancelled'
  | 'unavailable'
  | 'usage'
  | 'harness';

export interface BenchError {
  kind: BenchErrorKind;
  message: string;
  /** The user's traceback, for exceptions and import errors. */
  traceback?: string;
  mode?: BenchMode;
  /** A rule the failure illustrates, e.g. `process-pool-hazard` for an unpicklable target. */
  rule?: string;
}

export interface ModeResult {
  mode: BenchMode;
  median_s: number | null;
  iqr_s: number | null;
  speedup: number | null;
  /** CPU seconds of all N calls in one sample (time.thread_time, summed over threads or workers). */
  cpu_s: number | null;
  repeats?: number;
  /** The interquartile range is over 10% of the median. */
  spread_warning?: boolean;
  /** Share of each task's wall time spent off the CPU (I/O waits, plus GIL waits on threads). */
  wait_fraction?: number;
  /** Free-threaded mode: the sequential median on the same interpreter, the speedup's baseline. */
  baseline_s?: number;
  /** Free-threaded mode: `sys._is_gil_enabled()` after the run. */
  gil_enabled?: boolean;
  error?: BenchError;
}

export interface BenchRequest {
  /** Absolute path of the Python file. */
  file: string;
  /** `name` or `Class.method`. */
  function: string;
  /** The call expression, e.g. `work(10)`; arguments must be literals. */
  call: string;
  /** N: calls per sample, threads and worker processes. */
  workers: number;
  python: string;
  freeThreadedPython?: string;
  budgetSeconds: number;
  timeoutSeconds: number;
}

export interface InterpreterInfo {
  executable: string;
  version: string;
  gil_enabled: boolean;
  free_threaded_build: boolean;
}

export interface BenchResult {
  ok: boolean;
  function: string;
  file: string;
  call: string;
  prediction: Classification;
  prediction_reasons: string[];
  workers: number;
  cpu_count: number;
  python?: InterpreterInfo;
  free_threaded_python?: InterpreterInfo;
  modes: ModeResult[];
  verdict: string;
  warnings: string[];
  /** Set when the run as a whole failed: the function raised, the import failed, a timeout. */
  error?: BenchError;
}

/** Progress for a caller's UI: a message and the share of the work done so far (0-100). */
export type ProgressReport = (message: string, percentage: number) => void;
