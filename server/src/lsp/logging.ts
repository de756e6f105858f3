/**
 * Logging for the server. Everything goes to the connection's console (the
 * client's output channel, or stderr-backed logs in other editors), never to
 * stdout, which carries the protocol when the server runs with `--stdio`.
 *
 * `guarded` wraps request handlers so that an exception in one request logs a
 * line and answers with an empty result instead of taking the server down.
 */
import type { Connection } from 'vscode-languageserver/node';

export type Log = (message: string) => void;

export function createLog(connection: Connection): Log {
  return (message) => connection.console.log(`[gil-lens] ${message}`);
}

export function describe(error: unknown): string {
  if (error instanceof Error) return (error.stack ?? error.message).split('\n').slice(0, 3).join(' | ');
  return String(error);
}

export function guarded<A extends unknown[], R>(log: Log, name: string, fallback: R, handler: (...args: A) => R) {
  return (...args: A): R => {
    try {
      return handler(...args);
    } catch (error) {
      log(`${name} failed: ${describe(error)}`);
      return fallback;
    }
  };
}
