/**
 * Finds interpreters on PATH for the CLI and the language server, which have
 * no Python extension to ask. The VS Code client does its own lookup
 * (client/src/benchmarkInterpreter.ts) and sends explicit paths. Nothing here
 * runs a program: a candidate is an executable file on PATH, and the harness
 * itself reports whether the GIL is really off.
 */
import fs from 'node:fs';
import path from 'node:path';

export const PYTHON_NAMES = ['python3', 'python'];
export const FREE_THREADED_NAMES = ['python3.14t', 'python3.13t'];

/** The first executable named `name` in PATH's directories, or undefined. */
export function whichSync(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here; try the next directory.
    }
  }
  return undefined;
}

/** The first of `names` found on PATH, or undefined. */
export function findFirst(names: string[], envPath?: string): string | undefined {
  for (const name of names) {
    const found = whichSync(name, envPath);
    if (found) return found;
  }
  return undefined;
}

/** The environment variable CI and tests use for a free-threaded interpreter. */
export function freeThreadedFromEnv(): string | undefined {
  const value = process.env.GIL_LENS_FREE_THREADED_PYTHON;
  return value?.trim() ? value.trim() : undefined;
}
