/**
 * The Python files under a test folder, in a stable order, found by the same walk `gil-lens check`
 * uses (without .gitignore, which fixtures do not need).
 */
import { collectPythonFiles } from '../server/src/files/walk';

export function pyFiles(dir: string): string[] {
  return collectPythonFiles([dir], { gitignore: false }).files.map((f) => f.absPath);
}
