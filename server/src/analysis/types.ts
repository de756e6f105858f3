/**
 * The analysis contract: what every rule returns and what the edges (CLI,
 * LSP, bench) consume. Findings are structured data, including their fixes,
 * so no edge ever parses a message. Positions use the model's Span (0-based
 * lines, UTF-16 columns); edges convert to their own conventions.
 */
import type { Span } from '../model/types';

export type { Span };

/** Stable rule ids: diagnostic code, fixture label, setting key and suppression name. */
export const RULE_IDS = ['shared-mutation', 'cpu-bound-thread', 'blocking-in-async', 'process-pool-hazard'] as const;
export type RuleId = (typeof RULE_IDS)[number];

export type Severity = 'error' | 'warning' | 'info' | 'hint';
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info', 'hint'];

export type Classification = 'cpu' | 'io' | 'native' | 'mixed' | 'unknown';

export interface TextEdit {
  span: Span;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
  /** The fix VS Code's auto-fix should pick. */
  isPreferred?: boolean;
}

export interface Finding {
  rule: RuleId;
  severity: Severity;
  span: Span;
  message: string;
  /**
   * The message's first sentence (what is wrong and why), where the rest is advice that the editor's
   * hover on the same span shows: diagnostics use it, the CLI prints the whole message.
   */
  summary?: string;
  fixes: Fix[];
  /** Structured facts the editor uses for hovers and code actions. */
  data?: FindingData;
}

export interface FindingData {
  /** shared-mutation: the state written, e.g. `counter`, `self.sent`, `Fetcher.total_bytes`. */
  state?: string;
  /** shared-mutation: thread entries reaching the write. */
  threads?: string[];
  /** shared-mutation: why the state is considered shared (library mode evidence). */
  sharedBecause?: string;
  /** shared-mutation: a lock that guards this state elsewhere, if any (its expression text). */
  lock?: string;
  /** cpu-bound-thread and process-pool-hazard: the target function's name and def line. */
  target?: string;
  targetLine?: number;
  /** cpu-bound-thread: the target is a module-level function (picklable by reference). */
  picklable?: boolean;
}

export interface Reason {
  text: string;
  /** 0-based line the reason points at. */
  line: number;
  kind: Classification | 'note';
}

export type SpawnKind =
  | 'thread'
  | 'thread-subclass'
  | 'timer'
  | 'thread-pool'
  | 'to-thread'
  | 'run-in-executor'
  | 'process'
  | 'process-pool'
  /** A pool's `initializer=`, which each worker runs once as it starts. */
  | 'initializer';

export interface Spawn {
  kind: SpawnKind;
  /** The spawn or submit call (for Thread subclasses: the constructor call). */
  span: Span;
  /** The API used, as written: `threading.Thread`, `pool.submit`, `asyncio.to_thread`. */
  api: string;
  /** Runs alongside other copies of itself (loop, comprehension, map, several sites). */
  concurrent: boolean;
  /** Executor variable text for pool submissions, if any. */
  executor?: string;
}

export interface ThreadTarget {
  name: string;
  /** The def line of the target (or the lambda). */
  span: Span;
  /** Where the target is handed to a thread or pool (first site). */
  spawns: Spawn[];
  classification: Classification;
  reasons: Reason[];
  /** Runs in several threads at once. */
  concurrent: boolean;
  /** A module-level function: ProcessPoolExecutor can pickle it by reference. */
  picklable: boolean;
  /** 'thread' targets share memory; 'process' targets run in worker processes. */
  runsIn: 'thread' | 'process';
}

/** A lock object and what it guards, for the lock hover. */
export interface LockInfo {
  /** The lock as written where it is used: `stats_lock`, `self._lock`. */
  name: string;
  /** Where it is created (or first used, when created elsewhere). */
  span: Span;
  /** `Lock`, `RLock`, `Condition`, `Semaphore`... */
  kind: string;
  /** State written while it is held. */
  guards: string[];
  /** Spans of the `with`/`acquire` sites, for hovers on any use. */
  uses: Span[];
}

export interface FileReport {
  path: string;
  findings: Finding[];
  threadTargets: ThreadTarget[];
  locks: LockInfo[];
  /** A per-file problem that stopped analysis (unreadable, binary, not UTF-8, too large). */
  error?: string;
  /**
   * Rules that failed on this file with an internal error (a defect of gil-lens, not of the file): their
   * findings are missing, the other rules' are reported.
   */
  internalErrors?: string[];
}

export type AssumeThreads = 'auto' | 'always' | 'never';

/** Effective configuration: defaults merged with pyproject.toml and editor settings. */
export interface Config {
  rules: Record<RuleId, Severity | 'off'>;
  /** Extra call names (qualified, e.g. `mylib.fetch`) that do I/O. */
  extraIo: string[];
  /** Extra call names that run GIL-releasing native code. */
  extraNative: string[];
  /** Extra names of lock factories or lock objects (`mylib.SpinLock`, `self._mutex`). */
  extraLocks: string[];
  assumeThreads: AssumeThreads;
}

export const DEFAULT_SEVERITY: Record<RuleId, Severity> = {
  'shared-mutation': 'warning',
  'cpu-bound-thread': 'warning',
  'blocking-in-async': 'warning',
  'process-pool-hazard': 'error',
};

export function defaultConfig(): Config {
  return { rules: { ...DEFAULT_SEVERITY }, extraIo: [], extraNative: [], extraLocks: [], assumeThreads: 'auto' };
}
