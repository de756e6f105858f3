/**
 * The lines of a model in the language server's index, packed until
 * something reads them (modelPool.ts, `lines: 'packed'`). The analysis
 * reads a file's lines only to word a finding, build a fix or honour a
 * suppression comment (and model.directiveLines says which lines hold one), so
 * on a large project most files' lines are never read. Kept as strings they
 * were a sixth of every model's bytes, and a fifth of the JSON text a worker
 * posts. Deflated at zlib's fastest level, one stdlib copy's 11.2 MB of lines
 * take 3.3 MB, and packing them costs about 0.2 ms per file. A check of four
 * stdlib copies read the lines of 280 files out of 2,672.
 *
 * The round trip is exact: the source came through a strict UTF-8 decoder
 * (readSource.ts), so it holds no lone surrogate that UTF-8 bytes would lose,
 * and no line holds a `\n` (model/extract.ts splitLines), so joining on it and
 * splitting again gives back the same lines.
 */
import zlib from 'node:zlib';
import type { ModuleModel } from '../model/types';

/**
 * The packed bytes in a buffer of their own. zlib hands back a view of its 16 KB output chunk, and a view
 * keeps (and posting it to another thread copies) the whole buffer under it: on four stdlib copies that
 * made 13 MB of packed lines hold 45 MB.
 */
export function packLines(lines: readonly string[]): Uint8Array {
  return new Uint8Array(zlib.deflateRawSync(Buffer.from(lines.join('\n'), 'utf8'), { level: 1 }));
}

export function unpackLines(packed: Uint8Array): string[] {
  return zlib.inflateRawSync(packed).toString('utf8').split('\n');
}

/**
 * Pack the model's lines and leave an empty list in their place, which keeps the model's fields in their
 * order (so models keep one shape) until readLinesOnDemand puts the packing there.
 */
export function takeLines(model: ModuleModel): Uint8Array {
  const packed = packLines(model.lines);
  model.lines = [];
  return packed;
}

/**
 * Make `model.lines` call `load` when first read: unpack packed lines (`() => unpackLines(packed)`), or read
 * the file again (linesOnDisk.ts). From then on, or once something assigns it, `lines` is a plain field
 * again and the loader is dropped.
 */
export function readLinesOnDemand(model: ModuleModel, load: () => string[]): ModuleModel {
  const settle = (lines: string[]) => {
    Object.defineProperty(model, 'lines', { value: lines, writable: true, enumerable: true, configurable: true });
    return lines;
  };
  Object.defineProperty(model, 'lines', {
    enumerable: true,
    configurable: true,
    get: () => settle(load()),
    set: settle,
  });
  return model;
}
