/**
 * Equal strings and short lists shared across models. Every model holds its
 * own copy of each name, callee and node type it mentions: the parser hands
 * out a fresh string per node, and a model that crosses from a worker thread
 * arrives with fresh copies of all of them. `identifier`, `self` and `append`
 * alone are copied hundreds of thousands of times over a large project.
 * Walking a model once and replacing each short string with the first equal
 * one seen keeps one copy, which on the standard library is about half the
 * bytes of all strings the models hold.
 *
 * Lists repeat the same way. Nearly half the lists a model holds are empty
 * (a call without arguments, a function without decorators), and the rest
 * are mostly short lists of names and numbers that recur: every call in one
 * loop body lists the same enclosing regions. On one stdlib copy, 316,000
 * lists held 8,800 distinct lists of names and numbers. Each empty list and
 * each short list of names and numbers is replaced by the first equal one
 * seen. Nothing writes into a model's lists once it is made (incremental.ts
 * replaces a list it changes), so a shared list is frozen: a write would
 * throw, not change another model.
 *
 * The model is changed in place and stays equal, value for value, to what it
 * was: only which string or list a field points at changes.
 */

/** Strings longer than this are left alone: docstrings and whole lines rarely repeat, and would only grow the table. */
const MAX_SHARED_LENGTH = 64;

/** Lists longer than this are left alone: a module's lines, or a long literal, rarely repeat. */
const MAX_SHARED_ITEMS = 16;

/** The strings and lists seen so far; one table for all models of a run, so equal values across files are shared too. */
export interface ShareTable {
  strings: Map<string, string>;
  /** Lists of names and numbers by a key spelling out their items; `''` is the empty list. */
  lists: Map<string, readonly unknown[]>;
}

export function newShareTable(): ShareTable {
  return { strings: new Map(), lists: new Map() };
}

/** Replace every short string and list reachable from `value` (plain objects and arrays) by its first equal in `table`. */
export function shareValues<T>(value: T, table: ShareTable): T {
  if (typeof value === 'object' && value !== null) walk(value as object, table);
  return value;
}

/**
 * Models are trees of plain data, without cycles. The one object a model may
 * hold in two places (an import statement's span) is walked twice, which
 * changes nothing the second time; keeping a set of visited objects to skip it
 * cost a third of the walk.
 */
function walk(node: object, table: ShareTable): void {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const item = node[i];
      if (typeof item === 'string') node[i] = shared(item, table);
      else if (typeof item === 'object' && item !== null) {
        const same = sharedIn(item, table);
        if (same !== item) node[i] = same;
      }
    }
    return;
  }
  const record = node as Record<string, unknown>;
  for (const key in record) {
    const item = record[key];
    if (typeof item === 'string') record[key] = shared(item, table);
    else if (typeof item === 'object' && item !== null) {
      const same = sharedIn(item, table);
      if (same !== item) record[key] = same;
    }
  }
}

/** Walk an object or list, then hand back the list's shared equal, or the value itself. */
function sharedIn(node: object, table: ShareTable): object {
  walk(node, table);
  if (!Array.isArray(node) || node.length > MAX_SHARED_ITEMS) return node;
  const key = listKey(node);
  if (key === undefined) return node;
  const known = table.lists.get(key);
  if (known !== undefined) return known;
  table.lists.set(key, Object.freeze(node));
  return node;
}

/**
 * A key spelling out the list's items and their types (`n1;n4;` for `[1, 4]`, `s4:self` for `['self']`),
 * or undefined when an item is neither a number nor a short string. A string item carries its length, so
 * no text it holds can make two different lists spell the same key.
 */
function listKey(list: unknown[]): string | undefined {
  let key = '';
  for (const item of list) {
    if (typeof item === 'number') key += `n${item};`;
    else if (typeof item === 'string' && item.length <= MAX_SHARED_LENGTH) key += `s${item.length}:${item}`;
    else return undefined;
  }
  return key;
}

function shared(text: string, table: ShareTable): string {
  if (text.length > MAX_SHARED_LENGTH) return text;
  const known = table.strings.get(text);
  if (known !== undefined) return known;
  table.strings.set(text, text);
  return text;
}
