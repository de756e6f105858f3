/**
 * Shared helpers for the CLI tests: temporary projects written from a map of
 * files, and a runner that starts the built `bin/gil-lens.js` as a user would
 * (the `pretest` script builds dist/ first). Nothing here asserts anything.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SAMPLE } from '../lsp/samples';

export const BIN = fileURLToPath(new URL('../../bin/gil-lens.js', import.meta.url));

/** The sample whose findings are unambiguous: shared-mutation on line 9, cpu-bound-thread on line 12. */
export const RACY = SAMPLE;

/** A program with no threads at all: nothing to find. */
export const PLAIN = `def greet(name):
    return f"hello {name}"


print(greet("world"))
`;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const made: string[] = [];

/** Write `files` (relative path → text or bytes) into a fresh temporary folder. */
export function project(files: Record<string, string | Uint8Array>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'gil-lens-cli-')));
  made.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return dir;
}

export function removeProjects(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export function gilLens(args: string[], cwd: string, env: Record<string, string> = {}, timeout = 60_000): RunResult {
  const run = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '', ...env },
    timeout,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/**
 * Write a file whose name is given as bytes (say, not valid UTF-8) into `dir`.
 * False when the file system refuses the name, as macOS does.
 */
export function writeBytesName(dir: string, name: Uint8Array, content: string): boolean {
  try {
    fs.writeFileSync(Buffer.concat([Buffer.from(`${dir}${path.sep}`), name]), content);
    return true;
  } catch {
    return false;
  }
}

/** Make a FIFO (Node has no mkfifo of its own); false where there is none. */
export function makeFifo(file: string): boolean {
  return process.platform !== 'win32' && spawnSync('mkfifo', [file]).status === 0;
}

/** Run `check --format json` and parse stdout. */
export function checkJson(args: string[], cwd: string) {
  const run = gilLens(['check', '--format', 'json', ...args], cwd);
  return { ...run, report: JSON.parse(run.stdout) as JsonReportShape };
}

export interface JsonReportShape {
  version: number;
  files: {
    path: string;
    error?: string;
    findings: { rule: string; line: number; column: number; severity: string }[];
    threadTargets: { name: string; line: number; spawnLine: number; classification: string }[];
  }[];
}

/** `line:rule` pairs of a file's findings, sorted, for exact comparison. */
export function findingKeys(report: JsonReportShape, file: string): string[] {
  const entry = report.files.find((f) => f.path === file);
  if (!entry) throw new Error(`${file} is not in the report: ${report.files.map((f) => f.path).join(', ')}`);
  return entry.findings.map((f) => `${f.line}:${f.rule}`).sort();
}
