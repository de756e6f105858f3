/**
 * Random edits for the differential tests (incremental extraction, carried
 * analysis facts): insertions, deletions, pastes and snippets a person types,
 * from a deterministic generator so that failures reproduce, and applyEdit,
 * which makes one to a text and its cached tree as the language server does.
 */
import type { TextChange, TreeCache } from '../server/src/syntax/documents';

/** Replace `[start, end)` by `insert`. */
export interface Edit {
  start: number;
  end: number;
  insert: string;
}

/** Apply `edit` to `text` and to the cached tree of `key` (`tree.edit`); the new text and the change. */
export function applyEdit(
  trees: TreeCache,
  key: string,
  text: string,
  edit: Edit,
): { text: string; change: TextChange } {
  const next = text.slice(0, edit.start) + edit.insert + text.slice(edit.end);
  const newEnd = edit.start + edit.insert.length;
  trees.edit(key, {
    startIndex: edit.start,
    oldEndIndex: edit.end,
    newEndIndex: newEnd,
    startPosition: pointAt(text, edit.start),
    oldEndPosition: pointAt(text, edit.end),
    newEndPosition: pointAt(next, newEnd),
  });
  return { text: next, change: { start: edit.start, oldEnd: edit.end, newEnd } };
}

/** Row and UTF-16 column of an offset, as web-tree-sitter wants them. */
export function pointAt(text: string, offset: number): { row: number; column: number } {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: offset - lineStart };
}

/** A deterministic generator, so failures reproduce. */
export function rng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % n;
  };
}

const INSERTS = ['x', ' ', '\n', '(', ')', ':', '#', '"', "'", ',', '=', '\t', '    ', '\n    ', '1', '.', '@', '\\'];
const SNIPPET_INSERTS = [
  'def g():\n    pass\n',
  '@dec\n',
  'import os\n',
  '    global q\n',
  'f(a, b=1)',
  'with lock:\n    x += 1\n',
  'y = [i for i in z]\n',
  '; z = 2',
  '"""doc"""\n',
  'await ',
  'lambda: 0',
  '  # gil-lens: ignore\n',
];

/** One random edit of `text`: an insertion, a deletion, a replacement or a copied stretch. */
export function randomEdit(text: string, random: (n: number) => number): Edit {
  const at = random(text.length + 1);
  switch (random(6)) {
    case 0:
    case 1:
      return { start: at, end: at, insert: INSERTS[random(INSERTS.length)] };
    case 2:
      return { start: at, end: Math.min(text.length, at + 1), insert: '' };
    case 3:
      return { start: at, end: Math.min(text.length, at + 1 + random(40)), insert: '' };
    case 4:
      return { start: at, end: at, insert: SNIPPET_INSERTS[random(SNIPPET_INSERTS.length)] };
    default: {
      const from = random(Math.max(1, text.length));
      const copied = text.slice(from, from + 1 + random(80));
      return { start: at, end: Math.min(text.length, at + random(3)), insert: copied };
    }
  }
}
