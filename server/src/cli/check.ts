/**
 * `gil-lens check`: the whole command from argv to exit status.
 *
 * It validates the named paths, loads the configuration, collects the Python
 * files, reads and models each one on all cores or `--jobs N` threads
 * (skipping binary, non-UTF-8 and oversized files, devices, FIFOs and broken
 * links, and files the parser refuses, with a message), analyses all the
 * others together so calls between them resolve (reading a file's lines again
 * only when a finding quotes them or a fix needs them),
 * and prints the chosen format on stdout. Messages about the run go to stderr
 * so stdout stays parseable. Input and output are passed in, which keeps the
 * command testable without a child process.
 */
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { analyzeProject } from '../analysis/index';
import type { Config } from '../analysis/types';
import { MAX_FILE_BYTES } from '../config/limits';
import { ConfigFileError, discoverConfig, type LoadedConfig, loadConfigFile } from '../config/loadConfig';
import { initSyntax } from '../engine';
import { isSkipped } from '../files/modelFile';
import { defaultJobs, modelFiles } from '../files/modelPool';
import { collectPythonFiles, inputProblem, type PythonFile } from '../files/walk';
import type { ModuleModel } from '../model/types';
import { CHECK_USAGE, type CheckOptions, parseCheckArgs, UsageError } from './args';
import { formatJson } from './formats/json';
import { formatSarif } from './formats/sarif';
import { formatText } from './formats/text';
import { heapWarning } from './heapNeed';
import { type CheckedFile, exitCodeFor } from './results';

export interface CliIo {
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Colour the text format (stdout is a terminal and NO_COLOR is unset). */
  color: boolean;
  version: string;
}

/** Run `gil-lens check` with the arguments after `check`; resolves to the exit status. */
export async function runCheck(argv: string[], io: CliIo): Promise<number> {
  let options: CheckOptions;
  try {
    options = parseCheckArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`gil-lens: ${error.message}\nRun "gil-lens check --help" for usage.\n`);
    return 2;
  }
  if (options.help) {
    io.stdout(CHECK_USAGE);
    return 0;
  }
  const problems = options.paths.map((p) => inputProblem(p, io.cwd)).filter((p) => p !== undefined);
  if (problems.length > 0) {
    for (const problem of problems) io.stderr(`gil-lens: ${problem}\n`);
    return 2;
  }
  const loaded = loadConfig(options, io);
  if (!loaded) return 2;

  const walk = collectPythonFiles(options.paths, { cwd: io.cwd });
  for (const problem of walk.problems) io.stderr(`gil-lens: cannot read ${problem.path}: ${problem.reason}\n`);
  if (walk.files.length + walk.skipped.length === 0) {
    io.stderr(`gil-lens: no Python files found in ${options.paths.join(', ')}\n`);
  }
  const heap = heapWarning(walk.files.length, sourceBytes(walk.files), v8.getHeapStatistics().heap_size_limit);
  if (heap) io.stderr(`gil-lens: ${heap}\n`);
  const { checked, unreadable } = await analyse(walk.files, loaded.config, io, options.jobs);
  // Broken links and devices met in a folder are reported like any skipped file.
  for (const entry of walk.skipped) {
    io.stderr(`gil-lens: ${entry.displayPath}: ${entry.reason}\n`);
    checked.push({ path: entry.displayPath, absPath: entry.absPath, error: entry.reason });
  }
  io.stdout(render(options, checked, loaded.config, io));
  // Output is still printed when some input could not be read, but the run is incomplete.
  return unreadable || walk.problems.length > 0 ? 2 : exitCodeFor(checked);
}

/**
 * Read and model every file, on `jobs` threads (see files/modelPool.ts), then
 * analyse the models in a single analyzeProject call so that calls between
 * them resolve. Skipped files (unreadable, or refused by the parser) keep
 * their place in the result with the reason, so every format lists every file
 * asked for; their messages are written in file order once all are modelled,
 * so stderr does not depend on which thread finished first.
 */
export async function analyse(files: PythonFile[], config: Config, io: Pick<CliIo, 'stderr'>, jobs = defaultJobs()) {
  const checked: CheckedFile[] = [];
  const models: ModuleModel[] = [];
  const analysed: CheckedFile[] = [];
  let unreadable = false;
  // Lines are read again from the files that need them (linesOnDisk.ts); these had changed by then.
  const changed = new Set<number>();
  const outcomes = await modelFiles(await initSyntax(), files, {
    jobs,
    lines: 'disk',
    onChangedOnDisk: (index) => changed.add(index),
  });
  files.forEach((file, i) => {
    const entry: CheckedFile = { path: file.displayPath, absPath: file.absPath };
    checked.push(entry);
    const outcome = outcomes[i];
    if (isSkipped(outcome)) {
      entry.error = outcome.reason;
      unreadable ||= outcome.unreadable === true;
      io.stderr(`gil-lens: ${file.displayPath}: ${outcome.reason}\n`);
    } else {
      models.push(outcome);
      analysed.push(entry);
    }
  });
  if (models.length > 0) {
    // Reports come back in the order the models were given.
    const reports = analyzeProject(models, config);
    reports.forEach((report, i) => {
      analysed[i].report = report;
      for (const failure of report.internalErrors ?? []) {
        io.stderr(
          `gil-lens: ${analysed[i].path}: internal error in ${failure} (a gil-lens defect; please report it). That rule's findings for this file are missing; the rest are reported.\n`,
        );
      }
    });
  }
  if (changed.size > 0) {
    leaveOutChanged(checked, changed, io);
    unreadable = true;
  }
  return { checked, unreadable };
}

/**
 * Files (by index) that had changed on disk when their lines were read again: their findings stand for the
 * text that was modelled, which is gone, so a fix would edit the wrong text. Fixes are left out and each
 * file is named on stderr, in file order; the caller counts the run as incomplete.
 */
export function leaveOutChanged(checked: CheckedFile[], changed: Set<number>, io: Pick<CliIo, 'stderr'>): void {
  checked.forEach((file, i) => {
    if (!changed.has(i)) return;
    for (const finding of file.report?.findings ?? []) finding.fixes = [];
    io.stderr(
      `gil-lens: ${file.path}: changed while being checked: its findings are for the version read first, any source text they quote is missing, and their fixes are left out\n`,
    );
  });
}

/** The bytes of Python the files hold, leaving out those too large to be checked; an unreadable file counts 0. */
function sourceBytes(files: PythonFile[]): number {
  let total = 0;
  for (const file of files) {
    try {
      const size = fs.statSync(file.fsPath ?? file.absPath).size;
      if (size <= MAX_FILE_BYTES) total += size;
    } catch {
      // Reading it will say why.
    }
  }
  return total;
}

/** `--config FILE` when given, else the nearest pyproject.toml; warnings go to stderr. */
function loadConfig(options: CheckOptions, io: CliIo): LoadedConfig | undefined {
  let loaded: LoadedConfig;
  try {
    loaded = options.config
      ? loadConfigFile(path.resolve(io.cwd, options.config))
      : discoverConfig(options.paths, io.cwd);
  } catch (error) {
    if (!(error instanceof ConfigFileError)) throw error;
    io.stderr(`gil-lens: ${error.message}\n`);
    return undefined;
  }
  const where = loaded.file ? path.relative(io.cwd, loaded.file) || loaded.file : 'configuration';
  for (const warning of loaded.warnings) io.stderr(`gil-lens: ${where}: warning: ${warning}\n`);
  return loaded;
}

function render(options: CheckOptions, files: CheckedFile[], config: Config, io: CliIo): string {
  switch (options.format) {
    case 'json':
      return formatJson(files);
    case 'sarif':
      return formatSarif(files, { cwd: io.cwd, config, version: io.version });
    default:
      return formatText(files, { color: io.color });
  }
}
