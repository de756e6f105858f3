/**
 * Race confirmation as one call: read the file, plan what runs (plan.ts),
 * run server/python/gil_lens_confirm.py with the forced switch on the normal
 * interpreter, then once more without it on a free-threaded interpreter when
 * there is one, and merge both answers into one ConfirmResult with a verdict.
 * Processes are started only by bench/harnessProcess.ts, the benchmark's
 * runner: no shell, a process group killed on timeout and cancellation, a
 * private temporary folder removed in every outcome. One deadline covers both
 * interpreters. Failures come back as the `error` verdict, never as a rejection.
 */
import path from 'node:path';
import { defaultConfig } from '../analysis/types';
import { findPythonScript, runPythonScript, type ScriptOutcome } from '../bench/harnessProcess';
import { discoverConfig } from '../config/loadConfig';
import { initSyntax } from '../engine';
import { readSource } from '../files/readSource';
import { type ConfirmEvent, parseConfirmLine, type ScriptRuns } from './confirmOutput';
import { planConfirm } from './plan';
import type { ConfirmEntry, ConfirmError, ConfirmPass, ConfirmRequest, ConfirmResult, PassName } from './types';
import { summarise } from './verdict';

export interface ConfirmOptions {
  signal?: AbortSignal;
  onSpawn?: (pgid: number) => void;
  onProgress?: (message: string) => void;
}

type ScriptResult = Extract<ConfirmEvent, { event: 'result' }>;

const SCRIPT = 'gil_lens_confirm.py';
/** Share of the time limit the script may plan its runs into; the rest is start-up and the free-threaded run. */
const BUDGET_SHARE = 0.6;

/** Runs the whole confirmation; every failure is an `error` verdict in the result. */
export async function runConfirm(request: ConfirmRequest, options: ConfirmOptions = {}): Promise<ConfirmResult> {
  const file = path.resolve(request.file);
  const result = emptyResult(request, file);
  const text = readWithLine(file, request.line);
  if (typeof text !== 'string') return failed(result, text);
  const plan = await analyse(file, text, request);
  if ('error' in plan) return failed(result, plan.error);
  result.entry = plan.entry ?? null;
  const deadline = Date.now() + request.timeoutSeconds * 1000;
  const main = await runPass(request, file, plan.entry?.call, 'forced-switch', deadline, options);
  if (!isRuns(main)) return failed(result, errorOf(main));
  addPass(result, 'forced-switch', main, request.runs);
  result.statement = { file, ...main.statement, finding: plan.finding ?? null };
  if (main.executions === 0 && main.evidence.length === 0) return failed(result, notReached(result, main));
  if (request.freeThreadedPython) {
    const ft = await runPass(request, file, plan.entry?.call, 'free-threaded', deadline, options);
    const stop = mergeFreeThreaded(result, ft);
    if (stop) return failed(result, stop);
  }
  return summarise(result);
}

/** The file's text, or why it cannot be confirmed on: unreadable, or shorter than the line. */
function readWithLine(file: string, line: number): string | ConfirmError {
  const source = readSource(file);
  if (!source.ok) return { kind: 'usage', message: `cannot read ${file}: ${source.reason}` };
  const lines = source.text.split('\n').length;
  if (line > lines)
    return { kind: 'no-statement', message: `line ${line} is past the end of ${file} (${lines} lines)` };
  return source.text;
}

type Analysed = { finding?: { rule: string; message: string }; entry?: ConfirmEntry } | { error: ConfirmError };

/** The finding on the line and, without --call, the function to run; a file the parser refuses gets the error verdict. */
async function analyse(file: string, text: string, request: ConfirmRequest): Promise<Analysed> {
  let plan: ReturnType<typeof planConfirm>;
  try {
    const syntax = await initSyntax();
    plan = planConfirm(syntax, { path: file, text }, request.line, configFor(file), request.call);
  } catch (err) {
    return { error: { kind: 'usage', message: `cannot analyse ${file}: ${(err as Error).message}` } };
  }
  if (plan.problem) return { error: plan.problem };
  const finding = plan.finding && { rule: plan.finding.rule, message: plan.finding.message };
  if (request.call !== undefined) return { finding };
  if (!plan.entry) return { error: { kind: 'no-entry', message: 'nothing to run; name the call to run with --call' } };
  return { finding, entry: plan.entry };
}

/** The project's `[tool.gil-lens]` settings, so the finding matches what `gil-lens check` reports. */
function configFor(file: string) {
  try {
    return discoverConfig([file]).config;
  } catch {
    return defaultConfig();
  }
}

async function runPass(
  request: ConfirmRequest,
  file: string,
  entryCall: string | undefined,
  pass: PassName,
  deadline: number,
  options: ConfirmOptions,
): Promise<ScriptOutcome<ScriptResult>> {
  const forced = pass === 'forced-switch';
  const remaining = Math.max(1, deadline - Date.now());
  // Only this JSON reaches Python, on stdin; the script checks the call before importing anything.
  const scriptRequest = {
    module_path: file,
    line: request.line,
    entry: entryCall ? entryCall.replace(/\(\)$/, '') : null,
    call: request.call ?? null,
    threads: request.threads,
    // The free-threaded interpreter runs once, without the forced switch.
    runs: forced ? request.runs : 1,
    force_switch: forced,
    budget_s: (remaining / 1000) * BUDGET_SHARE,
  };
  return runPythonScript<ScriptResult>({
    python: forced ? request.python : (request.freeThreadedPython as string),
    script: findPythonScript(SCRIPT),
    request: scriptRequest,
    parseLine: parseConfirmLine,
    what: 'the confirmation run',
    tmpPrefix: 'gil-lens-confirm-',
    timeoutMs: remaining,
    signal: options.signal,
    onSpawn: options.onSpawn,
    onProgress: (_mode, message) => options.onProgress?.(forced ? message : `free-threaded: ${message}`),
  });
}

function isRuns(outcome: ScriptOutcome<ScriptResult>): outcome is ScriptRuns {
  return outcome.event === 'result' && outcome.ok;
}

function errorOf(outcome: ScriptOutcome<ScriptResult>): ConfirmError {
  if (outcome.event === 'failed') {
    const { kind, message } = outcome.error;
    const known = ['timeout', 'cancelled', 'unavailable', 'harness'] as const;
    return { kind: (known as readonly string[]).includes(kind) ? (kind as ConfirmError['kind']) : 'harness', message };
  }
  if (!outcome.ok) return outcome.error;
  return { kind: 'harness', message: 'unexpected answer from the confirmation script' };
}

function addPass(result: ConfirmResult, pass: PassName, runs: ScriptRuns, requested: number): void {
  const info: ConfirmPass = {
    pass,
    python: runs.interpreter,
    forced_switch: pass === 'forced-switch',
    runs: runs.runs,
    executions: runs.executions,
    contended: runs.contended,
    forced_switches: runs.forced_switches,
    threads_seen: runs.threads_seen,
  };
  result.passes.push(info);
  result.runs += runs.runs;
  if (pass === 'forced-switch') result.python = runs.interpreter;
  else result.free_threaded_python = runs.interpreter;
  if (result.entry) result.threads = Math.max(result.threads, runs.threads_seen);
  result.evidence.push(...runs.evidence.map((e) => ({ ...e, pass })));
  result.notes.push(...runs.notes.map((n) => (pass === 'free-threaded' ? `free-threaded: ${n}` : n)));
  result.errors.push(...runs.errors);
  if (pass === 'forced-switch' && runs.runs < requested && runs.evidence.length > 0) {
    result.notes.push(`stopped after run ${runs.runs} of ${requested}: the evidence was in`);
  }
}

/**
 * Adds the free-threaded run. A missing interpreter is a note; cancellation
 * stops everything, and so does a timeout while nothing has been seen yet. A
 * timeout after the forced-switch run already showed the race is a note: the
 * evidence stands whatever the second interpreter would have added.
 */
function mergeFreeThreaded(result: ConfirmResult, ft: ScriptOutcome<ScriptResult>): ConfirmError | undefined {
  if (!isRuns(ft)) {
    const error = errorOf(ft);
    if (error.kind === 'cancelled' || (error.kind === 'timeout' && result.evidence.length === 0)) return error;
    if (error.kind === 'timeout') {
      result.notes.push(`free-threaded run stopped: ${error.message}; the forced-switch run's evidence stands`);
      return undefined;
    }
    result.notes.push(`free-threaded run skipped: ${error.message}`);
    return undefined;
  }
  addPass(result, 'free-threaded', ft, 1);
  if (!ft.interpreter.free_threaded_build) {
    result.notes.push(`${ft.interpreter.executable} is not a free-threaded build (python3.13t or later)`);
  } else if (ft.interpreter.gil_enabled) {
    result.notes.push(
      'the free-threaded interpreter re-enabled the GIL (PYTHON_GIL=1, or an extension module that needs it)',
    );
  }
  return undefined;
}

function notReached(result: ConfirmResult, runs: ScriptRuns): ConfirmError {
  const what = result.entry ? result.entry.call : `${runs.function}(...) on each thread`;
  const raised = runs.errors[0]?.trim().split('\n').pop();
  return {
    kind: 'not-reached',
    message: `line ${runs.statement.line} never ran from its read to its write in ${runs.runs} run${runs.runs === 1 ? '' : 's'} of ${what}${raised ? `; the code raised ${raised}` : ''}`,
  };
}

function emptyResult(request: ConfirmRequest, file: string): ConfirmResult {
  return {
    version: 1,
    verdict: 'error',
    summary: '',
    file,
    statement: null,
    entry: null,
    runs: 0,
    threads: request.call !== undefined ? request.threads : 0,
    python: null,
    passes: [],
    evidence: [],
    notes: [],
    errors: [],
  };
}

function failed(result: ConfirmResult, error: ConfirmError): ConfirmResult {
  result.verdict = 'error';
  result.error = error;
  result.summary = `No verdict: ${error.message}`;
  return result;
}
