/**
 * The lines of a model that `check` does not keep: they are read again from
 * the file when something asks for them (modelPool.ts, `lines: 'disk'`).
 * The analysis reads a file's lines only to word a finding, build a fix or
 * honour a suppression comment, so a check of four stdlib copies read the
 * lines of 280 files out of 2,672. Kept as strings, lines were about a tenth
 * of the heap the models held there (25 MB of 286 MB after modelling), and a
 * fifth of the JSON text the workers posted. Reading a few files again costs
 * far less than keeping every file's lines.
 *
 * A file can change between its modelling and the read. The lines are then
 * not the ones the model's positions refer to, so they are checked against a
 * fingerprint of the lines the model was made from (the count and a SHA-1).
 * When they differ, or the file is gone, the model gets stand-in lines: empty,
 * except the suppression comments (model.directiveLines), whose text is kept
 * so a finding the user suppressed stays suppressed. The caller is told, so
 * `check` can say the report for that file quotes nothing.
 */
import crypto from 'node:crypto';
import { sourceLines } from '../model/extract';
import type { ModuleModel } from '../model/types';
import { type ModelRequest, readRequest } from './modelFile';
import { readLinesOnDemand } from './packedLines';

/** What is kept of a model's lines once they are dropped: enough to recognise them again, and the directives. */
export interface DroppedLines {
  count: number;
  /** SHA-1 (base64) of the lines joined by `\n`. */
  sha1: string;
  /** The text of each of model.directiveLines, in that order. */
  directives: string[];
}

/** Drop the model's lines, leaving an empty list in their place (which keeps the model's fields in their order). */
export function dropLines(model: ModuleModel): DroppedLines {
  const lines = model.lines;
  model.lines = [];
  return { count: lines.length, sha1: fingerprint(lines), directives: model.directiveLines.map((i) => lines[i]) };
}

/**
 * Make `model.lines` read `file` again when first asked for. `onChanged` is
 * called, once, when the file no longer holds the lines the model was made
 * from; the model then gets the stand-in lines described above.
 */
export function readLinesFromDisk(
  model: ModuleModel,
  file: ModelRequest,
  dropped: DroppedLines,
  onChanged: () => void,
): ModuleModel {
  return readLinesOnDemand(model, () => {
    const read = readRequest(file);
    if (read.ok) {
      const lines = sourceLines(read.text);
      if (lines.length === dropped.count && fingerprint(lines) === dropped.sha1) return lines;
    }
    onChanged();
    const standIn = new Array<string>(dropped.count).fill('');
    model.directiveLines.forEach((line, i) => {
      standIn[line] = dropped.directives[i];
    });
    return standIn;
  });
}

function fingerprint(lines: readonly string[]): string {
  return crypto.createHash('sha1').update(lines.join('\n')).digest('base64');
}
