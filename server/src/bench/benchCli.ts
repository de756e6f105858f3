/**
 * `gil-lens bench FILE::FUNCTION --call "f(10)" [--workers N] [--python PATH]
 * [--free-threaded-python PATH] [--budget S] [--timeout S] [--format json|text]`.
 *
 * Parses the arguments, finds the interpreters (flag, then PATH; for the
 * free-threaded one also $GIL_LENS_FREE_THREADED_PYTHON), runs the benchmark
 * and prints the result. Exit status: 0 measured, 1 the user's code failed
 * (raised, did not import, timed out), 2 a usage error or no interpreter.
 * Ctrl-C, SIGTERM and SIGHUP cancel the run: the harness's process group is
 * killed and its temporary folder removed before gil-lens exits.
 */

import os from 'node:os';
import { parseArgs } from 'node:util';
import { type CommandIo, processIo, untilStopped } from '../cli/runCommand';
import { FREE_THREADED_NAMES, findFirst, freeThreadedFromEnv, PYTHON_NAMES } from './interpreters';
import { runBenchmark } from './runBenchmark';
import type { BenchErrorKind, BenchRequest, BenchResult } from './types';

const USAGE = `usage: gil-lens bench FILE::FUNCTION [--call "f(10)"] [--workers N] [--python PATH]
                      [--free-threaded-python PATH] [--budget S] [--timeout S] [--format json|text]

Runs FUNCTION (a function or Class.method in FILE) N times sequentially, on N threads,
on N worker processes and, when a free-threaded Python is found, on N free-threaded threads.
The call's arguments must be literals. Defaults: --workers = CPU count, --budget 10, --timeout 60.
`;

const USAGE_KINDS: readonly BenchErrorKind[] = ['usage', 'invalid-call', 'not-found', 'unavailable'];

export type CliIo = CommandIo;

type Parsed = { request: BenchRequest; format: 'json' | 'text' } | { error: string } | { help: true };

function positiveNumber(value: string | undefined, name: string, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}, got "${value}"`);
  }
  return n;
}

export function parseBenchArgs(argv: string[]): Parsed {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        call: { type: 'string' },
        workers: { type: 'string' },
        python: { type: 'string' },
        'free-threaded-python': { type: 'string' },
        budget: { type: 'string' },
        timeout: { type: 'string' },
        format: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
    if (values.help) return { help: true };
    if (positionals.length !== 1) throw new Error('expected exactly one FILE::FUNCTION');
    const target = positionals[0];
    const sep = target.lastIndexOf('::');
    if (sep <= 0 || sep + 2 >= target.length) throw new Error(`expected FILE::FUNCTION, got "${target}"`);
    const fn = target.slice(sep + 2);
    const format = (values.format as string | undefined) ?? 'text';
    if (format !== 'json' && format !== 'text') throw new Error(`--format must be json or text, got "${format}"`);
    const python = (values.python as string | undefined) ?? findFirst(PYTHON_NAMES);
    if (!python) throw new Error('no Python interpreter: none of python3, python is on PATH; pass --python PATH');
    const request: BenchRequest = {
      file: target.slice(0, sep),
      function: fn,
      call: (values.call as string | undefined) ?? `${fn.split('.').pop()}()`,
      workers: positiveNumber(values.workers as string | undefined, '--workers', os.availableParallelism(), true),
      python,
      freeThreadedPython:
        (values['free-threaded-python'] as string | undefined) ??
        freeThreadedFromEnv() ??
        findFirst(FREE_THREADED_NAMES),
      budgetSeconds: positiveNumber(values.budget as string | undefined, '--budget', 10),
      timeoutSeconds: positiveNumber(values.timeout as string | undefined, '--timeout', 60),
    };
    return { request, format };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

export function formatText(result: BenchResult): string {
  const lines = [`${result.function} (${result.call}) with ${result.workers} workers on ${result.cpu_count} cores`];
  if (result.python) lines.push(`python: ${result.python.executable} ${result.python.version}`);
  if (result.free_threaded_python) {
    const ft = result.free_threaded_python;
    lines.push(`free-threaded python: ${ft.executable} ${ft.version} (GIL ${ft.gil_enabled ? 'enabled' : 'disabled'})`);
  }
  lines.push('', 'mode                    median s    IQR s     speedup   CPU s');
  for (const m of result.modes) {
    if (m.error) {
      lines.push(`${m.mode.padEnd(22)}  error: ${m.error.message}${m.error.rule ? ` [${m.error.rule}]` : ''}`);
      continue;
    }
    const cell = (v: number | null, digits: number) => (v === null ? '-' : v.toFixed(digits)).padStart(9);
    lines.push(
      `${m.mode.padEnd(22)}${cell(m.median_s, 4)}${cell(m.iqr_s, 4)}  ${m.speedup === null ? '     -' : `${m.speedup.toFixed(2)}×`.padStart(7)}${cell(m.cpu_s, 4)}`,
    );
  }
  lines.push('', result.verdict);
  for (const warning of result.warnings) lines.push(`warning: ${warning}`);
  return `${lines.join('\n')}\n`;
}

export function exitCodeOf(result: BenchResult): number {
  if (result.ok) return 0;
  return result.error && USAGE_KINDS.includes(result.error.kind) ? 2 : 1;
}

export async function runBenchCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const parsed = parseBenchArgs(argv);
  if ('help' in parsed) {
    io.stdout(USAGE);
    return 0;
  }
  if ('error' in parsed) {
    io.stderr(`gil-lens bench: ${parsed.error}\n${USAGE}`);
    return 2;
  }
  return untilStopped(async (signal) => {
    const result = await runBenchmark(parsed.request, { signal });
    if (parsed.format === 'json') io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    else if (result.ok) io.stdout(formatText(result));
    if (!result.ok && result.error) {
      const { error } = result;
      io.stderr(`gil-lens bench: ${error.message}\n${error.traceback ?? ''}`);
    }
    return exitCodeOf(result);
  });
}
