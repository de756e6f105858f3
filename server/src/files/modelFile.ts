/**
 * One file from disk to its model, or to the reason it is skipped. The serial
 * check and every model worker (modelWorker.ts) run this same function, so a
 * file gets the same model, or the same message, whichever thread reads it.
 * A request is plain data, because it crosses to a worker by structured clone.
 */
import fs from 'node:fs';
import { describeError } from '../config/loadConfig';
import { modelOf, type Syntax } from '../engine';
import type { ModuleModel } from '../model/types';
import { SkippedSource } from '../syntax/parser';
import { decodeSource, notRegularReason, type ReadResult, readSource } from './readSource';

export interface ModelRequest {
  /** Absolute path, for reading (through `fsPath` when that is set). */
  absPath: string;
  /** The path the model and every message carry. */
  displayPath: string;
  moduleName: string;
  /** The path's bytes when a name in it is not UTF-8 (a Uint8Array once it has crossed to a worker). */
  fsPath?: Uint8Array;
  /**
   * The language server's size limit (its `maxFileSize` setting), read as its
   * index always read files; without it, the file is read as `check` reads it.
   */
  maxBytes?: number;
}

/** Why a file has no model: skipped, or unreadable (the system refused a file the user asked for). */
export interface Skipped {
  reason: string;
  unreadable?: boolean;
}

export type ModelOutcome = ModuleModel | Skipped;

export function isSkipped(outcome: ModelOutcome): outcome is Skipped {
  return 'reason' in outcome;
}

/** Read and model one file; any error but a refusal by the reader or the parser is a bug and is thrown. */
export function modelOrSkip(syntax: Syntax, file: ModelRequest): ModelOutcome {
  const read = readRequest(file);
  if (!read.ok) return read.unreadable ? { reason: read.reason, unreadable: true } : { reason: read.reason };
  try {
    return modelOf(syntax, { path: file.displayPath, text: read.text, moduleName: file.moduleName });
  } catch (error) {
    if (error instanceof SkippedSource) return { reason: error.reason };
    throw error;
  }
}

/** Read the file as the request says: as `check` reads it, or within the language server's size limit. */
export function readRequest(file: ModelRequest): ReadResult {
  // Structured clone turns a Buffer into a plain Uint8Array; fs wants the Buffer back.
  const fsPath = file.fsPath
    ? Buffer.from(file.fsPath.buffer, file.fsPath.byteOffset, file.fsPath.byteLength)
    : undefined;
  return file.maxBytes === undefined ? readSource(fsPath ?? file.absPath) : readWithin(file.absPath, file.maxBytes);
}

/** Read a file for the language server's index: anything but a regular file within `maxBytes` is skipped. */
function readWithin(file: string, maxBytes: number): ReadResult {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) return { ok: false, reason: notRegularReason(stat) };
    if (stat.size > maxBytes) return { ok: false, reason: `larger than ${maxBytes} bytes, skipped` };
    return decodeSource(fs.readFileSync(file));
  } catch (error) {
    // Deleted between the walk and the read, or unreadable.
    return { ok: false, reason: `cannot read: ${describeError(error)}`, unreadable: true };
  }
}
