/**
 * Finds and reads the configuration file for a set of checked paths. This is
 * the file-system half of configuration; configFromPyproject.ts is the pure
 * half. The CLI and the language server both use it, so it knows nothing of
 * either: it takes paths and returns a config, the file it came from and the
 * warnings to show.
 *
 * Discovery follows Ruff: the nearest `pyproject.toml` upward from the checked
 * folder that holds a `[tool.gil-lens]` table wins. A pyproject.toml without
 * that table belongs to some other tool's configuration and is passed over, so
 * a package's own pyproject does not hide a workspace-level gil-lens setting.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { type Config, defaultConfig } from '../analysis/types';
import { configFromPyproject } from './configFromPyproject';

export interface LoadedConfig {
  config: Config;
  /** The file the config came from; undefined when the defaults apply. */
  file?: string;
  warnings: string[];
}

/** An explicitly named config file that cannot be read; callers treat it as a usage error. */
export class ConfigFileError extends Error {}

/**
 * Whether a pyproject.toml has a `[tool.gil-lens]` table. A file that is not
 * valid TOML but mentions gil-lens counts as ours, so its error is reported
 * instead of being passed over in silence.
 */
function hasGilLensTable(text: string): boolean {
  try {
    const tool = (parseToml(text) as { tool?: unknown }).tool;
    return typeof tool === 'object' && tool !== null && 'gil-lens' in tool;
  } catch {
    return text.includes('gil-lens');
  }
}

/** Read and interpret one config file named by the user (`--config FILE`). */
export function loadConfigFile(file: string): LoadedConfig {
  let text: string;
  try {
    // A device or a FIFO named by mistake would be read for ever, or block.
    if (!fs.statSync(file).isFile()) throw new Error('not a regular file');
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigFileError(`cannot read ${file}: ${describeError(error)}`);
  }
  const { config, warnings } = configFromPyproject(text);
  if (warnings.length === 0 && !hasGilLensTable(text))
    warnings.push('no [tool.gil-lens] table in this file; using the default configuration');
  return { config, file, warnings };
}

/** The nearest pyproject.toml with a [tool.gil-lens] table at or above `startDir`. */
export function findPyproject(startDir: string): string | undefined {
  let dir = path.resolve(startDir);
  for (;;) {
    const candidate = path.join(dir, 'pyproject.toml');
    const text = readIfFile(candidate);
    if (text !== undefined && hasGilLensTable(text)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Discover the config for these checked paths; the defaults when none is found. */
export function discoverConfig(paths: string[], cwd = process.cwd()): LoadedConfig {
  const start = commonDirectory(paths.map((p) => path.resolve(cwd, p)));
  const file = findPyproject(start);
  if (!file) return { config: defaultConfig(), warnings: [] };
  return loadConfigFile(file);
}

/**
 * The deepest folder containing every path (a file counts as its folder). With
 * several paths this is the one place whose configuration covers them all.
 */
export function commonDirectory(absPaths: string[]): string {
  const dirs = absPaths.map((p) => (isDirectory(p) ? p : path.dirname(p)));
  if (dirs.length === 0) return process.cwd();
  let common = dirs[0].split(path.sep);
  for (const dir of dirs.slice(1)) {
    const parts = dir.split(path.sep);
    let i = 0;
    while (i < common.length && i < parts.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  return common.join(path.sep) || path.sep;
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function readIfFile(file: string): string | undefined {
  try {
    return fs.statSync(file).isFile() ? fs.readFileSync(file, 'utf8') : undefined;
  } catch {
    // An unreadable pyproject.toml on the way up is not ours to complain about.
    return undefined;
  }
}

export function describeError(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error) {
    const code = String((error as NodeJS.ErrnoException).code);
    const known: Record<string, string> = {
      ENOENT: 'no such file or directory',
      EACCES: 'permission denied',
      EISDIR: 'is a directory',
      ENOTDIR: 'not a directory',
      ELOOP: 'too many levels of symbolic links',
    };
    if (known[code]) return known[code];
  }
  return error instanceof Error ? error.message : String(error);
}
