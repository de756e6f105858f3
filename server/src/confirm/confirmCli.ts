/**
 * `gil-lens confirm FILE:LINE [--call EXPR] [--threads N] [--runs K]
 * [--timeout S] [--python P] [--free-threaded-python P] [--format text|json]`.
 *
 * Parses the arguments, finds the interpreters the way `gil-lens bench` does
 * (flag, then PATH; for the free-threaded one also
 * $GIL_LENS_FREE_THREADED_PYTHON), runs the confirmation and prints it.
 * Exit status: 0 not observed, 1 confirmed (a race was shown, as `check`
 * exits 1 on findings), 2 no verdict (usage, bad input, the code failed,
 * timeout). Ctrl-C, SIGTERM and SIGHUP cancel the run: the process group is
 * killed and the temporary folder removed before gil-lens exits.
 */

import path from 'node:path';
import { parseArgs } from 'node:util';
import { FREE_THREADED_NAMES, findFirst, freeThreadedFromEnv, PYTHON_NAMES } from '../bench/interpreters';
import { type CommandIo, processIo, untilStopped } from '../cli/runCommand';
import { runConfirm } from './runConfirm';
import type { ConfirmRequest, ConfirmResult } from './types';
import { formatConfirmText } from './verdict';

const USAGE = `usage: gil-lens confirm FILE:LINE [--call "f(1)"] [--threads N] [--runs K] [--timeout S]
                        [--python PATH] [--free-threaded-python PATH] [--format text|json]

Runs the code around the statement on LINE with its read and its write pulled apart
by a forced thread switch, and reports what happened: a lost update, a stale check,
an exception, or that nothing was observed. Without --call it runs the function that
starts the threads (it must take no arguments, like main()); with --call, N threads
make that call at once. The call's arguments must be literals.
Defaults: --threads 8, --runs 5, --timeout 60.
`;

export type CliIo = CommandIo;

type Parsed = { request: ConfirmRequest; format: 'json' | 'text' } | { error: string } | { help: true };

function bounded(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
  integer: boolean,
) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/** FILE:LINE, split at the last colon so that a colon in the path is kept. */
export function parseLocation(text: string): { file: string; line: number } {
  const sep = text.lastIndexOf(':');
  const line = Number(text.slice(sep + 1));
  if (sep <= 0 || !/^\d+$/.test(text.slice(sep + 1)) || line < 1) {
    throw new Error(`expected FILE:LINE with a line number from 1, got "${text}"`);
  }
  return { file: text.slice(0, sep), line };
}

export function parseConfirmArgs(argv: string[]): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        call: { type: 'string' },
        threads: { type: 'string' },
        runs: { type: 'string' },
        timeout: { type: 'string' },
        python: { type: 'string' },
        'free-threaded-python': { type: 'string' },
        format: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) return { help: true };
    if (positionals.length !== 1) throw new Error('expected exactly one FILE:LINE');
    const format = values.format ?? 'text';
    if (format !== 'json' && format !== 'text') throw new Error(`--format must be json or text, got "${format}"`);
    if (values.call !== undefined && !values.call.trim()) throw new Error('--call needs a call, like f(1)');
    const python = values.python ?? findFirst(PYTHON_NAMES);
    if (!python) throw new Error('no Python interpreter: none of python3, python is on PATH; pass --python PATH');
    const request: ConfirmRequest = {
      ...parseLocation(positionals[0]),
      call: values.call,
      threads: bounded(values.threads, '--threads', 8, 2, 256, true),
      runs: bounded(values.runs, '--runs', 5, 1, 10_000, true),
      timeoutSeconds: bounded(values.timeout, '--timeout', 60, 0.1, 86_400, false),
      python,
      freeThreadedPython: values['free-threaded-python'] ?? freeThreadedFromEnv() ?? findFirst(FREE_THREADED_NAMES),
    };
    return { request, format };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

export function exitCodeOf(result: ConfirmResult): number {
  if (result.verdict === 'confirmed') return 1;
  return result.verdict === 'not-observed' ? 0 : 2;
}

export async function runConfirmCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const parsed = parseConfirmArgs(argv);
  if ('help' in parsed) {
    io.stdout(USAGE);
    return 0;
  }
  if ('error' in parsed) {
    io.stderr(`gil-lens confirm: ${parsed.error}\n${USAGE}`);
    return 2;
  }
  return untilStopped(async (signal) => {
    const result = await runConfirm(parsed.request, { signal });
    if (parsed.format === 'json') io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    else if (result.verdict !== 'error') io.stdout(formatConfirmText(result, shown(parsed.request.file)));
    if (result.error) io.stderr(`gil-lens confirm: ${result.error.message}\n${result.error.traceback ?? ''}`);
    return exitCodeOf(result);
  });
}

/** The file as the user can read it: relative to the working directory when it is inside it. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), path.resolve(file));
  return relative && !relative.startsWith('..') ? relative : file;
}
