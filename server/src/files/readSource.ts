/**
 * Reads one Python file for checking and decides whether it can be checked at
 * all. Files too large to be hand-written, binary files (NUL bytes), files
 * that are not valid UTF-8 and anything that is not a regular file (a device
 * such as /dev/zero would be read for ever, a FIFO would block) are skipped
 * with a reason the user can act on, instead of being fed to the parser as
 * garbage. The benchmark reads files the same way, so its figures describe
 * what `check` would actually analyse.
 */
import fs from 'node:fs';
import { MAX_FILE_BYTES, MAX_FILE_SIZE_TEXT } from '../config/limits';
import { describeError } from '../config/loadConfig';
import type { FsPath } from './bytePaths';

/**
 * `unreadable` marks input the user asked for but the system refused (permissions,
 * a file vanishing mid-run), as opposed to a file that was read and skipped.
 */
export type ReadResult = { ok: true; text: string } | { ok: false; reason: string; unreadable?: boolean };

// fatal: true makes invalid byte sequences throw instead of becoming U+FFFD,
// whose columns would no longer match the file. A leading BOM is dropped.
const decoder = new TextDecoder('utf-8', { fatal: true });

// Opening a FIFO for reading waits for a writer; non-blocking, it returns at
// once. Windows has no FIFOs and no such flag.
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

const CHUNK_BYTES = 64 * 1024;

/** The type tests that fs.Stats and fs.Dirent share. */
type FileType = Pick<fs.Stats, 'isDirectory' | 'isFIFO' | 'isCharacterDevice' | 'isBlockDevice' | 'isSocket'>;

/** Why something that is not a regular file is not read. */
export function notRegularReason(stat: FileType): string {
  return `not a regular file (${fileTypeOf(stat)}), skipped`;
}

/** What kind of thing a path that is not a regular file is, as a phrase for messages. */
export function fileTypeOf(stat: FileType): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'a special file';
}

export function readSource(file: FsPath): ReadResult {
  let bytes: Buffer | string;
  try {
    // Devices are never opened: opening one can block or have side effects.
    const stat = fs.statSync(file);
    if (!stat.isFile()) return { ok: false, reason: notRegularReason(stat) };
    bytes = readRegular(file);
  } catch (error) {
    return { ok: false, reason: `cannot read: ${describeError(error)}`, unreadable: true };
  }
  return typeof bytes === 'string' ? { ok: false, reason: bytes } : decodeSource(bytes);
}

/**
 * The bytes of a regular file, or the reason it is skipped. The type and size
 * are checked again on the open file, which cannot change under us as the
 * path can, and no more than the limit is ever read, so a file that grows
 * while it is read cannot exhaust memory either.
 */
function readRegular(file: FsPath): Buffer | string {
  const fd = fs.openSync(file, OPEN_FLAGS);
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return notRegularReason(stat);
    if (stat.size > MAX_FILE_BYTES) return `larger than ${MAX_FILE_SIZE_TEXT} (${stat.size} bytes), skipped`;
    const bytes = readAtMost(fd, MAX_FILE_BYTES + 1, stat.size);
    return bytes.length > MAX_FILE_BYTES ? `larger than ${MAX_FILE_SIZE_TEXT}, skipped` : bytes;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Up to `limit` bytes from the start of an open file. The first read asks for
 * one byte more than the reported size, which usually finds the end at once;
 * some files (in /proc, for one) report no size at all.
 */
function readAtMost(fd: number, limit: number, sizeHint: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < limit) {
    const want = chunks.length === 0 ? Math.max(sizeHint + 1, CHUNK_BYTES) : CHUNK_BYTES;
    const chunk = Buffer.allocUnsafe(Math.min(want, limit - total));
    const read = fs.readSync(fd, chunk, 0, chunk.length, total);
    if (read === 0) break;
    chunks.push(read === chunk.length ? chunk : chunk.subarray(0, read));
    total += read;
  }
  return Buffer.concat(chunks, total);
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
