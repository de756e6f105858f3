/**
 * Batches of fuzz inputs through the built CLI, as a user runs it:
 * `node bin/gil-lens.js check --format json DIR` on a folder of them. All
 * files of a batch are analysed together, so this also covers what the
 * in-process runs cannot: the walk, the reader on real bytes, cross-file
 * resolution between broken modules and the JSON writer. The run must exit
 * 0 or 1 within the time limit and print a JSON report listing every file.
 * No shell is involved; the file names are our own.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface BatchFile {
  /** File name inside the batch folder. */
  name: string;
  bytes: Buffer;
}

/** Undefined when the run was sound, else what was wrong with it. */
export type BatchProblem = string | undefined;

/** Run the CLI on `files` written to a fresh folder under `workDir`. */
export async function checkBatch(cli: string, workDir: string, files: BatchFile[], timeoutMs: number) {
  const dir = fs.mkdtempSync(path.join(workDir, 'batch-'));
  try {
    for (const file of files) fs.writeFileSync(path.join(dir, file.name), file.bytes);
    return await runCli(cli, dir, files.length, timeoutMs);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function runCli(cli: string, dir: string, expected: number, timeoutMs: number): Promise<BatchProblem> {
  const child = spawn(process.execPath, [cli, 'check', '--format', 'json', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  if (timedOut) return `the CLI ran past ${timeoutMs / 1000} s`;
  const stderr = Buffer.concat(err).toString('utf8');
  // Messages about skipped files are expected; the last lines say what went wrong otherwise.
  const tail = stderr.trim().split('\n').slice(-3).join(' | ');
  if (code !== 0 && code !== 1) return `the CLI exited with ${code}: ${tail}`;
  let report: { files?: unknown[] };
  try {
    report = JSON.parse(Buffer.concat(out).toString('utf8'));
  } catch (error) {
    return `the CLI printed invalid JSON (${error instanceof Error ? error.message : error})`;
  }
  const listed = Array.isArray(report.files) ? report.files.length : -1;
  if (listed !== expected) return `the CLI's report lists ${listed} files of ${expected}`;
  return undefined;
}

/**
 * The smallest set of files that still fails as `problem` names it, by halving:
 * usually one file, unless the failure needs two of them together.
 */
export async function isolateBatch(
  fails: (files: BatchFile[]) => Promise<boolean>,
  files: BatchFile[],
): Promise<BatchFile[]> {
  let current = files;
  while (current.length > 1) {
    const half = Math.ceil(current.length / 2);
    const first = current.slice(0, half);
    const second = current.slice(half);
    if (await fails(first)) current = first;
    else if (await fails(second)) current = second;
    else break;
  }
  return current;
}
