/**
 * Equal strings shared across models. Every model holds its own copy of each
 * name, callee and node type it mentions: the parser hands out a fresh string
 * per node, and a model that crosses from a worker thread arrives with fresh
 * copies of all of them. `identifier`, `self` and `append` alone are copied
 * hundreds of thousands of times over a large project. Walking a model once
 * and replacing each short string with the first equal one seen keeps one
 * copy, which on the standard library is about half the bytes of all strings
 * the models hold. The model is changed in place and stays equal, value for
 * value, to what it was: only which string object a field points at changes.
 */

/** Strings longer than this are left alone: docstrings and whole lines rarely repeat, and would only grow the table. */
const MAX_SHARED_LENGTH = 64;

/** The strings seen so far; one table for all models of a run, so equal strings across files are shared too. */
export type StringTable = Map<string, string>;

/** Replace every short string reachable from `value` (plain objects and arrays) by its first equal in `table`. */
export function shareStrings<T>(value: T, table: StringTable): T {
  if (typeof value === 'object' && value !== null) walk(value as object, table);
  return value;
}

/**
 * Models are trees of plain data, without cycles. The one object a model may
 * hold in two places (an import statement's span) is walked twice, which
 * changes nothing the second time; keeping a set of visited objects to skip it
 * cost a third of the walk.
 */
function walk(node: object, table: StringTable): void {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const item = node[i];
      if (typeof item === 'string') node[i] = shared(item, table);
      else if (typeof item === 'object' && item !== null) walk(item, table);
    }
    return;
  }
  const record = node as Record<string, unknown>;
  for (const key in record) {
    const item = record[key];
    if (typeof item === 'string') record[key] = shared(item, table);
    else if (typeof item === 'object' && item !== null) walk(item, table);
  }
}

function shared(text: string, table: StringTable): string {
  if (text.length > MAX_SHARED_LENGTH) return text;
  const known = table.get(text);
  if (known !== undefined) return known;
  table.set(text, text);
  return text;
}
