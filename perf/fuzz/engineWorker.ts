/**
 * The engine in a worker thread, so that the fuzzer's watchdog is real: an
 * input that runs past the time limit is a hang, and terminating the worker
 * stops it even inside a loop that never yields (or inside wasm), after which
 * a fresh worker takes over. The worker is the fuzz bundle itself, started a
 * second time; `runEngineWorker` is what it does there.
 */
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { initSyntax } from '../../server/src/engine';
import { type CheckOutcome, checkInput } from './engineCheck';

export interface FailureDetail {
  name: string;
  message: string;
  stack: string;
}

export type RunResult =
  | { kind: 'ok'; ms: number; outcome: CheckOutcome }
  | { kind: 'crash'; ms: number; error: FailureDetail }
  | { kind: 'hang'; ms: number };

interface Request {
  id: number;
  bytes: Uint8Array;
}

type Reply = { id: number; ms: number; outcome: CheckOutcome } | { id: number; ms: number; error: FailureDetail };

export interface EngineWorker {
  /** Check one input; a hang terminates this worker, so the caller must start another. */
  run(bytes: Uint8Array, timeoutMs: number): Promise<RunResult>;
  readonly alive: boolean;
  stop(): Promise<void>;
}

/** True in the fuzz bundle's worker threads. */
export function isEngineWorker(): boolean {
  return !isMainThread;
}

/** The worker's side: check each input it is sent and answer with the outcome or the error. */
export function runEngineWorker(): void {
  const port = parentPort;
  if (!port) return;
  const syntax = initSyntax();
  port.on('message', async ({ id, bytes }: Request) => {
    const ready = await syntax;
    const started = performance.now();
    let reply: Reply;
    try {
      const outcome = checkInput(ready, bytes);
      reply = { id, ms: performance.now() - started, outcome };
    } catch (error) {
      reply = { id, ms: performance.now() - started, error: detail(error) };
    }
    port.postMessage(reply);
  });
}

function detail(error: unknown): FailureDetail {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack ?? '' };
  return { name: 'thrown', message: String(error), stack: '' };
}

/** Start a worker running `bundle` (the fuzz bundle's own file). */
export function startEngineWorker(bundle: string): EngineWorker {
  const worker = new Worker(bundle);
  worker.unref();
  let alive = true;
  let nextId = 0;
  const pending = new Map<number, (reply: Reply | FailureDetail) => void>();
  worker.on('message', (reply: Reply) => {
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  // A worker that dies (out of memory, a native abort) fails whatever it was doing.
  const died = (error: unknown) => {
    alive = false;
    for (const settle of pending.values()) settle(detail(error));
    pending.clear();
  };
  worker.on('error', died);
  worker.on('exit', (code) => died(new Error(`engine worker exited with code ${code}`)));
  return {
    get alive() {
      return alive;
    },
    run(bytes, timeoutMs) {
      const id = nextId++;
      const started = performance.now();
      return new Promise<RunResult>((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          alive = false;
          void worker.terminate();
          resolve({ kind: 'hang', ms: performance.now() - started });
        }, timeoutMs);
        pending.set(id, (reply) => {
          clearTimeout(timer);
          if ('id' in reply) {
            resolve('error' in reply ? { kind: 'crash', ms: reply.ms, error: reply.error } : { kind: 'ok', ...reply });
          } else {
            resolve({ kind: 'crash', ms: performance.now() - started, error: reply });
          }
        });
        worker.postMessage({ id, bytes } satisfies Request);
      });
    },
    async stop() {
      alive = false;
      await worker.terminate();
    },
  };
}
