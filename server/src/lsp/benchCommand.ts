/**
 * The benchmark as an LSP command, `workspace/executeCommand`
 * `gil-lens.server.benchmark`, so any editor can run it. This module only
 * adapts: it validates the arguments, refuses in untrusted workspaces, picks
 * interpreters and numbers from the arguments and settings, reports work-done
 * progress per mode, and turns LSP cancellation into an AbortSignal that kills
 * the harness's process group. server.ts registers it; the work is in bench/.
 *
 * Argument: `{ uri, function, call, workers?, python?, freeThreadedPython? }`.
 * Result: the BenchResult JSON of `gil-lens bench --format json`. Failures of
 * the user's code (and a missing interpreter) are results with `ok: false`,
 * so the editor can show the traceback; bad arguments are ResponseErrors.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  type CancellationToken,
  ErrorCodes,
  ResponseError,
  type WorkDoneProgressReporter,
} from 'vscode-languageserver';
import { FREE_THREADED_NAMES, findFirst, freeThreadedFromEnv, PYTHON_NAMES } from '../bench/interpreters';
import { runBenchmark } from '../bench/runBenchmark';
import type { BenchRequest, BenchResult } from '../bench/types';
import type { Settings } from '../protocol';
import { normalizeSettings } from './settings';

export const BENCH_COMMAND = 'gil-lens.server.benchmark';

export interface BenchCommandContext {
  token: CancellationToken;
  progress: WorkDoneProgressReporter;
  log: (message: string) => void;
  trusted: boolean;
  settings: unknown;
}

export interface BenchArgs {
  uri: string;
  function: string;
  call: string;
  workers?: number;
  python?: string;
  freeThreadedPython?: string;
}

function invalid(message: string): ResponseError<void> {
  return new ResponseError(ErrorCodes.InvalidParams, `${BENCH_COMMAND}: ${message}`);
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalid(`${name} must be a string`);
  return value;
}

/** Checks the command's argument; executeCommand passes it as `arguments[0]` (or the array itself). */
export function validateBenchArgs(args: unknown): BenchArgs {
  const value = Array.isArray(args) ? args[0] : args;
  if (typeof value !== 'object' || value === null) throw invalid('expected { uri, function, call }');
  const raw = value as Record<string, unknown>;
  if (typeof raw.uri !== 'string' || !raw.uri.startsWith('file:')) throw invalid('uri must be a file: URI');
  if (typeof raw.function !== 'string' || !/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)?$/u.test(raw.function)) {
    throw invalid('function must be a name or Class.method');
  }
  if (typeof raw.call !== 'string' || !raw.call.trim()) throw invalid('call must be a call expression such as f(10)');
  const workers = raw.workers ?? undefined;
  if (workers !== undefined && (!Number.isInteger(workers) || (workers as number) < 0 || (workers as number) > 256)) {
    throw invalid('workers must be an integer from 0 to 256');
  }
  return {
    uri: raw.uri,
    function: raw.function,
    call: raw.call,
    workers: workers as number | undefined,
    python: optionalString(raw.python, 'python'),
    freeThreadedPython: optionalString(raw.freeThreadedPython, 'freeThreadedPython'),
  };
}

/** Picks interpreters and numbers: arguments, then settings, then PATH; each step is logged. */
function buildRequest(args: BenchArgs, settings: Settings, log: (message: string) => void): BenchRequest | undefined {
  const python = args.python ?? (settings.pythonPath || undefined) ?? findFirst(PYTHON_NAMES);
  log(`benchmark: python = ${python ?? 'none found (argument, gil-lens.pythonPath, python3, python on PATH)'}`);
  const freeThreaded =
    args.freeThreadedPython ??
    (settings.freeThreadedPythonPath || undefined) ??
    freeThreadedFromEnv() ??
    findFirst(FREE_THREADED_NAMES);
  log(`benchmark: free-threaded python = ${freeThreaded ?? 'none (mode skipped)'}`);
  if (!python) return undefined;
  const workers = args.workers || settings.benchmark.workers || os.availableParallelism();
  return {
    file: fileURLToPath(args.uri),
    function: args.function,
    call: args.call,
    workers,
    python,
    freeThreadedPython: freeThreaded,
    budgetSeconds: settings.benchmark.budgetSeconds > 0 ? settings.benchmark.budgetSeconds : 10,
    timeoutSeconds: settings.benchmark.timeoutSeconds > 0 ? settings.benchmark.timeoutSeconds : 60,
  };
}

function noInterpreter(args: BenchArgs): BenchResult {
  const message =
    'no Python interpreter found: set gil-lens.pythonPath, or put python3 on PATH (the benchmark is unavailable)';
  return {
    ok: false,
    function: args.function,
    file: fileURLToPath(args.uri),
    call: args.call,
    prediction: 'unknown',
    prediction_reasons: [],
    workers: args.workers ?? 0,
    cpu_count: os.availableParallelism(),
    modes: [],
    verdict: `No measurement: ${message}`,
    warnings: [],
    error: { kind: 'unavailable', message },
  };
}

export async function executeBenchmark(args: unknown, ctx: BenchCommandContext): Promise<unknown> {
  if (!ctx.trusted) {
    throw new ResponseError(
      ErrorCodes.InvalidRequest,
      'gil-lens: the benchmark runs your code, so it is disabled until you trust this workspace',
    );
  }
  const valid = validateBenchArgs(args);
  const request = buildRequest(valid, normalizeSettings(ctx.settings), ctx.log);
  if (!request) return noInterpreter(valid);
  const controller = new AbortController();
  const cancel = ctx.token.onCancellationRequested(() => controller.abort());
  ctx.progress.begin(`Benchmarking ${valid.function}`, 0, 'starting', true);
  try {
    const result = await runBenchmark(request, {
      signal: controller.signal,
      progress: (message, percentage) => ctx.progress.report(percentage, message),
    });
    ctx.log(`benchmark: ${result.verdict}`);
    return result;
  } finally {
    cancel.dispose();
    ctx.progress.done();
  }
}
