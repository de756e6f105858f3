/**
 * Turns the paths on the command line (or a workspace folder, for the language
 * server's index) into the sorted list of Python files to check. Named files
 * are always checked. Named folders are walked for `*.py`,
 * skipping tool and environment folders and whatever the `.gitignore` files say
 * (with git's precedence: a deeper .gitignore overrides a shallower one, and a
 * folder that is ignored is not entered). The `.gitignore` files above a named
 * folder count too, up to the enclosing git repository's root, because
 * `gil-lens check src/` should skip what `git status` skips; but a named
 * folder they ignore as a whole is walked all the same, as a named file is
 * checked.
 *
 * Symbolic links to folders are not followed, which rules out cycles; links to
 * files are checked once, under the first path that reaches them. A `*.py`
 * entry that cannot be checked (a dangling or looping link, a device, a FIFO)
 * is returned as skipped with its reason, never dropped in silence. Names are
 * listed as bytes, so a file whose name is not UTF-8 is still found and read
 * (bytePaths.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { describeError } from '../config/loadConfig';
import { childPath, type FsPath, pathKey, recoverPath } from './bytePaths';
import { importRoot, moduleNameFor } from './moduleName';
import { fileTypeOf, notRegularReason } from './readSource';

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
  /** Absolute path, for reading (through `fsPath` when that is set). */
  absPath: string;
  /** The path as the user gave it (a named file) or joined onto the folder they named. */
  displayPath: string;
  moduleName: string;
  /** The path's bytes when a name in it is not UTF-8, so `absPath` cannot open it. */
  fsPath?: Buffer;
}

/** A `*.py` entry met in a folder walk that is not checked, and why. */
export interface SkippedEntry {
  absPath: string;
  displayPath: string;
  reason: string;
}

export interface WalkResult {
  files: PythonFile[];
  /** Folders inside a walk that could not be listed; the rest is still checked. */
  problems: { path: string; reason: string }[];
  /** Entries inside a walk that are not regular files (links that lead nowhere, devices). */
  skipped: SkippedEntry[];
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
  /** Paths relative to the walked folder, with what to open them by. */
  found: { rel: string; fsPath: FsPath }[];
  skipped: { rel: string; reason: string }[];
  problems: WalkResult['problems'];
}

/**
 * A path met in a walk: the path to open it by, its absolute path as text,
 * and its path below the walked folder.
 */
interface WalkedPath {
  fsPath: FsPath;
  abs: string;
  rel: string;
}

/** Collect the Python files under `paths`, sorted within each path and without duplicates. */
export function collectPythonFiles(paths: string[], options: WalkOptions = {}): WalkResult {
  const cwd = options.cwd ?? process.cwd();
  const skip = new Set([...SKIPPED_DIRS, ...(options.skipDirs ?? [])]);
  const result: WalkResult = { files: [], problems: [], skipped: [] };
  const seen = new Set<string>();
  for (const given of paths) {
    const absPath = path.resolve(cwd, given);
    const problem = inputProblem(given, cwd);
    if (problem) throw new InputError(problem);
    const fsPath = recoverPath(absPath);
    let found: PythonFile[];
    if (fs.statSync(fsPath).isDirectory()) {
      const walk: Walk = {
        skip,
        gitignore: options.gitignore !== false,
        found: [],
        skipped: [],
        problems: result.problems,
      };
      walkDir(walk, { fsPath, abs: absPath, rel: '' }, walk.gitignore ? layersAbove(absPath) : []);
      found = walkedFiles(walk, given, absPath);
      for (const { rel, reason } of walk.skipped.sort((a, b) => compareCodePoints(a.rel, b.rel))) {
        result.skipped.push({ absPath: path.join(absPath, rel), displayPath: path.join(given, rel), reason });
      }
    } else {
      const moduleName = moduleNameFor(importRoot(path.dirname(absPath)), absPath);
      found = [{ absPath, displayPath: given, moduleName, ...bytesIfNeeded(fsPath) }];
    }
    for (const file of found) {
      const key = realpathKey(file.fsPath ?? file.absPath);
      if (seen.has(key)) continue;
      seen.add(key);
      result.files.push(file);
    }
  }
  return result;
}

/** The files one folder walk found, sorted, as PythonFiles. */
function walkedFiles(walk: Walk, given: string, absPath: string): PythonFile[] {
  const root = importRoot(absPath);
  return walk.found
    .sort((a, b) => compareCodePoints(a.rel, b.rel))
    .map(({ rel, fsPath }) => {
      const file = path.join(absPath, rel);
      return {
        absPath: file,
        displayPath: path.join(given, rel),
        moduleName: moduleNameFor(root, file),
        ...bytesIfNeeded(fsPath),
      };
    });
}

function bytesIfNeeded(fsPath: FsPath): { fsPath?: Buffer } {
  return typeof fsPath === 'string' ? {} : { fsPath };
}

/** Why a named path cannot be checked, or undefined when it can. */
export function inputProblem(given: string, cwd = process.cwd()): string | undefined {
  const absPath = recoverPath(path.resolve(cwd, given));
  try {
    const stat = fs.statSync(absPath);
    if (stat.isDirectory()) fs.readdirSync(absPath);
    else fs.accessSync(absPath, fs.constants.R_OK);
    return undefined;
  } catch (error) {
    return `cannot read ${given}: ${describeError(error)}`;
  }
}

function walkDir(walk: Walk, dir: WalkedPath, layers: IgnoreLayer[]): void {
  let entries: fs.Dirent<Buffer>[];
  try {
    // Names come as bytes: decoded to strings, a name that is not UTF-8 could not be opened.
    entries = fs.readdirSync(dir.fsPath, { withFileTypes: true, encoding: 'buffer' });
  } catch (error) {
    walk.problems.push({ path: dir.abs, reason: describeError(error) });
    return;
  }
  const own = walk.gitignore ? readGitignore(dir) : undefined;
  const active = own ? [...layers, own] : layers;
  for (const entry of entries) {
    const name = entry.name.toString('utf8');
    const child: WalkedPath = {
      fsPath: childPath(dir.fsPath, entry.name),
      abs: path.join(dir.abs, name),
      rel: dir.rel ? path.join(dir.rel, name) : name,
    };
    if (entry.isDirectory()) {
      if (walk.skip.has(name) || isIgnored(active, child.abs, true)) continue;
      walkDir(walk, child, active);
    } else if (name.endsWith('.py') && !isIgnored(active, child.abs, false)) {
      const kind = entryKind(entry, child.fsPath);
      if (kind === 'file') walk.found.push({ rel: child.rel, fsPath: child.fsPath });
      else if (kind !== 'folder') walk.skipped.push({ rel: child.rel, reason: kind });
    }
  }
}

/**
 * A `*.py` entry is a file to check (a regular file, or a link to one), a
 * link to a folder (never followed, like any folder link), or the reason it
 * is skipped.
 */
function entryKind(entry: fs.Dirent<Buffer>, fsPath: FsPath): 'file' | 'folder' | string {
  if (!entry.isSymbolicLink()) return entry.isFile() ? 'file' : notRegularReason(entry);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(fsPath);
  } catch (error) {
    return brokenLinkReason(error);
  }
  if (stat.isDirectory()) return 'folder';
  return stat.isFile() ? 'file' : `symbolic link to ${fileTypeOf(stat)}, skipped`;
}

function brokenLinkReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'dangling symbolic link (its target does not exist), skipped';
  if (code === 'ELOOP') return 'symbolic link loop (too many levels of symbolic links), skipped';
  return `symbolic link that cannot be followed (${describeError(error)}), skipped`;
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

function readGitignore(dir: WalkedPath): IgnoreLayer | undefined {
  let text: string;
  try {
    text = fs.readFileSync(childPath(dir.fsPath, Buffer.from('.gitignore')), 'utf8');
  } catch {
    return undefined;
  }
  return { dir: dir.abs, rules: ignore().add(text) };
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
    .map((abs) => readGitignore({ fsPath: abs, abs, rel: '' }))
    .filter((layer): layer is IgnoreLayer => layer !== undefined);
}

/**
 * The .gitignore layers that apply inside a named folder: those above it, unless they ignore the folder
 * itself. Naming a folder that a .gitignore above ignores as a whole (a virtual environment, a pyenv
 * version, a vendored copy) asks for it, as naming a file does: it is walked, honouring only its own
 * .gitignore files and deeper ones. Keeping the layers above would skip every file in it.
 */
function layersAbove(dir: string): IgnoreLayer[] {
  const layers = ancestorLayers(dir);
  return isIgnored(layers, dir, true) ? [] : layers;
}

/** The same key for every path that reaches one file. */
function realpathKey(p: FsPath): string {
  try {
    return pathKey(fs.realpathSync(p, { encoding: 'buffer' }));
  } catch {
    return pathKey(p);
  }
}

/** Plain code-point order, so the result does not depend on the machine's locale. */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
