/**
 * What `gil-lens bench` and `gil-lens confirm` share: their output streams, and running one long job that
 * SIGINT, SIGTERM or SIGHUP cancels through an AbortSignal. Node's default for those signals is to exit
 * at once, which would leave the harness (a process group of its own) running and its temporary folder
 * behind; aborting lets the runner stop the group and clean up before the command returns.
 */

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Run `job` with a signal that the stop signals abort; the handlers are removed however it ends. */
export async function untilStopped<T>(job: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onStop = () => controller.abort();
  for (const signal of STOP_SIGNALS) process.once(signal, onStop);
  try {
    return await job(controller.signal);
  } finally {
    for (const signal of STOP_SIGNALS) process.removeListener(signal, onStop);
  }
}
