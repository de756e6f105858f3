/**
 * A model worker's entry point, bundled to dist/modelWorker.js and started by
 * modelPool.ts. It loads its own parser, then claims files from the shared
 * counter until none are left, posting each file's model (or the reason it is
 * skipped) as soon as it has it, its lines packed or dropped when asked, and `done` at
 * the end. An error other than a refusal is posted with the file's index and
 * ends the worker: it is a bug, and the main thread reports it as the serial
 * check would.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initSyntax } from '../engine';
import { isSkipped, modelOrSkip } from './modelFile';
import { detachLines, type WorkerInput, type WorkerMessage } from './modelPool';

async function work(port: NonNullable<typeof parentPort>, input: WorkerInput): Promise<void> {
  const counter = new Int32Array(input.claims);
  const post = (message: WorkerMessage) => port.postMessage(message);
  // On a small project the other threads may have taken every file while this one started: skip loading a parser.
  if (Atomics.load(counter, 0) >= input.files.length) {
    post({ done: true });
    return;
  }
  const syntax = await initSyntax();
  for (let i = Atomics.add(counter, 0, 1); i < input.files.length; i = Atomics.add(counter, 0, 1)) {
    try {
      const outcome = modelOrSkip(syntax, input.files[i]);
      // Asked to, the lines cross packed beside the rest (packedLines.ts), or only what is kept of them once dropped.
      const lines = isSkipped(outcome) ? {} : detachLines(outcome, input.lines);
      post({ index: i, json: JSON.stringify(outcome), ...lines });
    } catch (error) {
      post({ index: i, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      return;
    }
  }
  post({ done: true });
}

if (parentPort) void work(parentPort, workerData as WorkerInput);
