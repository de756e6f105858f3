/**
 * Limits shared by every edge that reads Python files from disk (the CLI, the
 * language server and the benchmarks), so a file is treated the same way
 * wherever it is opened.
 */

/**
 * Files larger than this are skipped with a per-file message. Real source files
 * are far smaller; anything bigger is almost always generated code or data, and
 * analysing it would cost seconds while finding nothing a person wrote.
 */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;

/** The limit as people read it in messages. */
export const MAX_FILE_SIZE_TEXT = '2 MB';

/**
 * The language server's workspace index holds at most this many files by default
 * (`gil-lens.maxIndexedFiles`). An indexed file costs the server about 0.1 MB
 * (2,672 stdlib files: 351 MB), so the default keeps a large monorepo's server
 * near 600 MB instead of growing with the repository until its heap runs out.
 */
export const MAX_INDEXED_FILES = 5_000;
