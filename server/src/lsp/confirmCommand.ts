/**
 * Race confirmation as an LSP command, `workspace/executeCommand`
 * `gil-lens.server.confirm`, so any editor can run it; it mirrors the
 * benchmark's command (benchCommand.ts). This module only adapts: it
 * validates the arguments, refuses in untrusted workspaces (the run imports
 * and runs the user's module), picks interpreters from the arguments,
 * settings and PATH, reports work-done progress, and turns LSP cancellation
 * into an AbortSignal, on which runConfirm kills the script's process group.
 * server.ts registers it; the work is in confirm/.
 *
 * Argument: `{ uri, line, call?, threads?, runs?, python?, freeThreadedPython? }`,
 * `line` 0-based as in LSP. Result: the ConfirmResult JSON of
 * `gil-lens confirm --format json`. Failures of the run (no interpreter, an
 * import error, the timeout, cancellation) are results with the `error`
 * verdict, so the editor can show them; bad arguments are ResponseErrors.
 * A confirmed race is handed to `onConfirmed`, which marks the diagnostic.
 */
import { fileURLToPath } from 'node:url';
import {
  type CancellationToken,
  ErrorCodes,
  ResponseError,
  type WorkDoneProgressReporter,
} from 'vscode-languageserver';
import { FREE_THREADED_NAMES, findFirst, freeThreadedFromEnv, PYTHON_NAMES } from '../bench/interpreters';
import { runConfirm } from '../confirm/runConfirm';
import type { ConfirmRequest, ConfirmResult } from '../confirm/types';
import { CONFIRM_COMMAND, type Settings } from '../protocol';
import { normalizeSettings } from './settings';

/** The CLI's defaults (`--threads 8 --runs 5`); the time limit is the benchmark's setting. */
const DEFAULT_THREADS = 8;
const DEFAULT_RUNS = 5;

export interface ConfirmCommandContext {
  token: CancellationToken;
  progress: WorkDoneProgressReporter;
  log: (message: string) => void;
  trusted: boolean;
  settings: unknown;
  /** The document version the run starts on, to tie a confirmation to the text it ran. */
  versionOf: (uri: string) => number | undefined;
  /** Called once a run has confirmed the race on `line` (0-based). */
  onConfirmed: (uri: string, line: number, version: number | undefined, result: ConfirmResult) => void;
}

export interface ConfirmArgs {
  uri: string;
  /** 0-based line of the statement. */
  line: number;
  call?: string;
  threads?: number;
  runs?: number;
  python?: string;
  freeThreadedPython?: string;
}

function invalid(message: string): ResponseError<void> {
  return new ResponseError(ErrorCodes.InvalidParams, `${CONFIRM_COMMAND}: ${message}`);
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalid(`${name} must be a string`);
  return value;
}

function optionalInteger(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw invalid(`${name} must be an integer from ${min} to ${max}`);
  }
  return value as number;
}

/** Checks the command's argument; executeCommand passes it as `arguments[0]` (or the array itself). */
export function validateConfirmArgs(args: unknown): ConfirmArgs {
  const value = Array.isArray(args) ? args[0] : args;
  if (typeof value !== 'object' || value === null) throw invalid('expected { uri, line }');
  const raw = value as Record<string, unknown>;
  if (typeof raw.uri !== 'string' || !raw.uri.startsWith('file:')) throw invalid('uri must be a file: URI');
  if (!Number.isInteger(raw.line) || (raw.line as number) < 0) throw invalid('line must be a 0-based line number');
  const call = optionalString(raw.call, 'call');
  if (call !== undefined && !call.trim()) throw invalid('call must be a call expression such as f(1)');
  return {
    uri: raw.uri,
    line: raw.line as number,
    call,
    threads: optionalInteger(raw.threads, 'threads', 2, 256),
    runs: optionalInteger(raw.runs, 'runs', 1, 10_000),
    python: optionalString(raw.python, 'python'),
    freeThreadedPython: optionalString(raw.freeThreadedPython, 'freeThreadedPython'),
  };
}

/** Picks interpreters as the benchmark does: arguments, then settings, then the environment and PATH; each step is logged. */
function buildRequest(
  args: ConfirmArgs,
  settings: Settings,
  log: (message: string) => void,
): ConfirmRequest | undefined {
  const python = args.python ?? (settings.pythonPath || undefined) ?? findFirst(PYTHON_NAMES);
  log(`confirm: python = ${python ?? 'none found (argument, gil-lens.pythonPath, python3, python on PATH)'}`);
  const freeThreaded =
    args.freeThreadedPython ??
    (settings.freeThreadedPythonPath || undefined) ??
    freeThreadedFromEnv() ??
    findFirst(FREE_THREADED_NAMES);
  log(`confirm: free-threaded python = ${freeThreaded ?? 'none (that run is skipped)'}`);
  if (!python) return undefined;
  return {
    file: fileURLToPath(args.uri),
    line: args.line + 1,
    call: args.call,
    threads: args.threads ?? DEFAULT_THREADS,
    runs: args.runs ?? DEFAULT_RUNS,
    timeoutSeconds: settings.benchmark.timeoutSeconds > 0 ? settings.benchmark.timeoutSeconds : 60,
    python,
    freeThreadedPython: freeThreaded,
  };
}

function noInterpreter(args: ConfirmArgs): ConfirmResult {
  const message =
    'no Python interpreter found: set gil-lens.pythonPath, or put python3 on PATH (race confirmation is unavailable)';
  return {
    version: 1,
    verdict: 'error',
    summary: `No verdict: ${message}`,
    file: fileURLToPath(args.uri),
    statement: null,
    entry: null,
    runs: 0,
    threads: 0,
    python: null,
    passes: [],
    evidence: [],
    notes: [],
    errors: [],
    error: { kind: 'unavailable', message },
  };
}

export async function executeConfirm(args: unknown, ctx: ConfirmCommandContext): Promise<ConfirmResult> {
  if (!ctx.trusted) {
    throw new ResponseError(
      ErrorCodes.InvalidRequest,
      'gil-lens: race confirmation runs your code, so it is disabled until you trust this workspace',
    );
  }
  const valid = validateConfirmArgs(args);
  const request = buildRequest(valid, normalizeSettings(ctx.settings), ctx.log);
  if (!request) return noInterpreter(valid);
  const version = ctx.versionOf(valid.uri);
  const controller = new AbortController();
  const cancel = ctx.token.onCancellationRequested(() => controller.abort());
  ctx.progress.begin(`Confirming the race at line ${request.line}`, undefined, 'starting', true);
  try {
    const result = await runConfirm(request, {
      signal: controller.signal,
      onProgress: (message) => ctx.progress.report(message),
    });
    ctx.log(`confirm: line ${request.line}: ${result.summary}`);
    if (result.verdict === 'confirmed') ctx.onConfirmed(valid.uri, valid.line, version, result);
    return result;
  } finally {
    cancel.dispose();
    ctx.progress.done();
  }
}
