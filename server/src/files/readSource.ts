/**
 * Reads one Python file for checking and decides whether it can be checked at
 * all. Files too large to be hand-written, binary files (NUL bytes) and files
 * that are not valid UTF-8 are skipped with a reason the user can act on,
 * instead of being fed to the parser as garbage. The benchmark reads files the
 * same way, so its figures describe what `check` would actually analyse.
 */
import fs from 'node:fs';
import { MAX_FILE_BYTES, MAX_FILE_SIZE_TEXT } from '../config/limits';
import { describeError } from '../config/loadConfig';

/**
 * `unreadable` marks input the user asked for but the system refused (permissions,
 * a file vanishing mid-run), as opposed to a file that was read and skipped.
 */
export type ReadResult = { ok: true; text: string } | { ok: false; reason: string; unreadable?: boolean };

// fatal: true makes invalid byte sequences throw instead of becoming U+FFFD,
// whose columns would no longer match the file. A leading BOM is dropped.
const decoder = new TextDecoder('utf-8', { fatal: true });

export function readSource(absPath: string): ReadResult {
  let bytes: Buffer;
  try {
    const size = fs.statSync(absPath).size;
    if (size > MAX_FILE_BYTES) {
      return { ok: false, reason: `larger than ${MAX_FILE_SIZE_TEXT} (${size} bytes), skipped` };
    }
    bytes = fs.readFileSync(absPath);
  } catch (error) {
    return { ok: false, reason: `cannot read: ${describeError(error)}`, unreadable: true };
  }
  return decodeSource(bytes);
}

/** Decode file bytes as Python source text, or say why they are not. */
export function decodeSource(bytes: Uint8Array): ReadResult {
  if (bytes.includes(0)) return { ok: false, reason: 'binary file (contains NUL bytes), skipped' };
  try {
    return { ok: true, text: decoder.decode(bytes) };
  } catch {
    return { ok: false, reason: 'not valid UTF-8, skipped (gil-lens reads UTF-8 source only)' };
  }
}
