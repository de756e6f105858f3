/**
 * Validates what server/python/gil_lens_confirm.py prints before anything
 * uses it, as bench/harnessOutput.ts does for the benchmark: each protocol
 * line is parsed and checked field by field, and a malformed one becomes a
 * `harness` error rather than a crash or a wrong verdict.
 */
import type { InterpreterInfo } from '../bench/types';
import type {
  ConfirmError,
  ConfirmErrorKind,
  ConfirmStatement,
  EvidenceKind,
  Example,
  InterleavingStep,
} from './types';

/** One interpreter's answer, before the runner adds which pass it was. */
export interface ScriptRuns {
  event: 'result';
  ok: true;
  interpreter: InterpreterInfo;
  statement: Omit<ConfirmStatement, 'file' | 'finding'>;
  function: string;
  runs: number;
  executions: number;
  contended: number;
  forced_switches: number;
  threads_seen: number;
  evidence: Array<{ kind: EvidenceKind; line: number; count: number; example: Example }>;
  notes: string[];
  errors: string[];
}

export type ConfirmEvent =
  | { event: 'progress'; mode: string; message: string }
  | ScriptRuns
  | { event: 'result'; ok: false; interpreter?: InterpreterInfo; error: ConfirmError };

const ERROR_KINDS: readonly ConfirmErrorKind[] = [
  'usage',
  'no-statement',
  'invalid-call',
  'not-found',
  'import',
  'harness',
];
const EVIDENCE_KINDS: readonly EvidenceKind[] = ['lost-update', 'stale-check', 'exception'];
const LOCATIONS: readonly ConfirmStatement['location'][] = ['global', 'closure cell', 'attribute', 'item'];
const ACTIONS: readonly InterleavingStep['action'][] = ['read', 'checked', 'write'];

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error(`${name} is not a count`);
  return value;
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new Error(`${name} is not a string`);
  return value;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function checkInterpreter(value: unknown): InterpreterInfo {
  if (!isObject(value)) throw new Error('interpreter info is malformed');
  return {
    executable: text(value.executable, 'interpreter executable'),
    version: text(value.version, 'interpreter version'),
    gil_enabled: value.gil_enabled !== false,
    free_threaded_build: value.free_threaded_build === true,
  };
}

function checkStatement(value: unknown): ScriptRuns['statement'] {
  if (!isObject(value)) throw new Error('statement is malformed');
  const location = value.location as ConfirmStatement['location'];
  if (!LOCATIONS.includes(location)) throw new Error('statement has an unknown location');
  return {
    line: count(value.line, 'statement line'),
    end_line: count(value.end_line, 'statement end_line'),
    text: text(value.text, 'statement text'),
    target: text(value.target, 'statement target'),
    location,
    reads: value.reads === true,
    guard_line: value.guard_line === null ? null : count(value.guard_line, 'guard_line'),
  };
}

function checkStep(value: unknown): InterleavingStep {
  if (!isObject(value) || !ACTIONS.includes(value.action as InterleavingStep['action'])) {
    throw new Error('interleaving step is malformed');
  }
  const step: InterleavingStep = {
    thread: text(value.thread, 'step thread'),
    action: value.action as InterleavingStep['action'],
    version: count(value.version, 'step version'),
    line: count(value.line, 'step line'),
  };
  if (value.based_on !== undefined) step.based_on = count(value.based_on, 'step based_on');
  return step;
}

function checkExample(value: unknown): Example {
  if (!isObject(value)) throw new Error('evidence without an example');
  const example: Example = { text: text(value.text, 'example text') };
  for (const key of ['location', 'thread', 'other_thread', 'exception', 'message'] as const) {
    if (typeof value[key] === 'string') example[key] = value[key] as string;
  }
  if (Array.isArray(value.steps)) example.steps = value.steps.map(checkStep);
  return example;
}

function checkEvidence(value: unknown): ScriptRuns['evidence'][number] {
  if (!isObject(value) || !EVIDENCE_KINDS.includes(value.kind as EvidenceKind)) {
    throw new Error('evidence of an unknown kind');
  }
  return {
    kind: value.kind as EvidenceKind,
    line: count(value.line, 'evidence line'),
    count: count(value.count, 'evidence count'),
    example: checkExample(value.example),
  };
}

function checkError(value: unknown): ConfirmError {
  if (!isObject(value) || typeof value.message !== 'string') throw new Error('error without a message');
  const kind = ERROR_KINDS.includes(value.kind as ConfirmErrorKind) ? (value.kind as ConfirmErrorKind) : 'harness';
  const error: ConfirmError = { kind, message: value.message };
  if (typeof value.traceback === 'string') error.traceback = value.traceback;
  return error;
}

function checkRuns(value: Json): ScriptRuns {
  if (!Array.isArray(value.evidence)) throw new Error('result without evidence');
  return {
    event: 'result',
    ok: true,
    interpreter: checkInterpreter(value.interpreter),
    statement: checkStatement(value.statement),
    function: text(value.function, 'function'),
    runs: count(value.runs, 'runs'),
    executions: count(value.executions, 'executions'),
    contended: count(value.contended, 'contended'),
    forced_switches: count(value.forced_switches, 'forced_switches'),
    threads_seen: count(value.threads_seen, 'threads_seen'),
    evidence: value.evidence.map(checkEvidence),
    notes: strings(value.notes),
    errors: strings(value.errors),
  };
}

/** Parses one protocol line; throws with a reason when it is not a valid event. */
export function parseConfirmLine(line: string): ConfirmEvent {
  const value: unknown = JSON.parse(line);
  if (!isObject(value)) throw new Error('not a JSON object');
  if (value.event === 'progress') {
    return { event: 'progress', mode: String(value.mode ?? ''), message: String(value.message ?? '') };
  }
  if (value.event !== 'result') throw new Error(`unknown event ${JSON.stringify(value.event)}`);
  if (value.ok === true) return checkRuns(value);
  return {
    event: 'result',
    ok: false,
    interpreter: value.interpreter === undefined ? undefined : checkInterpreter(value.interpreter),
    error: checkError(value.error),
  };
}
