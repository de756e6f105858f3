/**
 * Where a failure goes: a folder per failure under the crash folder
 * (`.fuzz-crashes/` by default, git-ignored) holding the shrunk repro, the
 * original input and a report saying what failed and how to run it again,
 * and a short print of the same on stdout.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface Failure {
  /** `engine crash`, `engine hang`, `cli` or `lsp`. */
  kind: string;
  /** One line that says what went wrong, the same for the same defect. */
  signature: string;
  /** Run seed and input index, or an edit number, for the folder name and the rerun command. */
  id: string;
  detail: string;
  original: Buffer;
  repro: Buffer;
  rerun: string;
  /** How many inputs failed this same way in the run. */
  count: number;
}

/** The same defect's messages differ in numbers (lines, counts, file indexes): compare without them. */
export function signatureOf(text: string): string {
  return text.split('\n')[0].replace(/\d+/g, '#').slice(0, 300);
}

/** Write the failure's folder; returns its path. */
export function writeRepro(outDir: string, failure: Failure): string {
  const dir = path.join(outDir, `${failure.id}-${failure.kind.replace(/\W+/g, '-')}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'repro.py'), failure.repro);
  fs.writeFileSync(path.join(dir, 'original.py'), failure.original);
  fs.writeFileSync(
    path.join(dir, 'report.txt'),
    [
      `kind: ${failure.kind}`,
      `failure: ${failure.signature}`,
      `inputs failing this way in the run: ${failure.count}`,
      `repro: ${failure.repro.length} bytes (original ${failure.original.length})`,
      `run again: ${failure.rerun}`,
      '',
      failure.detail,
      '',
    ].join('\n'),
  );
  return dir;
}

const strict = new TextDecoder('utf-8', { fatal: true });

/**
 * The repro as a JSON string literal, so line breaks and control characters
 * are visible; bytes that are not UTF-8 are shown one per character (Latin-1).
 * Cut when long: the file holds all of it.
 */
export function showRepro(bytes: Buffer, limit = 1_500): string {
  let text: string;
  try {
    text = JSON.stringify(strict.decode(bytes));
  } catch {
    text = `${JSON.stringify(bytes.toString('latin1'))} (not UTF-8; bytes shown as Latin-1)`;
  }
  return text.length > limit ? `${text.slice(0, limit)}… (${bytes.length} bytes)` : text;
}
