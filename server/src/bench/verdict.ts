/**
 * Turns measured speedups into a plain-language verdict and sets it beside
 * the static prediction. Pure: numbers in, sentences out. When the two
 * disagree the verdict says so and lists the likely reasons, because that
 * disagreement is the most useful thing the benchmark can show.
 */
import type { Classification } from '../analysis/types';
import type { BenchMode, ModeResult } from './types';

/** Threads or processes "help" above this speedup; below it they do not. */
const SCALES = 1.3;
/** A sequential run off the CPU this much of the time is waiting, not computing. */
const WAITING = 0.5;

export interface VerdictInput {
  prediction: Classification;
  modes: ModeResult[];
  workers: number;
  cpuCount: number;
}

const LABELS: Record<Classification, string> = {
  cpu: 'CPU-bound',
  io: 'I/O-bound',
  native: 'GIL-releasing native work',
  mixed: 'mixed CPU and I/O work',
  unknown: 'unknown',
};

const MODE_LABELS: Record<BenchMode, string> = {
  sequential: 'sequential',
  threads: 'threads',
  processes: 'processes',
  'free-threaded-threads': 'free-threaded',
};

function speedupOf(modes: ModeResult[], mode: BenchMode): number | undefined {
  return modes.find((m) => m.mode === mode)?.speedup ?? undefined;
}

/** What the numbers say the function is, using the same vocabulary as the analysis. */
export function measuredClass(modes: ModeResult[]): Classification {
  const threads = speedupOf(modes, 'threads');
  const processes = speedupOf(modes, 'processes');
  const waiting = modes.find((m) => m.mode === 'sequential')?.wait_fraction ?? 0;
  if (threads === undefined) return 'unknown';
  if (threads >= SCALES) return waiting >= WAITING ? 'io' : 'native';
  if (processes !== undefined && processes >= SCALES) return 'cpu';
  const freeThreaded = speedupOf(modes, 'free-threaded-threads');
  if (freeThreaded !== undefined && freeThreaded >= SCALES) return 'cpu';
  return 'unknown';
}

export function measuredSummary(modes: ModeResult[], cpuCount: number): string {
  const parts = modes
    .filter((m) => m.mode !== 'sequential' && m.speedup !== null)
    .map((m) => {
      const cores = m.mode === 'processes' ? ` on ${cpuCount} core${cpuCount === 1 ? '' : 's'}` : '';
      return `${MODE_LABELS[m.mode]} ${(m.speedup as number).toFixed(2)}×${cores}`;
    });
  return parts.length ? `Measured: ${parts.join(', ')}.` : 'Measured: no parallel mode finished.';
}

function conclusion(measured: Classification, input: VerdictInput): string {
  switch (measured) {
    case 'cpu': {
      const ft = speedupOf(input.modes, 'free-threaded-threads');
      const remedy = ft !== undefined && ft >= SCALES ? 'processes or a free-threaded build' : 'processes';
      return `The GIL serialises this function; ${remedy} run it in parallel.`;
    }
    case 'io':
      return 'Threads overlap its waits, so the GIL is not the bottleneck.';
    case 'native':
      return 'It releases the GIL, so threads run it in parallel.';
    default:
      if (Math.min(input.workers, input.cpuCount) < 2) {
        return `With ${input.workers} worker(s) on ${input.cpuCount} core(s) nothing can run in parallel; raise the worker count or use a machine with more cores.`;
      }
      return 'Neither threads nor processes sped it up: the calls may be too short for parallelism to pay off, contend for memory or a lock, or the machine was busy.';
  }
}

function agrees(prediction: Classification, measured: Classification): boolean {
  if (prediction === 'mixed') return measured !== 'unknown';
  return prediction === measured;
}

/** Likely reasons a prediction and a measurement differ, most common first. */
export function disagreementReasons(prediction: Classification, measured: Classification): string[] {
  const key = `${prediction}->${measured}`;
  const reasons: Record<string, string[]> = {
    'cpu->io': [
      'it calls something that waits (I/O, sleep, a lock or queue) that the analysis did not recognise; list it under extra-io',
    ],
    'cpu->native': ['its heavy work happens in a C extension that releases the GIL; list the call under extra-native'],
    'io->cpu': [
      'with these arguments the I/O is fast (cached or local), so the Python work around it dominates',
      'the library holds the GIL while it waits',
    ],
    'native->cpu': [
      'the native call holds the GIL for these inputs (hashlib, zlib and friends release it only for buffers over about 2 KiB)',
      'the Python work around the native call dominates',
    ],
  };
  return (
    reasons[key] ?? [
      'the arguments of this call exercise a different path than the code the analysis looked at',
      'the machine was busy while measuring (see the spread warnings)',
    ]
  );
}

export function verdict(input: VerdictInput): string {
  const measured = measuredClass(input.modes);
  const summary = measuredSummary(input.modes, input.cpuCount);
  const end = conclusion(measured, input);
  if (input.prediction === 'unknown') {
    return `No static prediction (the function is not a recognised thread target). ${summary} ${end}`;
  }
  const predicted = `Predicted ${LABELS[input.prediction]}.`;
  if (measured === 'unknown' || agrees(input.prediction, measured)) return `${predicted} ${summary} ${end}`;
  const why = disagreementReasons(input.prediction, measured).join('; or ');
  return `${predicted} ${summary} The measurement disagrees: it behaves like ${LABELS[measured]}. Likely because ${why}. ${end}`;
}

/** Warnings about noisy modes, pyperf-style, and about a CPU the function did not get to itself. */
export function spreadWarnings(modes: ModeResult[], prediction: Classification = 'unknown'): string[] {
  const seq = modes.find((m) => m.mode === 'sequential');
  const offCpu =
    seq?.wait_fraction !== undefined && seq.wait_fraction > 0.3 && (prediction === 'cpu' || prediction === 'native')
      ? [
          `sequential runs were off the CPU ${Math.round(seq.wait_fraction * 100)}% of the time; for a function predicted ${LABELS[prediction]} that usually means other programs were using the cores, so the speedups understate what parallelism can do`,
        ]
      : [];
  return offCpu.concat(
    modes
      .filter((m) => m.spread_warning && m.median_s && m.iqr_s !== null)
      .map(
        (m) =>
          `${MODE_LABELS[m.mode]}: the spread (IQR) is ${Math.round(((m.iqr_s as number) / (m.median_s as number)) * 100)}% of the median, over 10%; the machine may be busy, so treat the numbers as rough`,
      ),
  );
}
