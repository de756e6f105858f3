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
