/**
 * Young-generation garbage collection between keystrokes instead of during
 * them.
 *
 * One analysis of a large file allocates megabytes of short-lived indexes,
 * sets and strings. V8 empties its young generation when it fills, which is
 * usually in the middle of the next analysis: that scavenge then copies
 * everything the half-done analysis still holds, and the keystroke's
 * diagnostics wait for it (2-9 ms per scavenge on the 5,000-line bench file).
 * Right after diagnostics have been written, only the models and the reports
 * are alive, so a scavenge there is short and lands where no one waits, and
 * the next analysis starts with an empty young generation. Browsers schedule
 * their idle-time collections the same way.
 *
 * Minor collections alone let the old generation fill with what they
 * promote: each keystroke's model and report survive the scavenge after
 * their own publish, move to the old generation, and are garbage one edit
 * later. V8 then lets the old generation grow to a multiple of its live size
 * before a full collection, a multiple it raises while collections look
 * cheap, so resident memory crept up for thousands of edits (issue 13
 * defect 12). So the idle turn also runs a full collection, rarely: when the
 * heap has grown past twice what the last one left alive, and at least 32 MB
 * beyond it (`majorDue`). On a 3,000-line file that is every few hundred
 * edits, some milliseconds each, spent where no one waits.
 *
 * Node only exposes `gc()` behind `--expose-gc`; the flag is set at run time
 * and the function read from a fresh context, which is how V8 hands it out.
 * Where that fails the server runs as before, with V8's own scheduling.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

let gc: GcFunction | undefined;
let scheduled = false;
/** Bytes the last full collection left alive (0 before the first one). */
let liveAfterMajor = 0;

/** The heap may grow to this multiple of what the last full collection left before the next one... */
const MAJOR_GROWTH = 2;
/** ...and by at least this much, so a small heap is not collected in full at every keystroke. */
const MAJOR_SLACK_BYTES = 32 * 1024 * 1024;

/** Is a full collection due, with `used` bytes of heap in use and `live` left by the last one? */
export function majorDue(used: number, live: number): boolean {
  return used > Math.max(live * MAJOR_GROWTH, live + MAJOR_SLACK_BYTES);
}

/** Make `gc()` available to this module; returns whether it is. Set GIL_LENS_IDLE_GC=0 to leave V8 alone. */
export function enableIdleGc(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.GIL_LENS_IDLE_GC === '0') return false;
  try {
    setFlagsFromString('--expose-gc');
    const candidate = runInNewContext('gc') as unknown;
    gc = typeof candidate === 'function' ? (candidate as GcFunction) : undefined;
  } catch {
    gc = undefined;
  }
  return gc !== undefined;
}

/**
 * Ask for one minor collection once the current I/O callbacks are done, and a
 * full one when the heap has grown enough since the last (`majorDue`). Calls
 * in the same turn share them, so a burst of publishes costs one scavenge.
 * Resolves to the kind of collection that ran, for tests.
 */
export function collectWhenIdle(): Promise<'none' | 'minor' | 'major'> {
  if (!gc || scheduled) return Promise.resolve('none');
  scheduled = true;
  return new Promise((resolve) =>
    setImmediate(() => {
      scheduled = false;
      if (!gc) return resolve('none');
      gc({ type: 'minor' });
      if (!majorDue(getHeapStatistics().used_heap_size, liveAfterMajor)) return resolve('minor');
      gc({ type: 'major' });
      liveAfterMajor = getHeapStatistics().used_heap_size;
      resolve('major');
    }),
  );
}
