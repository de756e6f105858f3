/**
 * Models many files on several threads: the main thread plus `jobs - 1`
 * worker threads (modelWorker.ts, bundled to dist/modelWorker.js next to the
 * bundle that starts it), each with its own parser. `jobs` 1 is the serial
 * path: every file is modelled in-process, one after another.
 *
 * Every thread takes the next unclaimed file from one counter in shared
 * memory, so no thread waits for another to hand out work and a thread that
 * meets a large file simply takes fewer. A worker reads, parses and extracts
 * the file itself and posts back the model, plain data that structured clone
 * copies; only the models cross threads, never text or trees. Outcomes land in
 * the slot of their file, so the result is in file order whoever modelled
 * what, and a skipped file keeps its place and its reason as in a serial run.
 * For `check` the main thread works too, which saves one worker's start-up
 * and the copy of the models it makes itself; between two files it yields, so
 * the models the workers posted are taken in while they keep working. The
 * language server's index asks for `workersOnly`, so its main thread stays
 * free for requests. A model crosses as JSON text: one flat string is cheap
 * to post, and V8's JSON.parse builds objects and arrays of exactly the size
 * their fields need. Against structured clone of the object graph, on the
 * stdlib, encoding takes 0.73× as long, decoding 0.88× and the decoded models
 * hold 0.85× the bytes. JSON drops fields whose value is `undefined`, which
 * the model's readers never tell apart from absent ones, and copies the one
 * object a model holds in two places (an import statement's span, shared by
 * the names it binds), which nothing compares by identity. For the language
 * server's index, a model's lines cross packed beside its JSON and stay packed
 * until read (packedLines.ts); for `check`, they do not cross at all and are
 * read from the file again if asked for (linesOnDisk.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Syntax } from '../engine';
import { newShareTable, shareValues } from '../model/shareValues';
import type { ModuleModel } from '../model/types';
import { type DroppedLines, dropLines, readLinesFromDisk } from './linesOnDisk';
import { isSkipped, type ModelOutcome, type ModelRequest, modelOrSkip } from './modelFile';
import { readLinesOnDemand, takeLines, unpackLines } from './packedLines';

/** The worker bundle's file name; esbuild.mjs writes it next to the other bundles. */
export const WORKER_FILE = 'modelWorker.js';

/** What the main thread sends a worker once, at its start. */
export interface WorkerInput {
  files: ModelRequest[];
  /** One Int32: the index of the next file nobody has claimed. */
  claims: SharedArrayBuffer;
  /** What becomes of each model's lines (PoolOptions.lines). */
  lines: KeptLines;
}

/**
 * What a worker posts: an outcome per file it claimed, as JSON text (with its lines packed, or what is kept
 * of them once dropped, as PoolOptions.lines says), then `done`, or the error that stopped it.
 */
export type WorkerMessage =
  | ({ index: number; json: string } & PostedLines)
  | { done: true }
  | { index: number; error: string };

/** A model's lines as a worker posts them: packed, or what is kept of them once dropped. */
export interface PostedLines {
  packed?: Uint8Array;
  dropped?: DroppedLines;
}

/**
 * Take the model's lines out as `kept` asks, leaving an empty list in their place: the worker does it before
 * posting, the main thread for the models it makes itself.
 */
export function detachLines(model: ModuleModel, kept: KeptLines): PostedLines {
  if (kept === 'packed') return { packed: takeLines(model) };
  if (kept === 'disk') return { dropped: dropLines(model) };
  return {};
}

/** All cores: the number of threads `check` models files on by default. */
export function defaultJobs(): number {
  return Math.max(1, os.availableParallelism());
}

/** The worker bundle next to the running bundle, or undefined when running from sources (as tests do). */
export function findWorkerScript(dir: string = __dirname): string | undefined {
  const file = path.join(dir, WORKER_FILE);
  return fs.existsSync(file) ? file : undefined;
}

/** What becomes of a model's lines once it is made (PoolOptions.lines). */
export type KeptLines = 'plain' | 'packed' | 'disk';

export interface PoolOptions {
  /** Threads that model files, the main thread included unless `workersOnly`. */
  jobs: number;
  /** The worker bundle; by default modelWorker.js next to the running bundle. */
  script?: string;
  /** Leave the main thread free (the language server answers requests meanwhile): `jobs` workers do all the work. */
  workersOnly?: boolean;
  /** Called as each file's outcome arrives, in whatever order the threads finish. */
  onOutcome?: (index: number, outcome: ModelOutcome) => void;
  /**
   * What becomes of each model's lines; `plain` (the default) keeps them as strings. `packed` keeps them
   * packed until something reads them (packedLines.ts), for models kept a long time while their files
   * may change: the language server's index of 2,672 files settled at about 0.95x the RSS. `disk` drops
   * them and reads the file again if something asks (linesOnDisk.ts), for `check`, whose models live
   * seconds. For `check`, packing had raised the peak by the native memory zlib and the posted buffers
   * take; dropping lowered the bench's peak RSS (732 stdlib files) to about 0.92x, and shortens what
   * workers post. On four stdlib copies the peak, set later by the analysis, moved within noise.
   */
  lines?: KeptLines;
  /** With `lines: 'disk'`: called when a file's lines were asked for and it had changed since it was modelled. */
  onChangedOnDisk?: (index: number) => void;
  /** Asked after each file; once true, no file is claimed any more and the outcomes are left incomplete. */
  cancelled?: () => boolean;
}

/**
 * Model `files` on `jobs` threads; outcomes come back in the order of `files`.
 * Throws when a worker is needed and its script is missing, or when a thread
 * fails on a file for any reason but the reader's or the parser's refusal.
 */
export async function modelFiles(syntax: Syntax, files: ModelRequest[], options: PoolOptions): Promise<ModelOutcome[]> {
  const outcomes: ModelOutcome[] = new Array(files.length);
  const claims = new SharedArrayBuffer(4);
  const counter = new Int32Array(claims);
  let landed = 0;
  let allLanded = () => {};
  const everyOutcome = new Promise<void>((resolve) => {
    allLanded = resolve;
  });
  const shares = newShareTable();
  const kept = options.lines ?? 'plain';
  const onChanged = options.onChangedOnDisk ?? (() => {});
  const land = (index: number, outcome: ModelOutcome, posted?: PostedLines) => {
    if (kept === 'plain' || isSkipped(outcome)) outcomes[index] = shareValues(outcome, shares);
    else {
      // A worker's model arrives with its lines taken out; one made on this thread has them taken out here.
      const { packed, dropped } = posted ?? detachLines(outcome, kept);
      const model = shareValues(outcome, shares);
      outcomes[index] = packed
        ? readLinesOnDemand(model, () => unpackLines(packed))
        : readLinesFromDisk(model, files[index], dropped as DroppedLines, () => onChanged(index));
    }
    if (++landed === files.length) allLanded();
    options.onOutcome?.(index, outcome);
    // Claiming past the end stops every thread after the file it is on.
    if (options.cancelled?.()) Atomics.store(counter, 0, files.length);
  };
  const mainHelps = options.workersOnly !== true;
  // Each thread must have at least one file to be worth starting.
  const workers = Math.min(options.jobs, files.length) - (mainHelps ? 1 : 0);
  if (workers <= 0) {
    for (let i = Atomics.add(counter, 0, 1); i < files.length; i = Atomics.add(counter, 0, 1)) {
      land(i, modelOrSkip(syntax, files[i]));
    }
    return outcomes;
  }
  const script = options.script ?? findWorkerScript();
  if (!script) throw new Error(`cannot find ${WORKER_FILE} next to ${__dirname}; run "npm run build"`);
  const started = Array.from({ length: workers }, () => runWorker(script, { files, claims, lines: kept }, land, files));
  try {
    if (mainHelps) {
      for (let i = Atomics.add(counter, 0, 1); i < files.length; i = Atomics.add(counter, 0, 1)) {
        land(i, modelOrSkip(syntax, files[i]));
        await yieldToMessages();
      }
    }
    // Once every file is in, a worker still starting has nothing left to do: it is stopped rather than awaited.
    await Promise.race([Promise.all(started.map((run) => run.finished)), everyOutcome]);
    await Promise.allSettled(started.map((run) => run.stop()));
  } catch (error) {
    // Nobody will use the rest: stop the workers rather than let them model every remaining file.
    Atomics.store(counter, 0, files.length);
    await Promise.allSettled(started.map((run) => run.stop()));
    throw error;
  }
  return outcomes;
}

interface RunningWorker {
  finished: Promise<void>;
  stop: () => Promise<number>;
}

/** Start one worker; `finished` resolves once it has posted every file it claimed. */
function runWorker(
  script: string,
  input: WorkerInput,
  land: (index: number, outcome: ModelOutcome, posted: PostedLines) => void,
  files: ModelRequest[],
): RunningWorker {
  const worker = new Worker(script, { workerData: input });
  const finished = new Promise<void>((resolve, reject) => {
    let done = false;
    worker.on('message', (message: WorkerMessage) => {
      if ('done' in message) {
        done = true;
        resolve();
      } else if ('error' in message) {
        reject(new Error(`while modelling ${files[message.index].displayPath}: ${message.error}`));
      } else {
        land(message.index, JSON.parse(message.json) as ModelOutcome, message);
      }
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (!done) reject(new Error(`a model worker stopped early (exit code ${code})`));
    });
  });
  // A failure is also reported through Promise.all; this keeps an early one from going unhandled meanwhile.
  finished.catch(() => undefined);
  return { finished, stop: () => worker.terminate() };
}

/** Let the event loop run, so the models workers posted are received (and copied in) between two files. */
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
