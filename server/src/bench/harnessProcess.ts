/**
 * Runs gil-lens's Python scripts in a child process: the only code in gil-lens
 * that spawns anything, together with interpreters.ts. Two scripts use it, the
 * benchmark harness (`runHarness`) and the race confirmation
 * (confirm/runConfirm.ts through `runPythonScript`). It follows the way
 * bash-language-server runs shellcheck:
 *
 * - no shell: the interpreter and the script path are argv entries, and the
 *   request (module path, function, call text, ...) goes to stdin as JSON, so
 *   nothing the user typed reaches a command line or code;
 * - `detached: true` makes the harness a process-group leader, so the hard
 *   timeout, cancellation and the end of the run kill the whole group with
 *   `process.kill(-pid)`, ProcessPoolExecutor workers included;
 * - the timeout is a hard limit: a child that left the group (`setsid`, a
 *   daemon) is out of reach of the kill and may hold the inherited pipes open,
 *   so once the harness has exited, or at the latest a grace period after the
 *   kill, the pipes are no longer read and the run returns;
 * - ENOENT means "no such interpreter": an `unavailable` error, not a crash;
 * - every protocol line is validated (harnessOutput.ts, or the caller's own
 *   parser) before use.
 *
 * Each run gets a private TMPDIR that is removed in every outcome, so files
 * that multiprocessing or the user's code leave there do not outlive the run.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type HarnessEvent, parseHarnessLine } from './harnessOutput';
import type { BenchError } from './types';

export interface HarnessRequest {
  module_path: string;
  function: string;
  call: string;
  workers: number;
  budget_s: number;
  modes: Array<'sequential' | 'threads' | 'processes'>;
}

export interface HarnessRunOptions {
  python: string;
  request: HarnessRequest;
  timeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (mode: string, message: string) => void;
  /** Called with the process-group id once the harness runs (tests check the group is gone). */
  onSpawn?: (pgid: number) => void;
  /** Overrides the harness file; by default it is found next to the bundle. */
  harnessPath?: string;
}

export type HarnessOutcome = Extract<HarnessEvent, { event: 'result' }> | { event: 'failed'; error: BenchError };

/** A line of a script's protocol: progress, or the script's own result. */
export type ScriptEvent<R> = { event: 'progress'; mode: string; message: string } | R;

/** How one Python script of gil-lens is run; `runHarness` fills these in for the benchmark. */
export interface ScriptRunOptions<R> {
  python: string;
  /** The .py file to run, usually from findPythonScript. */
  script: string;
  /** Sent as JSON on stdin; the module's folder is the working directory. */
  request: { module_path: string };
  /** Parses one protocol line; throws with a reason when it is not a valid event. */
  parseLine: (line: string) => ScriptEvent<R>;
  /** What the run is called in timeout and cancellation messages, e.g. "the benchmark". */
  what: string;
  /** Prefix of the run's private TMPDIR. */
  tmpPrefix: string;
  timeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (mode: string, message: string) => void;
  onSpawn?: (pgid: number) => void;
}

export type ScriptOutcome<R> = R | { event: 'failed'; error: BenchError };

const HARNESS_FILE = 'gil_lens_harness.py';
const MAX_PROTOCOL_BYTES = 4 * 1024 * 1024;
const STDERR_TAIL = 16 * 1024;
/** How long the pipes may stay open once the harness has exited before they are no longer read. */
const DRAIN_MS = 500;
/** How long a harness killed at the timeout or on cancellation gets to exit before the run returns anyway. */
const KILL_GRACE_MS = 2000;

/** The scripts ship next to the bundles in dist/; from sources they are in server/python/. */
export function findPythonScript(file: string): string {
  const candidates = [
    path.join(__dirname, file),
    path.join(__dirname, '..', '..', 'python', file),
    path.join(process.cwd(), 'server', 'python', file),
  ];
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found) throw new Error(`cannot find ${file}; run "npm run build"`);
  return found;
}

export function findHarness(): string {
  return findPythonScript(HARNESS_FILE);
}

/** Kills a process group; a group that is already gone is fine. */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: every process in the group has already exited.
  }
}

/** True while some process of the group exists (zombies included). */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Waits, bounded, until a killed group is gone. Pool workers are children of
 * the harness, not of Node, so they are reaped by init a moment after the
 * harness dies; resolving only then means no caller ever sees a live worker.
 */
async function waitForGroupExit(pgid: number, limitMs = 3000): Promise<void> {
  const until = Date.now() + limitMs;
  while (pgid && groupExists(pgid) && Date.now() < until) {
    killGroup(pgid);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts the harness and resolves with its validated result or a failure; never rejects. */
export async function runHarness(options: HarnessRunOptions): Promise<HarnessOutcome> {
  return runPythonScript<Extract<HarnessEvent, { event: 'result' }>>({
    ...options,
    script: options.harnessPath ?? findHarness(),
    parseLine: parseHarnessLine,
    what: 'the benchmark',
    tmpPrefix: 'gil-lens-bench-',
  });
}

/** Starts a script and resolves with its validated result or a failure; never rejects. */
export async function runPythonScript<R>(options: ScriptRunOptions<R>): Promise<ScriptOutcome<R>> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), options.tmpPrefix));
  try {
    return await new ScriptRun(options, tmp).start();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The state of one script process: its buffers, its timers and how it ended. */
class ScriptRun<R> {
  private protocol = '';
  private protocolBytes = 0;
  private stderrTail = '';
  private result: R | undefined;
  private failure: BenchError | undefined;
  private pgid = 0;
  private child: ChildProcessWithoutNullStreams | undefined;
  private timers: NodeJS.Timeout[] = [];
  private settled = false;
  private settle: (outcome: ScriptOutcome<R>) => void = () => {};
  private readonly onAbort = () => this.stop('cancelled', `${this.options.what} was cancelled`);

  constructor(
    private readonly options: ScriptRunOptions<R>,
    private readonly tmp: string,
  ) {}

  start(): Promise<ScriptOutcome<R>> {
    const { options } = this;
    if (options.signal?.aborted) return Promise.resolve(this.failed('cancelled', `${options.what} was cancelled`));
    return new Promise((resolve) => {
      this.settle = (outcome) => {
        if (this.settled) return;
        this.settled = true;
        for (const timer of this.timers) clearTimeout(timer);
        options.signal?.removeEventListener('abort', this.onAbort);
        resolve(outcome);
      };
      const child = this.spawnScript();
      this.child = child;
      this.after(options.timeoutMs, () => this.stop('timeout', this.timeoutMessage()));
      options.signal?.addEventListener('abort', this.onAbort, { once: true });
      this.listen(child);
      child.stdin.end(JSON.stringify(options.request));
    });
  }

  private spawnScript(): ChildProcessWithoutNullStreams {
    const { options } = this;
    // The child runs in the module's folder, so a relative interpreter path is made absolute first.
    const python = options.python.includes(path.sep) ? path.resolve(options.python) : options.python;
    return spawn(python, [options.script], {
      cwd: path.dirname(options.request.module_path),
      detached: true,
      shell: false,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: this.environment(),
    });
  }

  private listen(child: ChildProcessWithoutNullStreams): void {
    const { options } = this;
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'EACCES') {
        this.settle(
          this.failed('unavailable', `the Python interpreter "${options.python}" was not found (${err.code})`),
        );
      } else {
        this.settle(this.failed('harness', `cannot run ${options.python}: ${err.message}`));
      }
    });
    child.on('spawn', () => {
      this.pgid = child.pid ?? 0;
      options.onSpawn?.(this.pgid);
      // A cancellation that arrived before the process existed takes effect now.
      if (this.failure) killGroup(this.pgid);
    });
    child.on('exit', () => {
      // Once the leader exits, anything left in its group (pool workers, the
      // user's own children) is killed too.
      if (this.pgid) killGroup(this.pgid);
      // A child that left the group (setsid, a daemon) keeps the inherited
      // pipes open for as long as it lives, and 'close' waits for it. What the
      // harness wrote is already in the pipes, so after a short drain stop reading.
      this.after(DRAIN_MS, () => this.releasePipes());
    });
    child.on('close', (code, signal) => {
      const outcome = this.outcome(code, signal);
      void waitForGroupExit(this.pgid).then(() => this.settle(outcome));
    });
    child.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    child.stdin.on('error', () => {
      // The harness may exit before reading stdin (a broken interpreter); 'close' reports it.
    });
  }

  /** A timer that is cleared when the run settles, so none outlives it. */
  private after(ms: number, action: () => void): void {
    if (this.settled) return;
    this.timers.push(setTimeout(action, ms));
  }

  /**
   * Stops reading the harness's pipes; once the harness has exited, 'close'
   * follows at once. The pipes are destroyed on the next turn of the event
   * loop, after its I/O phase, so bytes already waiting in them are still read.
   */
  private releasePipes(): void {
    setImmediate(() => {
      this.child?.stdout.destroy();
      this.child?.stderr.destroy();
    });
  }

  /**
   * Kills the group for a timeout or cancellation; 'exit' and 'close' then
   * resolve. The timeout is a hard limit: should the harness not die within a
   * grace period, the run returns anyway.
   */
  private stop(kind: 'timeout' | 'cancelled', message: string): void {
    this.failure ??= { kind, message };
    if (this.pgid) killGroup(this.pgid);
    this.after(KILL_GRACE_MS, () => {
      this.releasePipes();
      this.settle(this.outcome(null, null));
    });
  }

  private environment(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      TMPDIR: this.tmp,
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONUNBUFFERED: '1',
      PYTHONIOENCODING: 'utf-8',
    };
  }

  private timeoutMessage(): string {
    return `${this.options.what} was stopped after the ${Math.round(this.options.timeoutMs / 1000)} s timeout; use a smaller call or raise the timeout`;
  }

  private onStdout(chunk: Buffer): void {
    this.protocolBytes += chunk.length;
    if (this.protocolBytes > MAX_PROTOCOL_BYTES) {
      this.failure ??= { kind: 'harness', message: 'the harness wrote more output than expected' };
      if (this.pgid) killGroup(this.pgid);
      return;
    }
    this.protocol += chunk.toString('utf8');
    let newline = this.protocol.indexOf('\n');
    while (newline >= 0) {
      this.onLine(this.protocol.slice(0, newline));
      this.protocol = this.protocol.slice(newline + 1);
      newline = this.protocol.indexOf('\n');
    }
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    let event: ScriptEvent<R>;
    try {
      event = this.options.parseLine(line);
    } catch (err) {
      this.failure ??= {
        kind: 'harness',
        message: `the harness answered with invalid JSON: ${(err as Error).message}`,
      };
      return;
    }
    if (isProgress(event)) this.options.onProgress?.(event.mode, event.message);
    else this.result = event;
  }

  private outcome(code: number | null, signal: NodeJS.Signals | null): ScriptOutcome<R> {
    if (this.protocol.trim()) this.onLine(this.protocol);
    if (this.failure) return { event: 'failed', error: this.failure };
    if (this.result) return this.result;
    const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
    const stderr = this.stderrTail.trim();
    return this.failed('harness', `the Python process ${how} without a result${stderr ? `:\n${stderr}` : ''}`);
  }

  private failed(kind: BenchError['kind'], message: string): ScriptOutcome<R> {
    return { event: 'failed', error: { kind, message } };
  }
}

function isProgress<R>(event: ScriptEvent<R>): event is { event: 'progress'; mode: string; message: string } {
  return (event as { event?: unknown }).event === 'progress';
}
