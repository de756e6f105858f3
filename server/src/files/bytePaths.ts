/**
 * File names that are not valid UTF-8. Linux file names are bytes, but Node
 * hands them to JavaScript, like the command line, decoded as UTF-8 with each
 * invalid sequence replaced by U+FFFD. A string that went through that
 * decoding no longer names the file, so such a path is kept as a Buffer for
 * the file system, and its decoded form serves only for messages, output and
 * module names.
 */
import fs from 'node:fs';
import path from 'node:path';

/** A path the file system accepts: a string, or the raw bytes when a name is not UTF-8. */
export type FsPath = string | Buffer;

const REPLACEMENT = '\uFFFD';

/** Whether a name's bytes survive decoding as UTF-8, so a string can stand for it. */
export function isUtf8Name(name: Buffer): boolean {
  return Buffer.from(name.toString('utf8'), 'utf8').equals(name);
}

/** The entry `name` (raw bytes from a directory listing) inside `dir`. */
export function childPath(dir: FsPath, name: Buffer): FsPath {
  if (typeof dir === 'string' && isUtf8Name(name)) return path.join(dir, name.toString('utf8'));
  const parent = Buffer.from(dir);
  const sep = parent.length > 0 && parent[parent.length - 1] === path.sep.charCodeAt(0) ? '' : path.sep;
  return Buffer.concat([parent, Buffer.from(sep), name]);
}

/**
 * The file system path behind an absolute path that was decoded with U+FFFD
 * (a name typed on the command line). Each component holding U+FFFD is looked
 * up in its folder among the names that decode to it; when none or several
 * do, the string is returned and the caller reports it as not found.
 */
export function recoverPath(absPath: string): FsPath {
  if (!absPath.includes(REPLACEMENT) || fs.existsSync(absPath)) return absPath;
  const parts = absPath.split(path.sep);
  let current: FsPath = parts[0] + path.sep;
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    const name = part.includes(REPLACEMENT) ? lossyMatch(current, part) : Buffer.from(part);
    if (!name) return absPath;
    current = childPath(current, name);
  }
  return current;
}

/** The one name in `dir` that decodes to `shown`, if exactly one does. */
function lossyMatch(dir: FsPath, shown: string): Buffer | undefined {
  let names: Buffer[];
  try {
    names = fs.readdirSync(dir, { encoding: 'buffer' });
  } catch {
    return undefined;
  }
  const matches = names.filter((name) => name.toString('utf8') === shown);
  return matches.length === 1 ? matches[0] : undefined;
}

/** A string key that tells any two paths apart, their bytes included. */
export function pathKey(p: FsPath): string {
  return Buffer.from(p).toString('latin1');
}
