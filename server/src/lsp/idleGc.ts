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
 * Node only exposes `gc()` behind `--expose-gc`; the flag is set at run time
 * and the function read from a fresh context, which is how V8 hands it out.
 * Where that fails the server runs as before, with V8's own scheduling.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

let gc: GcFunction | undefined;
let scheduled = false;

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
 * Ask for one minor collection once the current I/O callbacks are done. Calls
 * in the same turn share it, so a burst of publishes costs one scavenge.
 */
export function collectWhenIdle(): void {
  if (!gc || scheduled) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    gc?.({ type: 'minor' });
  });
}
