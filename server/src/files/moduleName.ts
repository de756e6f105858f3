/**
 * Dotted module names for checked files, so the analysis can resolve
 * `from pkg.sub import helper` to the file that defines `helper`.
 *
 * A name is the file's path relative to its import root, with `/` turned into
 * `.` (`pkg/sub/mod.py` → `pkg.sub.mod`, `pkg/__init__.py` → `pkg`). The import
 * root starts at the folder the user named (or a named file's folder) and
 * climbs while that folder is itself a package (holds `__init__.py`), as
 * Python's own import system would see it: checking `src/pkg/` still names
 * its modules `pkg.*`, not `*`.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The folder that imports are resolved from for files under `dir`. */
export function importRoot(dir: string): string {
  let root = path.resolve(dir);
  for (;;) {
    const parent = path.dirname(root);
    if (parent === root || !fs.existsSync(path.join(root, '__init__.py'))) return root;
    root = parent;
  }
}

/** `pkg/sub/mod.py` under `root` → `pkg.sub.mod`; `pkg/__init__.py` → `pkg`. */
export function moduleNameFor(root: string, file: string): string {
  const rel = path.relative(root, file).split(path.sep).join('/');
  const parts = rel.replace(/\.pyi?$/, '').split('/');
  if (parts.length > 1 && parts[parts.length - 1] === '__init__') parts.pop();
  // A lone `__init__.py` at the root has no package above it to be named after.
  if (parts.length === 1 && parts[0] === '__init__') return path.basename(path.dirname(file));
  return parts.join('.');
}
