/**
 * Validates what the Python harness prints before anything uses it, the way
 * bash-language-server checks shellcheck's JSON: every line of the harness's
 * protocol stream is parsed and checked field by field, and anything
 * malformed becomes a `harness` error rather than a crash or a wrong number.
 */
import type { BenchError, BenchErrorKind, InterpreterInfo } from './types';

export interface HarnessModeStats {
  mode: 'sequential' | 'threads' | 'processes';
  median_s: number;
  iqr_s: number;
  cpu_s: number;
  repeats: number;
  spread_warning: boolean;
  wait_fraction: number;
}

export type HarnessEvent =
  | { event: 'progress'; mode: string; message: string }
  | {
      event: 'result';
      ok: true;
      interpreter: InterpreterInfo;
      loops: number;
      call_s: number;
      modes: HarnessModeStats[];
      mode_errors: BenchError[];
    }
  | { event: 'result'; ok: false; interpreter?: InterpreterInfo; error: BenchError };

const ERROR_KINDS: readonly BenchErrorKind[] = [
  'exception',
  'import',
  'invalid-call',
  'not-found',
  'unpicklable',
  'usage',
  'harness',
];
const HARNESS_MODES = ['sequential', 'threads', 'processes'] as const;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function checkError(value: unknown): BenchError {
  if (!isObject(value) || typeof value.message !== 'string') throw new Error('error without a message');
  const kind = ERROR_KINDS.includes(value.kind as BenchErrorKind) ? (value.kind as BenchErrorKind) : 'harness';
  const error: BenchError = { kind, message: value.message };
  if (typeof value.traceback === 'string') error.traceback = value.traceback;
  if (value.mode === 'sequential' || value.mode === 'threads' || value.mode === 'processes') error.mode = value.mode;
  if (typeof value.rule === 'string') error.rule = value.rule;
  return error;
}

function checkMode(value: unknown): HarnessModeStats {
  if (!isObject(value) || !HARNESS_MODES.includes(value.mode as HarnessModeStats['mode'])) {
    throw new Error('mode with an unknown name');
  }
  for (const key of ['median_s', 'iqr_s', 'cpu_s', 'repeats', 'wait_fraction']) {
    if (!isFiniteNumber(value[key])) throw new Error(`mode ${String(value.mode)} has no valid ${key}`);
  }
  return {
    mode: value.mode as HarnessModeStats['mode'],
    median_s: value.median_s as number,
    iqr_s: value.iqr_s as number,
    cpu_s: value.cpu_s as number,
    repeats: value.repeats as number,
    spread_warning: value.spread_warning === true,
    wait_fraction: value.wait_fraction as number,
  };
}

function checkInterpreter(value: unknown): InterpreterInfo {
  if (!isObject(value) || typeof value.version !== 'string' || typeof value.executable !== 'string') {
    throw new Error('interpreter info is malformed');
  }
  return {
    executable: value.executable,
    version: value.version,
    gil_enabled: value.gil_enabled !== false,
    free_threaded_build: value.free_threaded_build === true,
  };
}

/** Parses one protocol line; throws with a reason when it is not a valid event. */
export function parseHarnessLine(line: string): HarnessEvent {
  const value: unknown = JSON.parse(line);
  if (!isObject(value)) throw new Error('not a JSON object');
  if (value.event === 'progress') {
    return { event: 'progress', mode: String(value.mode ?? ''), message: String(value.message ?? '') };
  }
  if (value.event !== 'result') throw new Error(`unknown event ${JSON.stringify(value.event)}`);
  if (value.ok === true) {
    if (!Array.isArray(value.modes) || !isFiniteNumber(value.loops) || !isFiniteNumber(value.call_s)) {
      throw new Error('result without modes');
    }
    return {
      event: 'result',
      ok: true,
      interpreter: checkInterpreter(value.interpreter),
      loops: value.loops,
      call_s: value.call_s,
      modes: value.modes.map(checkMode),
      mode_errors: Array.isArray(value.mode_errors) ? value.mode_errors.map(checkError) : [],
    };
  }
  return {
    event: 'result',
    ok: false,
    interpreter: value.interpreter === undefined ? undefined : checkInterpreter(value.interpreter),
    error: checkError(value.error),
  };
}
