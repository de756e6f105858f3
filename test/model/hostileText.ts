/**
 * Generators of the inputs fuzzing found hard (issue 13), shared by the
 * model, CLI and LSP tests. Nothing here asserts anything.
 */

/** The file of issue 13 defect 1: an f-string whose replacement field holds `levels` nested `if x:` blocks. */
export function deepFString(levels = 600): string {
  let text = 'f"{';
  for (let k = 0; k < levels; k++) text += `${' '.repeat(k)}if x:\n`;
  return `${text}${' '.repeat(levels)}y\n}"\n`;
}

/** `levels` nested `if x:` blocks indented from `indent` on, around `inner`, each line ending in `\n`. */
export function nestedIfs(levels: number, indent: number, inner: string): string {
  let text = '';
  for (let k = 0; k < levels; k++) text += `${' '.repeat(indent + k)}if x:\n`;
  return `${text}${' '.repeat(indent + levels)}${inner}\n`;
}

/**
 * A thread target racing on `counter` (line 8) whose body then nests `levels`
 * blocks deep (issue 13 defect 3), started twice from module code.
 */
export function deepTarget(levels: number): string {
  return [
    'import threading',
    '',
    'counter = 0',
    '',
    'def work(n, *args, key=1, **kw):',
    '    global counter',
    '    for _ in range(n):',
    '        counter += 1',
    nestedIfs(levels, 4, 'y = 1'),
    'threads = [threading.Thread(target=work, args=(10,)) for _ in range(2)]',
    '',
  ].join('\n');
}

/** `text` with classic-Mac line breaks: every `\n` becomes a lone `\r`. */
export function macLineBreaks(text: string): string {
  return text.replace(/\n/g, '\r');
}
