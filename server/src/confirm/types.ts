/**
 * Race confirmation's data: what a caller asks for and what comes back. The
 * JSON printed by `gil-lens confirm --format json` is exactly
 * `ConfirmResult`, so field names use the snake_case of issue 16's contract
 * (`version`, `verdict`, `statement`, `runs`, `threads`, `python`,
 * `evidence`). The verdict is `confirmed` or `not-observed`, never "safe":
 * runs that show nothing only say how much was tried.
 */
import type { InterpreterInfo } from '../bench/types';

export type ConfirmVerdict = 'confirmed' | 'not-observed' | 'error';

export type EvidenceKind = 'lost-update' | 'stale-check' | 'exception';

/** Why there is no verdict. */
export type ConfirmErrorKind =
  | 'usage'
  | 'no-statement'
  | 'no-entry'
  | 'not-reached'
  | 'invalid-call'
  | 'not-found'
  | 'import'
  | 'timeout'
  | 'cancelled'
  | 'unavailable'
  | 'harness';

export interface ConfirmError {
  kind: ConfirmErrorKind;
  message: string;
  /** The user's traceback, for import errors. */
  traceback?: string;
}

export interface ConfirmRequest {
  /** The Python file; relative paths are taken from the working directory. */
  file: string;
  /** 1-based line of the statement to confirm. */
  line: number;
  /** `--call`: N threads make this call at once. Without it, the function that starts the threads runs. */
  call?: string;
  threads: number;
  runs: number;
  timeoutSeconds: number;
  python: string;
  /** When set, one more run without the forced switch happens on this interpreter. */
  freeThreadedPython?: string;
}

/** One step of an interleaving: a thread's read, check or write of the location, with its version. */
export interface InterleavingStep {
  thread: string;
  action: 'read' | 'checked' | 'write';
  version: number;
  line: number;
  /** Writes: the version the thread's read or check saw. */
  based_on?: number;
}

/** One concrete example behind a piece of evidence. */
export interface Example {
  /** The interleaving as a sentence: "thread A read x at version 812 (line 9); thread B wrote version 813; ...". */
  text: string;
  /** The location as written, with an item's key filled in: `counts['alpha']`. */
  location?: string;
  thread?: string;
  other_thread?: string;
  steps?: InterleavingStep[];
  /** Exceptions: the exception's class name and message. */
  exception?: string;
  message?: string;
}

export interface Evidence {
  kind: EvidenceKind;
  line: number;
  count: number;
  example: Example;
  /** The run that saw it: with the forced switch, or on the free-threaded interpreter without it. */
  pass: PassName;
}

export type PassName = 'forced-switch' | 'free-threaded';

/** One interpreter's runs. */
export interface ConfirmPass {
  pass: PassName;
  python: InterpreterInfo;
  forced_switch: boolean;
  runs: number;
  /** Times the statement ran from its read (or check) to its write: the windows tried. */
  executions: number;
  /** Of those, the windows another thread entered the statement during. */
  contended: number;
  forced_switches: number;
  threads_seen: number;
}

export interface ConfirmStatement {
  file: string;
  line: number;
  end_line: number;
  text: string;
  /** The location written, as in the source: `hits`, `self.count`, `counts[word]`. */
  target: string;
  location: 'global' | 'closure cell' | 'attribute' | 'item';
  /** The statement reads the location before writing it (`+=`, `x = f(x)`). */
  reads: boolean;
  /** The line of the `if` whose check the statement acts on, for a check-then-act. */
  guard_line: number | null;
  /** The shared-mutation finding on this line, if the analysis reports one. */
  finding: { rule: string; message: string } | null;
}

/** What ran: the spawner the analysis found, or the user's call. */
export interface ConfirmEntry {
  kind: 'spawner' | 'call';
  call: string;
  /** Why this function: "starts the threads that run `record` (line 14)". */
  why: string;
}

export interface ConfirmResult {
  version: 1;
  verdict: ConfirmVerdict;
  /** One sentence for people: what was seen, or what was tried without seeing it. */
  summary: string;
  file: string;
  statement: ConfirmStatement | null;
  entry: ConfirmEntry | null;
  /** Runs made, over every interpreter. */
  runs: number;
  /** `--call`: the threads started per run; otherwise the most threads seen at the statement in one run. */
  threads: number;
  python: InterpreterInfo | null;
  free_threaded_python?: InterpreterInfo;
  passes: ConfirmPass[];
  evidence: Evidence[];
  notes: string[];
  /** Tracebacks of exceptions that ended a thread or the entry (at most three per interpreter). */
  errors: string[];
  error?: ConfirmError;
}
