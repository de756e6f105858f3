#!/usr/bin/env node
/**
 * The confirmation rate that issue 16 asks for, on the public corpus.
 *
 * 1. `gil-lens check --format json CORPUS` lists the `shared-mutation` findings.
 * 2. Each is run with `gil-lens confirm FILE:LINE --format json`. Findings
 *    whose threads are started by a function that needs arguments (or by
 *    module-level code, or a coroutine) get the `no-entry` error from the
 *    planner: confirm has nothing to run without `--call`, so they are left
 *    out of the rate and listed, as are findings on a statement confirm
 *    cannot split (`no-statement`: a call such as `seen.add(x)`).
 * 3. The safe twins are run the same way. The corpus does not pair files, so
 *    TWINS below names, by reading, the lines in `safe/` that write the same
 *    kinds of state as the races (a global counter, `self.x += n`, a dict
 *    read-modify-write, a check-then-act) under a lock, a single writer or
 *    thread-local storage. The script refuses a twin line that has a finding
 *    or whose text changed, so the list cannot silently drift.
 *
 * It prints one line per statement (verdict, wall time, summary) and the two
 * figures: "confirmed X of Y (times min/median/max)" and "twins confirmed 0 of Z".
 * A developer tool that runs the corpus's programs: never a CI step.
 *
 *   npm run build && node study/confirmRate.mjs [--corpus DIR] [--timeout S] [--json FILE]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'bin', 'gil-lens.js');

/** Safe twins: [file relative to the corpus, 1-based line, text the line must hold, what it twins]. */
const TWINS = [
  ['safe/locked_counters.py', 43, 'down += 1', 'global += under a Lock (twin of the global counters)'],
  ['safe/locked_counters.py', 45, 'up += 1', 'global += under a Lock'],
  [
    'safe/locked_counters.py',
    46,
    'latency_by_port[port] = latency_by_port.get(port, 0.0) + elapsed',
    'dict read-modify-write under a Lock (twin of histogram / files_by_host)',
  ],
  ['safe/locked_counters.py', 24, 'self.rounds += 1', 'self.x += 1 under a Lock (twin of ThroughputMeter.record)'],
  ['safe/inventory_rlock.py', 26, 'self._stock[sku] = have - qty', 'check-then-act under an RLock (twin of session_for)'],
  ['safe/inventory_rlock.py', 27, 'self.reserved += qty', 'self.x += n under an RLock'],
  ['safe/acquire_try_finally.py', 25, 'self.remaining -= cost', 'check-then-act between acquire() and release()'],
  [
    'safe/acquire_try_finally.py',
    26,
    'self.spent_by_endpoint[endpoint] = self.spent_by_endpoint.get(endpoint, 0) + cost',
    'dict read-modify-write between acquire() and release()',
  ],
  ['safe/acquire_try_finally.py', 45, 'responses += 1', 'global += between acquire() and release()'],
  ['safe/condition_ring_buffer.py', 25, 'self.dropped += 1', 'self.x += 1 under a Condition'],
  [
    'safe/queue_single_writer.py',
    30,
    'totals[record["source"]] = totals.get(record["source"], 0) + 1',
    'dict read-modify-write by the one writer thread',
  ],
  ['safe/thread_local_connections.py', 27, '_local.requests += 1', 'threading.local counter'],
];

function options() {
  const { values } = parseArgs({
    options: {
      corpus: { type: 'string', default: '/work/shared/corpus' },
      timeout: { type: 'string', default: '60' },
      json: { type: 'string' },
    },
  });
  return { corpus: path.resolve(values.corpus), timeout: Number(values.timeout), json: values.json };
}

function check(corpus) {
  const run = spawnSync(process.execPath, [CLI, 'check', '--format', 'json', corpus], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0 && run.status !== 1) throw new Error(`gil-lens check failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** One `gil-lens confirm` run, timed from spawn to exit, as a user would wait for it. */
function confirm(file, line, timeout) {
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    [CLI, 'confirm', `${file}:${line}`, '--format', 'json', '--timeout', String(timeout)],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: (timeout + 60) * 1000, killSignal: 'SIGTERM' },
  );
  const seconds = (performance.now() - started) / 1000;
  let result;
  try {
    result = JSON.parse(run.stdout);
  } catch {
    result = { verdict: 'error', summary: `no JSON (status ${run.status}): ${run.stderr.trim().split('\n').pop()}` };
  }
  return { file, line, seconds, verdict: result.verdict, summary: result.summary, error: result.error?.kind };
}

function stats(times) {
  if (times.length === 0) return 'no runs';
  const sorted = [...times].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return `${sorted[0].toFixed(1)}/${median.toFixed(1)}/${sorted.at(-1).toFixed(1)} s`;
}

function show(corpus, r, extra = '') {
  const where = `${path.relative(corpus, r.file)}:${r.line}`;
  const why = r.error ? ` [${r.error}]` : '';
  console.log(`  ${where.padEnd(44)} ${r.verdict.padEnd(12)} ${r.seconds.toFixed(1).padStart(5)} s${why}  ${r.summary}${extra}`);
}

function main() {
  const { corpus, timeout, json } = options();
  const report = check(corpus);
  const findings = report.files.flatMap((f) =>
    f.findings.filter((x) => x.rule === 'shared-mutation').map((x) => ({ file: path.resolve(f.path), line: x.line })),
  );
  const flagged = new Set(
    report.files.flatMap((f) => f.findings.map((x) => `${path.resolve(f.path)}:${x.line}`)),
  );

  console.log(`shared-mutation findings: ${findings.length}`);
  const races = findings.map((f) => confirm(f.file, f.line, timeout));
  // The planner refuses a line without an assignment (`items.add(x)`) before it looks for the spawner.
  const unsplittable = races.filter((r) => r.error === 'no-statement');
  const skipped = races.filter((r) => r.error === 'no-entry');
  const runnable = races.filter((r) => r.error !== 'no-entry' && r.error !== 'no-statement');
  console.log(`spawner takes no required arguments (confirm found something to run): ${runnable.length}`);
  for (const r of runnable) show(corpus, r);
  console.log(`left out, no function without required arguments starts the threads: ${skipped.length}`);
  for (const r of skipped) console.log(`  ${path.relative(corpus, r.file)}:${r.line}`);
  console.log(`left out, a call or other statement confirm cannot split: ${unsplittable.length}`);
  for (const r of unsplittable) show(corpus, r);

  console.log(`safe twins: ${TWINS.length}`);
  const twins = TWINS.map(([rel, line, text, why]) => {
    const file = path.join(corpus, rel);
    const actual = fs.readFileSync(file, 'utf8').split('\n')[line - 1] ?? '';
    if (actual.trim() !== text) throw new Error(`${rel}:${line} no longer reads "${text}" (it reads "${actual.trim()}")`);
    if (flagged.has(`${file}:${line}`)) throw new Error(`${rel}:${line} has a finding, so it is no safe twin`);
    const r = confirm(file, line, timeout);
    show(corpus, r, `  (${why})`);
    return { ...r, twin: why };
  });

  const confirmed = runnable.filter((r) => r.verdict === 'confirmed');
  const byVerdict = (list) => {
    const counts = new Map();
    for (const r of list) {
      const key = r.error ? `error:${r.error}` : r.verdict;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
  };
  console.log('');
  console.log(`races: ${byVerdict(runnable)}`);
  console.log(`twins: ${byVerdict(twins)}`);
  console.log(
    `confirmed ${confirmed.length} of ${runnable.length} (times min/median/max ${stats(runnable.map((r) => r.seconds))}; confirmed ones ${stats(confirmed.map((r) => r.seconds))}), twins confirmed ${twins.filter((r) => r.verdict === 'confirmed').length} of ${twins.length}`,
  );
  if (json) fs.writeFileSync(json, `${JSON.stringify({ races, twins }, null, 2)}\n`);
}

main();
