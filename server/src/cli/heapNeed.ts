/**
 * A warning before `check` starts on more Python than this Node's heap can
 * hold. Node sizes its heap from the machine's memory (about a quarter of it,
 * at most 4 GB), and a check holds every file's model until the analysis
 * across files is done, so a large monorepo on a small CI runner would stop
 * with V8's "JavaScript heap out of memory" and a stack dump, after minutes of
 * work. Saying so first, with the setting that avoids it, costs one stat per
 * file.
 *
 * The need was measured by lowering `--max-old-space-size` until the check
 * failed: four stdlib copies (44.9 MB of Python) passed at 400 MB and failed
 * at 300 MB; one copy (11.2 MB) passed at 120 MB and failed at 100 MB. Ten
 * times the source bytes, plus a little for the program itself, covers both.
 */

const MB = 1024 * 1024;

/** Heap bytes a check needs per byte of Python source, with the margin above. */
const HEAP_PER_SOURCE_BYTE = 10;
/** The program, its parser and the analysis' fixed tables. */
const FIXED_HEAP_BYTES = 40 * MB;

/** The heap a check of `sourceBytes` of Python needs, in bytes. */
export function heapNeeded(sourceBytes: number): number {
  return FIXED_HEAP_BYTES + HEAP_PER_SOURCE_BYTE * sourceBytes;
}

/**
 * The warning for checking `files` files of `sourceBytes` under a heap limit of `limitBytes` (v8's
 * heap_size_limit), or undefined when they fit. The suggested size is the need with a quarter more, in
 * whole GB.
 */
export function heapWarning(files: number, sourceBytes: number, limitBytes: number): string | undefined {
  const need = heapNeeded(sourceBytes);
  if (need <= limitBytes) return undefined;
  const suggest = Math.ceil((need * 1.25) / (1024 * MB)) * 1024;
  const mb = (bytes: number) => Math.round(bytes / MB).toLocaleString('en-US');
  return (
    `warning: these ${files.toLocaleString('en-US')} files hold ${mb(sourceBytes)} MB of Python; checking them ` +
    `needs about ${mb(need)} MB of JavaScript heap, more than this Node allows (${mb(limitBytes)} MB). If the ` +
    `check stops with "JavaScript heap out of memory", run it with NODE_OPTIONS=--max-old-space-size=${suggest}.`
  );
}
