/**
 * `npm run fuzz -- --count N --seed S`: N mutated inputs through the engine
 * in worker threads (a time limit per input makes a hang a finding instead
 * of a stuck run) and, every `batch` inputs, the same inputs through the
 * built CLI. Each distinct failure is shrunk to a small repro and written
 * out (repro.ts); the run ends with one summary line and exits 1 when
 * anything failed. Input i depends only on the seed, i and the seed files,
 * so `--only i` rebuilds and reruns exactly one of them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BatchFile, checkBatch, isolateBatch } from './cliBatch';
import { type EngineWorker, type RunResult, startEngineWorker } from './engineWorker';
import { loadSeedFiles } from './inputs';
import { mutateSource } from './mutate';
import { inputSeed, mulberry32 } from './random';
import { type Failure, showRepro, signatureOf, writeRepro } from './repro';
import { shrink } from './shrink';

export interface CountOptions {
  count: number;
  seed: number;
  /** Engine workers run side by side. */
  jobs: number;
  /** Inputs per CLI run. */
  batch: number;
  /** Per input: over this, an input is a hang. */
  timeoutMs: number;
  /** Where repros are written. */
  outDir: string;
  /** The repository root (fixtures, bin/). */
  root: string;
  corpusDir?: string;
  /** Run only this input index. */
  only?: number;
  /** The fuzz bundle, which the engine workers run. */
  bundle: string;
}

interface Pending {
  index: number;
  bytes: Buffer;
  detail: string;
}

/** The CLI may check a whole batch per run, so it gets a longer limit than one input. */
const CLI_TIMEOUT_MS = 120_000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export async function fuzzInputs(options: CountOptions): Promise<number> {
  const started = performance.now();
  const seeds = loadSeedFiles(options.root, options.corpusDir);
  if (seeds.files.length === 0) {
    console.error('fuzz: no Python files under test/fixtures/');
    return 2;
  }
  const pool = seeds.files.map((f) => f.text);
  const makeInput = (index: number) => {
    const random = mulberry32(inputSeed(options.seed, index));
    const base = random.pick(seeds.files);
    return { base: base.name, bytes: mutateSource(random, base.text, pool) };
  };
  const rerun = (index: number) => `npm run fuzz -- --seed ${options.seed} --only ${index}`;
  const cli = path.join(options.root, 'bin/gil-lens.js');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gil-lens-fuzz-'));
  const indexes = options.only !== undefined ? [options.only] : Array.from({ length: options.count }, (_, i) => i);
  console.log(
    `fuzz: ${indexes.length} inputs from ${seeds.files.length} files (fixtures${seeds.corpus ? ' and corpus' : '; corpus absent'}), ` +
      `seed ${options.seed}, ${options.jobs} engine workers, CLI every ${options.batch} inputs`,
  );

  const crashes = new Map<string, Pending & { count: number }>();
  const hangs = new Map<string, Pending & { count: number }>();
  const cliFailures = new Map<string, { files: BatchFile[]; count: number }>();
  let slowest = { ms: 0, index: -1 };
  let skipped = 0;
  let done = 0;
  const progressEvery = Math.max(1000, Math.ceil(indexes.length / 10 / 1000) * 1000);

  const record = (map: typeof crashes, signature: string, pending: Pending) => {
    const seen = map.get(signature);
    if (seen) seen.count++;
    else map.set(signature, { ...pending, count: 1 });
  };

  // CLI batches run one at a time beside the engine workers; the chain is awaited at the end.
  let cliChain: Promise<void> = Promise.resolve();
  let cliRuns = 0;
  let batch: BatchFile[] = [];
  const flushBatch = () => {
    const files = batch;
    batch = [];
    if (files.length === 0) return;
    cliChain = cliChain.then(async () => {
      cliRuns++;
      const problem = await checkBatch(cli, work, files, CLI_TIMEOUT_MS);
      if (!problem) return;
      const signature = signatureOf(problem);
      const seen = cliFailures.get(signature);
      if (seen) seen.count++;
      else cliFailures.set(signature, { files, count: 1 });
    });
  };

  let next = 0;
  const lane = async () => {
    let worker: EngineWorker | undefined;
    while (next < indexes.length) {
      const index = indexes[next++];
      const input = makeInput(index);
      if (!worker?.alive) worker = startEngineWorker(options.bundle);
      const result = await worker.run(input.bytes, options.timeoutMs);
      if (result.ms > slowest.ms) slowest = { ms: result.ms, index };
      const pending = { index, bytes: input.bytes, detail: `mutated from ${input.base}` };
      if (result.kind === 'crash') {
        record(crashes, signatureOf(`${result.error.name}: ${result.error.message}`), {
          ...pending,
          detail: `${pending.detail}\n${result.error.stack || `${result.error.name}: ${result.error.message}`}`,
        });
      } else if (result.kind === 'hang') {
        record(hangs, `no answer within ${seconds(options.timeoutMs)}`, pending);
      } else if (result.outcome.skipped) {
        skipped++;
      }
      batch.push({ name: `fuzz_${index}.py`, bytes: input.bytes });
      if (batch.length >= options.batch) flushBatch();
      done++;
      if (done % progressEvery === 0 && done < indexes.length) {
        const failed = crashes.size + hangs.size + cliFailures.size;
        console.log(
          `fuzz: ${done}/${indexes.length}, ${failed} distinct failures so far, ${seconds(performance.now() - started)}`,
        );
      }
    }
    await worker?.stop();
  };
  await Promise.all(Array.from({ length: Math.max(1, options.jobs) }, lane));
  if (process.env.FUZZ_DEBUG) console.log(`engine done ${seconds(performance.now() - started)}`);
  flushBatch();
  await cliChain;

  const failures: Failure[] = [];
  try {
    for (const [signature, c] of crashes) {
      failures.push(await engineFailure('engine crash', signature, c, options, rerun(c.index)));
    }
    for (const [signature, h] of hangs) {
      failures.push(await engineFailure('engine hang', signature, h, options, rerun(h.index)));
    }
    for (const [signature, f] of cliFailures) failures.push(await cliFailure(signature, f, cli, work, options));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  for (const failure of failures) {
    const dir = writeRepro(options.outDir, failure);
    console.log(`\nfuzz: ${failure.kind}: ${failure.signature} (${failure.count} inputs)`);
    console.log(`  repro (${failure.repro.length} bytes) in ${path.relative(process.cwd(), dir) || dir}:`);
    console.log(`  ${showRepro(failure.repro)}`);
    console.log(`  run again: ${failure.rerun}`);
  }

  const crashCount = [...crashes.values()].reduce((n, c) => n + c.count, 0);
  const hangCount = [...hangs.values()].reduce((n, h) => n + h.count, 0);
  const cliCount = [...cliFailures.values()].reduce((n, f) => n + f.count, 0);
  const slow = slowest.index >= 0 ? ` (input ${slowest.index})` : '';
  console.log(
    `fuzz: ${indexes.length} inputs, seed ${options.seed}, ${crashCount} crashes, ${hangCount} hangs, ` +
      `slowest ${seconds(slowest.ms)}${slow}, ${seconds(performance.now() - started)}; ` +
      `${cliRuns} CLI runs, ${cliCount} failed; ${skipped} inputs skipped by the reader or the parser`,
  );
  return crashCount + hangCount + cliCount > 0 ? 1 : 0;
}

/** Shrink an engine failure on a fresh worker, keeping candidates that fail with the same signature. */
async function engineFailure(
  kind: string,
  signature: string,
  pending: Pending & { count: number },
  options: CountOptions,
  rerun: string,
): Promise<Failure> {
  let worker = startEngineWorker(options.bundle);
  const run = async (bytes: Buffer): Promise<RunResult> => {
    if (!worker.alive) worker = startEngineWorker(options.bundle);
    return worker.run(bytes, options.timeoutMs);
  };
  const sameFailure = async (bytes: Buffer) => {
    const result = await run(bytes);
    if (kind === 'engine hang') return result.kind === 'hang';
    return result.kind === 'crash' && signatureOf(`${result.error.name}: ${result.error.message}`) === signature;
  };
  let repro: Buffer = pending.bytes;
  let detail = pending.detail;
  if (await sameFailure(pending.bytes)) {
    // A hang costs the time limit per try, so it gets fewer tries.
    const attempts = kind === 'engine hang' ? 12 : 400;
    repro = await shrink(pending.bytes, sameFailure, { attempts, deadline: Date.now() + 120_000 });
  } else {
    detail += '\n\nNot reproduced on its own: it may depend on an input checked before it in the same worker.';
  }
  await worker.stop();
  return {
    kind,
    signature,
    id: `seed${options.seed}-input${pending.index}`,
    detail,
    original: pending.bytes,
    repro,
    rerun,
    count: pending.count,
  };
}

/** Find the file of a failed CLI batch, then shrink it with the CLI as the judge. */
async function cliFailure(
  signature: string,
  failed: { files: BatchFile[]; count: number },
  cli: string,
  work: string,
  options: CountOptions,
): Promise<Failure> {
  const fails = async (files: BatchFile[]) => {
    const problem = await checkBatch(cli, work, files, CLI_TIMEOUT_MS);
    return problem !== undefined && signatureOf(problem) === signature;
  };
  const culprits = await isolateBatch(fails, failed.files);
  const names = culprits.map((f) => f.name).join(', ');
  let repro: Buffer = Buffer.concat(culprits.map((f) => f.bytes));
  if (culprits.length === 1) {
    const name = culprits[0].name;
    repro = await shrink(culprits[0].bytes, (bytes) => fails([{ name, bytes }]), {
      attempts: 150,
      deadline: Date.now() + 120_000,
    });
  }
  const index = /fuzz_(\d+)/.exec(culprits[0]?.name ?? '')?.[1] ?? '0';
  return {
    kind: 'cli',
    signature,
    id: `seed${options.seed}-input${index}`,
    detail: `failing together: ${names}${culprits.length > 1 ? ' (the repro is their concatenation)' : ''}`,
    original: Buffer.concat(culprits.map((f) => f.bytes)),
    repro,
    rerun: `node bin/gil-lens.js check --format json ${culprits.length === 1 ? 'repro.py' : 'DIR'}`,
    count: failed.count,
  };
}
