/**
 * Finds the interpreters for the benchmark, in the documented order, and logs
 * every step to the output channel:
 *
 * 1. the interpreter selected in the Python extension (`@vscode/python-extension`), when installed;
 * 2. the `gil-lens.pythonPath` setting;
 * 3. `python3`, then `python`, on PATH.
 *
 * The free-threaded interpreter comes from `gil-lens.freeThreadedPythonPath`,
 * else `python3.14t` or `python3.13t` on PATH (the same names and order as the CLI). Nothing is run here: the
 * harness reports the version and whether the GIL is really off.
 */
import { PythonExtension } from '@vscode/python-extension';
import * as vscode from 'vscode';
import { FREE_THREADED_NAMES, PYTHON_NAMES, whichSync } from '../../server/src/bench/interpreters';
import { SECTION } from '../../server/src/protocol';

export interface Interpreters {
  python?: string;
  freeThreaded?: string;
}

async function fromPythonExtension(resource: vscode.Uri, log: (m: string) => void): Promise<string | undefined> {
  if (!vscode.extensions.getExtension('ms-python.python')) {
    log('1. Python extension: not installed');
    return undefined;
  }
  try {
    const api = await PythonExtension.api();
    const active = api.environments.getActiveEnvironmentPath(resource);
    const resolved = await api.environments.resolveEnvironment(active);
    const executable = resolved?.executable.uri?.fsPath;
    log(`1. Python extension: ${executable ?? `no executable for ${active.path}`}`);
    return executable;
  } catch (error) {
    log(`1. Python extension: failed (${String(error)})`);
    return undefined;
  }
}

function firstOnPath(names: string[], step: string, log: (m: string) => void): string | undefined {
  for (const name of names) {
    const found = whichSync(name);
    log(`${step} ${name} on PATH: ${found ?? 'not found'}`);
    if (found) return found;
  }
  return undefined;
}

export async function resolveInterpreters(resource: vscode.Uri, log: (m: string) => void): Promise<Interpreters> {
  const config = vscode.workspace.getConfiguration(SECTION, resource);
  log('Looking for a Python interpreter for the benchmark');
  let python = await fromPythonExtension(resource, log);
  if (!python) {
    const setting = config.get<string>('pythonPath')?.trim();
    log(`2. ${SECTION}.pythonPath: ${setting || 'not set'}`);
    python = setting || firstOnPath(PYTHON_NAMES, '3.', log);
  }
  const ftSetting = config.get<string>('freeThreadedPythonPath')?.trim();
  log(`Free-threaded: ${SECTION}.freeThreadedPythonPath: ${ftSetting || 'not set'}`);
  const freeThreaded = ftSetting || firstOnPath(FREE_THREADED_NAMES, 'Free-threaded:', log);
  log(`Benchmark interpreters: ${python ?? 'none'}; free-threaded: ${freeThreaded ?? 'none (mode skipped)'}`);
  return { python, freeThreaded };
}
