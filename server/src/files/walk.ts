/**
 * Turns the paths on the command line (or a workspace folder, for the language
 * server's index) into the sorted list of Python files to check. Named files are always checked. Named folders are walked for `*.py`,
 * skipping tool and environment folders and whatever the `.gitignore` files say
 * (with git's precedence: a deeper .gitignore overrides a shallower one, and a
 * folder that is ignored is not entered). The `.gitignore` files above a named
 * folder count too, up to the enclosing git repository's root, because
 * `gil-lens check src/` should skip what `git status` skips.
 *
 * Symbolic links to folders are not followed, which rules out cycles; links to
 * files are checked once, under the first path that reaches them.
 */
import fs from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { describeError } from '../config/loadConfig';
import { importRoot, moduleNameFor } from './moduleName';

/** Folders never worth walking: version control, caches, virtual environments. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  '.git',
  '.hg',
  '.svn',
  'node_modules',
  '.venv',
  'venv',
  '__pycache__',
  '.tox',
  '.nox',
  '.mypy_cache',
  '.ruff_cache',
]);

export interface PythonFile {
  /** Absolute path, for reading. */
  absPath: string;
  /** The path as the user gave it (a named file) or joined onto the folder they named. */
  displayPath: string;
  moduleName: string;
}

export interface WalkResult {
  files: PythonFile[];
  /** Folders inside a walk that could not be listed; the rest is still checked. */
  problems: { path: string; reason: string }[];
}

/** A named path that does not exist or cannot be read: a usage error. */
export class InputError extends Error {}

export interface WalkOptions {
  cwd?: string;
  /** Extra folder names to skip (the benchmark skips test folders). */
  skipDirs?: Iterable<string>;
  /** Honour .gitignore files (on by default). */
  gitignore?: boolean;
}

interface IgnoreLayer {
  dir: string;
  rules: Ignore;
}

/** What stays the same through one folder walk. */
interface Walk {
  skip: Set<string>;
  gitignore: boolean;
  /** Paths relative to the walked folder. */
  found: string[];
  problems: WalkResult['problems'];
}

/** Collect the Python files under `paths`, sorted within each path and without duplicates. */
export function collectPythonFiles(paths: string[], options: WalkOptions = {}): WalkResult {
  const cwd = options.cwd ?? process.cwd();
  const skip = new Set([...SKIPPED_DIRS, ...(options.skipDirs ?? [])]);
  const result: WalkResult = { files: [], problems: [] };
  const seen = new Set<string>();
  for (const given of paths) {
    const absPath = path.resolve(cwd, given);
    const problem = inputProblem(given, cwd);
    if (problem) throw new InputError(problem);
    const stat = fs.statSync(absPath);
    let found: PythonFile[];
    if (stat.isDirectory()) {
      const walk: Walk = { skip, gitignore: options.gitignore !== false, found: [], problems: result.problems };
      walkDir(walk, absPath, '', walk.gitignore ? ancestorLayers(absPath) : []);
      const root = importRoot(absPath);
      found = walk.found.sort(compareCodePoints).map((rel) => {
        const file = path.join(absPath, rel);
        return { absPath: file, displayPath: path.join(given, rel), moduleName: moduleNameFor(root, file) };
      });
    } else {
      found = [{ absPath, displayPath: given, moduleName: moduleNameFor(importRoot(path.dirname(absPath)), absPath) }];
    }
    for (const file of found) {
      const key = realpathOr(file.absPath);
      if (seen.has(key)) continue;
      seen.add(key);
      result.files.push(file);
    }
  }
  return result;
}

/** Why a named path cannot be checked, or undefined when it can. */
export function inputProblem(given: string, cwd = process.cwd()): string | undefined {
  const absPath = path.resolve(cwd, given);
  try {
    const stat = fs.statSync(absPath);
    if (stat.isDirectory()) fs.readdirSync(absPath);
    else fs.accessSync(absPath, fs.constants.R_OK);
    return undefined;
  } catch (error) {
    return `cannot read ${given}: ${describeError(error)}`;
  }
}

function walkDir(walk: Walk, dir: string, rel: string, layers: IgnoreLayer[]): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    walk.problems.push({ path: dir, reason: describeError(error) });
    return;
  }
  const own = walk.gitignore ? readGitignore(dir) : undefined;
  const active = own ? [...layers, own] : layers;
  for (const entry of entries) {
    const abs = path.join(dir, entry.name);
    const childRel = rel ? path.join(rel, entry.name) : entry.name;
    if (entry.isDirectory()) {
      if (walk.skip.has(entry.name) || isIgnored(active, abs, true)) continue;
      walkDir(walk, abs, childRel, active);
    } else if (entry.name.endsWith('.py') && isFile(entry, abs) && !isIgnored(active, abs, false)) {
      walk.found.push(childRel);
    }
  }
}

/** Regular files, and symbolic links that point at one. */
function isFile(entry: fs.Dirent, abs: string): boolean {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return fs.statSync(abs).isFile();
  } catch {
    return false;
  }
}

/** Deepest layer first: the first one with an opinion (ignore or `!` re-include) decides. */
function isIgnored(layers: IgnoreLayer[], abs: string, isDir: boolean): boolean {
  for (let i = layers.length - 1; i >= 0; i--) {
    const rel = path.relative(layers[i].dir, abs).split(path.sep).join('/');
    const verdict = layers[i].rules.test(isDir ? `${rel}/` : rel);
    if (verdict.ignored) return true;
    if (verdict.unignored) return false;
  }
  return false;
}

function readGitignore(dir: string): IgnoreLayer | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, '.gitignore'), 'utf8');
  } catch {
    return undefined;
  }
  return { dir, rules: ignore().add(text) };
}

/**
 * The .gitignore files above `dir`, outermost first, up to the root of the git
 * repository that contains it. Outside a repository only `dir`'s own counts.
 */
function ancestorLayers(dir: string): IgnoreLayer[] {
  // A named folder that is itself a repository root has nothing above it to consult.
  if (fs.existsSync(path.join(dir, '.git'))) return [];
  const chain: string[] = [];
  let current = dir;
  for (;;) {
    const parent = path.dirname(current);
    // Reaching the file-system root means `dir` is not inside a repository.
    if (parent === current) return [];
    chain.push(parent);
    if (fs.existsSync(path.join(parent, '.git'))) break;
    current = parent;
  }
  return chain
    .reverse()
    .map(readGitignore)
    .filter((layer): layer is IgnoreLayer => layer !== undefined);
}

function realpathOr(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** Plain code-point order, so the result does not depend on the machine's locale. */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
