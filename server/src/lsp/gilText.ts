/**
 * The words the editor uses for a thread target: its classification label,
 * what the GIL does to it, and the advice. Hovers and CodeLens share them so
 * the two never disagree. Kept short on purpose: a hover is read in passing.
 */
import type { Classification, ThreadTarget } from '../analysis/types';

export const LABEL: Record<Classification, string> = {
  cpu: 'CPU-bound',
  io: 'I/O-bound',
  native: 'Native (releases the GIL)',
  mixed: 'Mixed CPU and I/O',
  unknown: 'Unclassified',
};

/** A few words for CodeLens: the label and what it means for this target. */
export function lensTitle(target: ThreadTarget): string {
  if (target.runsIn === 'process')
    return `${LABEL[target.classification]} · runs in worker processes, no GIL contention`;
  switch (target.classification) {
    case 'cpu':
      return target.concurrent
        ? 'CPU-bound · threads take turns on the GIL'
        : 'CPU-bound · holds the GIL while it runs';
    case 'io':
      return 'I/O-bound · waits release the GIL, threads overlap';
    case 'native':
      return 'Native · releases the GIL, threads can run in parallel';
    case 'mixed':
      return 'Mixed · waits overlap, Python work takes turns on the GIL';
    default:
      return 'Unclassified · gil-lens cannot tell what this thread does';
  }
}

/** One sentence on what the GIL does to this target. */
export function gilEffect(target: ThreadTarget): string {
  const many = target.concurrent ? 'its threads run one at a time' : 'it blocks other Python threads while it runs';
  if (target.runsIn === 'process')
    return 'It runs in worker processes, each with its own GIL, so copies run in parallel.';
  switch (target.classification) {
    case 'cpu':
      return `Pure-Python work holds the GIL, so ${many}.`;
    case 'io':
      return 'Blocking I/O releases the GIL while it waits, so threads overlap well.';
    case 'native':
      return 'The native calls release the GIL, so threads can run in parallel.';
    case 'mixed':
      return 'The waits overlap, but the pure-Python parts take turns on the GIL.';
    default:
      return 'gil-lens could not tell whether this code waits or computes.';
  }
}

/** What to do about it, or undefined when threads are the right tool. */
export function advice(target: ThreadTarget): string | undefined {
  if (target.runsIn === 'process') return undefined;
  const freeThreaded = 'or run on a free-threaded build (3.13t/3.14t)';
  switch (target.classification) {
    case 'cpu':
      return target.picklable
        ? `Use ProcessPoolExecutor (the target is picklable), ${freeThreaded}.`
        : `Move the work into a module-level function and use ProcessPoolExecutor, ${freeThreaded}.`;
    case 'mixed':
      return `Move the CPU-heavy part to a ProcessPoolExecutor, ${freeThreaded}.`;
    case 'io':
      return target.concurrent ? 'Threads suit this; for thousands of waits, asyncio scales further.' : undefined;
    default:
      return undefined;
  }
}
