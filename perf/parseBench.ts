/**
 * `npm run bench`: how much the full check costs compared with parsing alone.
 *
 * Usage: `node dist/bench.js [FOLDER] [--jobs N]`. Without a folder it measures the
 * installed Python's standard library (from `sysconfig`), minus
 * `site-packages` and the test folders, about 12 MB of real-world Python.
 * Files are read the way `gil-lens check` reads them (same size limit and
 * UTF-8 check), then, three times each in this one process:
 *
 * - bare parse: tree-sitter parse and delete of every file, the floor any
 *   tree-sitter tool pays;
 * - full check: checkSources (parse, model, analysis) over the same files,
 *   one batch per top-level package so cross-file resolution runs as it would
 *   on a project, without holding every model of the library at once;
 * - parallel check: what `gil-lens check` does with the same files, on all
 *   cores (or `--jobs N` threads): read and model them on worker threads, then
 *   analyse them all together. Its wall time and its CPU time (every thread's,
 *   from process.cpuUsage) are both divided by the bare parse of the same
 *   run, the floor a user compares the wall time against. The same check is
 *   also run as a new process of the built CLI, cold, as a user starts it:
 *   the analysis runs once per process and pays the JIT's warm-up there.
 *
 * It prints the medians, their ratio, throughput, peak RSS and findings per
 * 1,000 lines, then one more pass split into its stages (parse, the model
 * query's captures alone, the rest of the extraction, analysis), so the ratio
 * can be read against the part no extraction can avoid: walking the tree.
 * This is a benchmark that prints figures, not a test: nothing here passes or
 * fails. It is the one layer allowed to start a process (to ask
 * Python where its library lives).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeProject } from '../server/src/analysis/index';
import { defaultConfig } from '../server/src/analysis/types';
import { analyse } from '../server/src/cli/check';
import { checkSources, type SourceFile } from '../server/src/engine';
import { defaultJobs } from '../server/src/files/modelPool';
import { readSource } from '../server/src/files/readSource';
import { collectPythonFiles, type PythonFile } from '../server/src/files/walk';
import { extractModel } from '../server/src/model/extract';
import type { ModuleModel } from '../server/src/model/types';
import { initSyntax, modelCaptures, parse, type Syntax } from '../server/src/syntax/parser';

const RUNS = 3;
const SKIPPED_DIRS = ['site-packages', 'test', 'tests', 'idle_test'];
const STDLIB_QUERY = "import sysconfig; print(sysconfig.get_paths()['stdlib'])";

interface Corpus {
  root: string;
  files: SourceFile[];
  /** The same files as the walk found them, for the parallel check, which reads them itself. */
  found: PythonFile[];
  batches: SourceFile[][];
  bytes: number;
  lines: number;
  skipped: number;
}

/** The standard library of the `python3` on PATH, asked of Python itself. */
function stdlibDir(): string {
  const run = spawnSync('python3', ['-c', STDLIB_QUERY], { encoding: 'utf8', timeout: 10_000, shell: false });
  const dir = run.stdout?.trim();
  if (run.error || run.status !== 0 || !dir) {
    const why = run.error?.message ?? run.stderr?.trim() ?? `exit status ${run.status}`;
    throw new Error(`cannot find the Python standard library (${why}); pass a folder to measure`);
  }
  return dir;
}

function loadCorpus(root: string): Corpus {
  const found = collectPythonFiles([root], { skipDirs: SKIPPED_DIRS, gitignore: false });
  const files: SourceFile[] = [];
  const readable: PythonFile[] = [];
  const groups = new Map<string, SourceFile[]>();
  let bytes = 0;
  let lines = 0;
  for (const file of found.files) {
    const read = readSource(file.fsPath ?? file.absPath);
    if (!read.ok) continue;
    const source = { path: file.displayPath, text: read.text, moduleName: file.moduleName };
    files.push(source);
    readable.push(file);
    bytes += Buffer.byteLength(read.text);
    lines += countLines(read.text);
    // Top-level modules share one batch; each package is its own.
    const rel = path.relative(root, file.absPath).split(path.sep);
    const key = rel.length > 1 ? rel[0] : '<top-level modules>';
    const group = groups.get(key);
    if (group) group.push(source);
    else groups.set(key, [source]);
  }
  return {
    root,
    files,
    found: readable,
    batches: [...groups.values()],
    bytes,
    lines,
    skipped: found.files.length - files.length,
  };
}

function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

interface Timed {
  /** Wall time. */
  ms: number;
  /** CPU time of every thread of the process, user and system. */
  cpuMs: number;
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function bareParse(syntax: Syntax, files: SourceFile[]): Timed {
  const cpu = cpuMs();
  const start = performance.now();
  for (const file of files) parse(syntax, file.text).delete();
  return { ms: performance.now() - start, cpuMs: cpuMs() - cpu };
}

/** `gil-lens check`'s own path over the corpus: read and model on `jobs` threads, then one analysis of every file. */
async function parallelCheck(files: PythonFile[], jobs: number): Promise<Timed & { findings: number }> {
  const cpu = cpuMs();
  const start = performance.now();
  const { checked } = await analyse(files, defaultConfig(), { stderr: () => undefined }, jobs);
  const ms = performance.now() - start;
  return { ms, cpuMs: cpuMs() - cpu, findings: checked.reduce((n, f) => n + (f.report?.findings.length ?? 0), 0) };
}

/**
 * `gil-lens check` exactly as a user starts it: a fresh process of the built CLI over the same files, on
 * `jobs` threads. Its code starts cold, so the analysis, which runs once per process, pays the JIT's
 * warm-up that the in-process runs above pay only in their first run. Wall time only (a child's CPU
 * time is not reported to Node).
 */
function freshCheck(files: PythonFile[], jobs: number): { ms: number; findings: number } {
  const cli = path.join(__dirname, 'cli.js');
  const args = [cli, 'check', '--format', 'json', '--jobs', String(jobs), ...files.map((f) => f.absPath)];
  const start = performance.now();
  const run = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 30, shell: false });
  const ms = performance.now() - start;
  if (run.error) throw run.error;
  if (run.status !== 0 && run.status !== 1) throw new Error(`gil-lens check exited with ${run.status}: ${run.stderr}`);
  const report = JSON.parse(run.stdout) as { files: { findings?: unknown[] }[] };
  return { ms, findings: report.files.reduce((n, f) => n + (f.findings?.length ?? 0), 0) };
}

interface CheckRun {
  ms: number;
  findings: number;
  hints: number;
}

function fullCheck(syntax: Syntax, batches: SourceFile[][], config = defaultConfig()): CheckRun {
  let findings = 0;
  let hints = 0;
  const start = performance.now();
  for (const batch of batches) {
    for (const report of checkSources(syntax, batch, config)) {
      findings += report.findings.length;
      hints += report.findings.filter((f) => f.severity === 'hint').length;
    }
  }
  return { ms: performance.now() - start, findings, hints };
}

interface Stages {
  parse: number;
  captures: number;
  extract: number;
  analysis: number;
}

/**
 * One check split into its stages, batch by batch as fullCheck runs it: parse every file, run the
 * model query over each tree and drop the captures (the floor any query-based extraction pays),
 * extract the models (the query again, plus reading the captures), then analyse the batch.
 */
function stagedCheck(syntax: Syntax, batches: SourceFile[][]): Stages {
  const t: Stages = { parse: 0, captures: 0, extract: 0, analysis: 0 };
  const config = defaultConfig();
  for (const batch of batches) {
    const models: ModuleModel[] = [];
    for (const file of batch) {
      let at = performance.now();
      const tree = parse(syntax, file.text);
      t.parse += performance.now() - at;
      try {
        at = performance.now();
        modelCaptures(syntax, tree);
        t.captures += performance.now() - at;
        at = performance.now();
        models.push(extractModel(syntax, tree, file.text, file.path, file.moduleName));
        t.extract += performance.now() - at;
      } finally {
        tree.delete();
      }
    }
    const at = performance.now();
    analyzeProject(models, config);
    t.analysis += performance.now() - at;
  }
  return t;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const ms = (v: number) => `${v.toFixed(0)} ms`;
const runsText = (values: number[]) => values.map((v) => v.toFixed(0)).join(', ');

interface ParallelRun {
  parse: Timed;
  check: Timed;
}

/** `[FOLDER] [--jobs N]`; the folder defaults to the stdlib of the `python3` on PATH, the jobs to all cores. */
function benchArgs(): { root: string; jobs: number } {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { jobs: { type: 'string' } } });
  const jobs = values.jobs === undefined ? defaultJobs() : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1)
    throw new Error(`--jobs needs a whole number, 1 or more (got "${values.jobs}")`);
  return { root: path.resolve(positionals[0] ?? stdlibDir()), jobs };
}

async function main(): Promise<void> {
  const { root, jobs } = benchArgs();
  const syntax = await initSyntax();
  const corpus = loadCorpus(root);
  if (corpus.files.length === 0) throw new Error(`no readable Python files under ${root}`);
  const mb = corpus.bytes / 1e6;
  const parseTimes: number[] = [];
  const checkTimes: number[] = [];
  const parallel: ParallelRun[] = [];
  let last: CheckRun = { ms: 0, findings: 0, hints: 0 };
  let parallelFindings = 0;
  const fresh: { ratio: number; ms: number; parse: number }[] = [];
  let freshFindings = 0;
  // Alternating the measurements spreads JIT warm-up and GC noise over all of them.
  for (let run = 0; run < RUNS; run++) {
    const parsed = bareParse(syntax, corpus.files);
    parseTimes.push(parsed.ms);
    const check = fullCheck(syntax, corpus.batches);
    checkTimes.push(check.ms);
    last = check;
    const whole = await parallelCheck(corpus.found, jobs);
    parallelFindings = whole.findings;
    parallel.push({ parse: parsed, check: whole });
    const started = freshCheck(corpus.found, jobs);
    freshFindings = started.findings;
    fresh.push({ ratio: started.ms / parsed.ms, ms: started.ms, parse: parsed.ms });
  }
  const freshMiddle = [...fresh].sort((a, b) => a.ratio - b.ratio)[Math.floor(fresh.length / 2)];
  // Both ratios of the parallel check come from one run: the run whose wall ratio is the median.
  const wallRatio = (r: ParallelRun) => r.check.ms / r.parse.ms;
  const middle = [...parallel].sort((a, b) => wallRatio(a) - wallRatio(b))[Math.floor(parallel.length / 2)];
  // Library mode's noise check: the same corpus with only spawn-reached state (assume-threads = "never").
  const spawnsOnly = fullCheck(syntax, corpus.batches, { ...defaultConfig(), assumeThreads: 'never' });
  const stages = stagedCheck(syntax, corpus.batches);
  const parseMs = median(parseTimes);
  const checkMs = median(checkTimes);
  const perK = (n: number) => ((n / corpus.lines) * 1000).toFixed(2);
  const out = [
    `gil-lens bench: ${corpus.root}`,
    `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, medians of ${RUNS} runs`,
    `files        ${corpus.files.length} (${mb.toFixed(1)} MB, ${corpus.lines} lines, ${corpus.skipped} skipped unreadable/binary/too large)`,
    `bare parse   ${ms(parseMs)}  (runs: ${runsText(parseTimes)})`,
    `full check   ${ms(checkMs)}  (runs: ${runsText(checkTimes)}; ${corpus.batches.length} batches)`,
    `ratio        ${(checkMs / parseMs).toFixed(2)}× full check / bare parse`,
    `parallel check on ${jobs} thread${jobs === 1 ? '' : 's'} (${os.availableParallelism()} cores), as \`gil-lens check\` runs: read, model, one analysis of all files`,
    `  wall       ${ms(middle.check.ms)} = ${wallRatio(middle).toFixed(2)}× that run's bare parse (${ms(middle.parse.ms)}); runs: ${parallel.map((r) => wallRatio(r).toFixed(2)).join(', ')}×`,
    `  CPU time   ${ms(middle.check.cpuMs)} = ${(middle.check.cpuMs / middle.parse.cpuMs).toFixed(2)}× that run's bare parse CPU time (${ms(middle.parse.cpuMs)}), every thread counted`,
    `  findings   ${parallelFindings} (all files in one analysis; the full check above analyses package by package)`,
    `  as a new process, \`gil-lens check --jobs ${jobs}\` with every file named: wall ${ms(freshMiddle.ms)} = ${freshMiddle.ratio.toFixed(2)}× that run's bare parse (${ms(freshMiddle.parse)}); runs: ${fresh.map((r) => r.ratio.toFixed(2)).join(', ')}×; ${freshFindings} findings`,
    `throughput   ${(corpus.files.length / (checkMs / 1000)).toFixed(0)} files/s, ${(mb / (checkMs / 1000)).toFixed(2)} MB/s (full check)`,
    `peak RSS     ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
    `findings     ${last.findings} (${perK(last.findings)} per 1,000 lines, ${last.hints} of them hints)`,
    `  spawns only ${spawnsOnly.findings} (${perK(spawnsOnly.findings)} per 1,000 lines with assume-threads = "never", i.e. without library mode)`,
    `stages       one more check, each stage relative to its own parse (${ms(stages.parse)}):`,
    `  model query captures alone   ${(stages.captures / stages.parse).toFixed(2)}× (the tree walk any query-based extraction pays)`,
    `  extraction (query included)  ${(stages.extract / stages.parse).toFixed(2)}×`,
    `  analysis                     ${(stages.analysis / stages.parse).toFixed(2)}×`,
    `  parse + extraction + analysis ${((stages.parse + stages.extract + stages.analysis) / stages.parse).toFixed(2)}×`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`gil-lens bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
