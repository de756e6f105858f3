/**
 * The tree cache for open documents, so that typing reparses incrementally.
 *
 * Each edit the editor reports is applied to the cached tree with `tree.edit`
 * straight away, which is cheap; the reparse waits until someone asks for the
 * tree and then runs once with the edited old tree, so tree-sitter reuses the
 * unchanged subtrees. Trees live in WebAssembly memory that JavaScript's
 * garbage collector cannot see, so the cache is bounded: the least recently
 * used tree is freed with `.delete()` when it is evicted or its document
 * closes, and an evicted document simply parses from scratch next time.
 *
 * After an incremental reparse the cache keeps the edited old tree until
 * `releasePrevious` or the next reparse: freeing it takes about a millisecond,
 * which the server spends after its diagnostics are out. Old and new trees
 * share their unchanged subtrees, so keeping the old one a little longer costs
 * little memory. The edits themselves, for re-extracting only the changed part
 * of the model, are the language server's to track (model/incremental.ts).
 *
 * Positions in edits are UTF-16 offsets and columns, which is what
 * web-tree-sitter uses for JavaScript strings and what LSP uses.
 */
import { type Edit, parse, type Syntax, type Tree } from './parser';

export type { Edit };

/** One replaced stretch of text: `[start, oldEnd)` of the old text became `[start, newEnd)` of the new. */
export interface TextChange {
  start: number;
  oldEnd: number;
  newEnd: number;
}

interface Entry {
  tree: Tree;
  /** Edits were applied since the last parse. */
  dirty: boolean;
  /** Length the text must have for the edited tree to match it; a mismatch forces a full parse. */
  length: number;
  /** The (edited) tree the last reparse started from, freed by releasePrevious or the next reparse. */
  previous?: Tree;
}

/**
 * The single change covering `previous` followed by `next` (whose offsets are
 * in the text after `previous`).
 */
export function mergeChanges(previous: TextChange | undefined, next: TextChange): TextChange {
  if (!previous) return { start: next.start, oldEnd: next.oldEnd, newEnd: next.newEnd };
  return {
    start: Math.min(previous.start, next.start),
    oldEnd: previous.oldEnd + Math.max(0, next.oldEnd - previous.newEnd),
    newEnd: Math.max(previous.newEnd, next.oldEnd) + (next.newEnd - next.oldEnd),
  };
}

export class TreeCache {
  private readonly entries = new Map<string, Entry>();
  /** Counters for tests and the bench: how trees were obtained. */
  readonly stats = { incremental: 0, full: 0, evicted: 0 };

  constructor(
    private readonly syntax: Syntax,
    private readonly capacity = 32,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Record one edit; edits must be applied in the order the editor made them. */
  edit(key: string, edit: Edit): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.tree.edit(edit);
    entry.dirty = true;
    entry.length += edit.newEndIndex - edit.oldEndIndex;
  }

  /**
   * The current tree for `text`. The cache keeps ownership: callers must not
   * delete it, and must not hold it past their next call into the cache.
   * When the parse throws (parser.ts refuses the text) the document's tree is
   * dropped, so the next call starts from scratch.
   */
  tree(key: string, text: string): Tree {
    const entry = this.entries.get(key);
    if (entry && entry.length === text.length) {
      this.touch(key, entry);
      entry.previous?.delete();
      entry.previous = undefined;
      if (!entry.dirty) return entry.tree;
      const next = this.parseOrForget(key, text, entry.tree);
      entry.previous = entry.tree;
      entry.tree = next;
      entry.dirty = false;
      this.stats.incremental++;
      return next;
    }
    this.forget(key);
    const tree = parse(this.syntax, text);
    this.stats.full++;
    this.entries.set(key, { tree, dirty: false, length: text.length });
    this.evict();
    return tree;
  }

  private parseOrForget(key: string, text: string, oldTree: Tree): Tree {
    try {
      return parse(this.syntax, text, oldTree);
    } catch (error) {
      this.forget(key);
      throw error;
    }
  }

  /** Free the edited old tree the last reparse started from (the next `tree` call would anyway). */
  releasePrevious(key: string): void {
    const entry = this.entries.get(key);
    entry?.previous?.delete();
    if (entry) entry.previous = undefined;
  }

  /** Drop a document's tree, e.g. when it closes or its whole text is replaced. */
  forget(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.tree.delete();
    entry.previous?.delete();
    this.entries.delete(key);
  }

  clear(): void {
    for (const key of [...this.entries.keys()]) this.forget(key);
  }

  /** Map iteration order is insertion order, so re-inserting marks a key most recent. */
  private touch(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  private evict(): void {
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.forget(oldest);
      this.stats.evicted++;
    }
  }
}
