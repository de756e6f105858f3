/**
 * The benchmark as one call, shared by the CLI and the LSP command: predict
 * statically, run the harness on the normal interpreter (sequential, threads,
 * processes), then on the free-threaded interpreter when there is one
 * (sequential and threads), and merge everything into one BenchResult with
 * speedups and a verdict. One deadline covers both processes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type HarnessOutcome, type HarnessRequest, runHarness } from './harnessProcess';
import { predict } from './prediction';
import type { BenchError, BenchRequest, BenchResult, ModeResult, ProgressReport } from './types';
import { spreadWarnings, verdict } from './verdict';

export interface BenchOptions {
  signal?: AbortSignal;
  progress?: ProgressReport;
  /** The file's text when an editor has unsaved changes; only the prediction reads it. */
  text?: string;
  onSpawn?: (pgid: number) => void;
}

/** Share of the budget that goes to the main interpreter when a free-threaded one also runs. */
const MAIN_SHARE = 0.65;

/** Runs the whole benchmark; failures come back in `result.error`, never as a rejection. */
export async function runBenchmark(request: BenchRequest, options: BenchOptions = {}): Promise<BenchResult> {
  const file = path.resolve(request.file);
  const progress = options.progress ?? (() => {});
  const base = emptyResult(request, file);
  if (!fs.existsSync(file)) return failed(base, { kind: 'usage', message: `${file} does not exist` });
  progress('Reading the static prediction', 0);
  const prediction = await predict(file, options.text, request.function);
  base.prediction = prediction.classification;
  base.prediction_reasons = prediction.reasons;
  const deadline = Date.now() + request.timeoutSeconds * 1000;
  const withFt = Boolean(request.freeThreadedPython);
  const mainBudget = withFt ? request.budgetSeconds * MAIN_SHARE : request.budgetSeconds;

  const main = await runHarness({
    python: request.python,
    request: harnessRequest(request, file, mainBudget, ['sequential', 'threads', 'processes']),
    timeoutMs: Math.max(1, deadline - Date.now()),
    signal: options.signal,
    onSpawn: options.onSpawn,
    onProgress: modeProgress(progress, withFt ? 0.7 : 1, 0),
  });
  if (main.event === 'failed' || !main.ok) return failed(base, outcomeError(main));
  base.python = main.interpreter;
  base.modes = main.modes.map((m) => ({ ...m, speedup: null }));
  base.modes.push(...main.mode_errors.map((error) => errorMode(error)));

  if (request.freeThreadedPython) {
    const ft = await runHarness({
      python: request.freeThreadedPython,
      request: harnessRequest(request, file, request.budgetSeconds - mainBudget, ['sequential', 'threads']),
      timeoutMs: Math.max(1, deadline - Date.now()),
      signal: options.signal,
      onSpawn: options.onSpawn,
      onProgress: modeProgress(progress, 0.3, 70),
    });
    const merged = mergeFreeThreaded(base, ft);
    if (merged) return failed(base, merged);
  }
  computeSpeedups(base.modes);
  base.warnings.push(...spreadWarnings(base.modes, base.prediction));
  base.verdict = verdict({
    prediction: base.prediction,
    modes: base.modes,
    workers: request.workers,
    cpuCount: base.cpu_count,
  });
  progress('Done', 100);
  return base;
}

function emptyResult(request: BenchRequest, file: string): BenchResult {
  return {
    ok: true,
    function: request.function,
    file,
    call: request.call,
    prediction: 'unknown',
    prediction_reasons: [],
    workers: request.workers,
    cpu_count: os.availableParallelism?.() ?? os.cpus().length,
    modes: [],
    verdict: '',
    warnings: [],
  };
}

function harnessRequest(
  request: BenchRequest,
  file: string,
  budget: number,
  modes: HarnessRequest['modes'],
): HarnessRequest {
  return {
    module_path: file,
    function: request.function,
    call: request.call,
    workers: request.workers,
    budget_s: budget,
    modes,
  };
}

/** Maps the harness's per-mode progress onto a slice of the overall percentage. */
function modeProgress(progress: ProgressReport, share: number, offset: number) {
  const order = ['sequential', 'threads', 'processes'];
  return (mode: string, message: string) => {
    const index = Math.max(0, order.indexOf(mode));
    progress(message, Math.round(offset + share * 100 * (index / order.length)));
  };
}

function outcomeError(outcome: HarnessOutcome): BenchError {
  if (outcome.event === 'failed') return outcome.error;
  if (!outcome.ok) return outcome.error;
  return { kind: 'harness', message: 'unexpected harness outcome' };
}

function errorMode(error: BenchError): ModeResult {
  const mode = error.mode ?? 'processes';
  return { mode, median_s: null, iqr_s: null, speedup: null, cpu_s: null, error };
}

function failed(result: BenchResult, error: BenchError): BenchResult {
  result.ok = false;
  result.error = error;
  result.verdict = `No measurement: ${error.message}`;
  return result;
}

/**
 * Adds the free-threaded threads mode. Its speedup is taken against the
 * sequential run on the same interpreter, which isolates the effect of the
 * GIL from the single-thread speed of the build. A missing free-threaded
 * interpreter is a warning; the user's function failing there is an error.
 */
function mergeFreeThreaded(result: BenchResult, ft: HarnessOutcome): BenchError | undefined {
  if (ft.event === 'failed' && ft.error.kind === 'unavailable') {
    result.warnings.push(`free-threaded mode skipped: ${ft.error.message}`);
    return undefined;
  }
  if (ft.event === 'failed' || !ft.ok) {
    const error = outcomeError(ft);
    if (error.kind === 'cancelled' || error.kind === 'timeout' || error.kind === 'exception') return error;
    result.modes.push(errorMode({ ...error, mode: 'free-threaded-threads' }));
    return undefined;
  }
  result.free_threaded_python = ft.interpreter;
  const seq = ft.modes.find((m) => m.mode === 'sequential');
  const threads = ft.modes.find((m) => m.mode === 'threads');
  if (!seq || !threads) return { kind: 'harness', message: 'the free-threaded run returned no timings' };
  if (!ft.interpreter.free_threaded_build) {
    result.warnings.push(`${ft.interpreter.executable} is not a free-threaded build (python3.13t or later)`);
  } else if (ft.interpreter.gil_enabled) {
    result.warnings.push(
      'the free-threaded interpreter re-enabled the GIL (PYTHON_GIL=1, or an extension module that is not free-threading safe)',
    );
  }
  result.modes.push({
    ...threads,
    mode: 'free-threaded-threads',
    speedup: threads.median_s > 0 ? seq.median_s / threads.median_s : null,
    baseline_s: seq.median_s,
    gil_enabled: ft.interpreter.gil_enabled,
  });
  return undefined;
}

function computeSpeedups(modes: ModeResult[]): void {
  const seq = modes.find((m) => m.mode === 'sequential')?.median_s;
  for (const m of modes) {
    if (m.mode === 'free-threaded-threads' || m.median_s === null || !seq) continue;
    m.speedup = m.median_s > 0 ? seq / m.median_s : null;
  }
}
