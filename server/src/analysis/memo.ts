/**
 * Per-run memos: facts one analysis run derives once and reads many times, such as which class a
 * parameter holds at every call site, the locks each method's in-class callers hold, or a class's
 * thread-safety intent. Each memo has a typed key, declared beside the code that computes it, and lives on
 * the run's `ModuleIndex` or `ProjectIndex` (its `memos` field). So it dies with the run and never leaks
 * into the next one: the only memory between runs is `carry.ts`, which saves work but never decides a report.
 *
 * A key's type is checked where the memo is read and written, so no caller casts, and a module can keep
 * its memo private by not exporting its key.
 */

/** A typed name for one memo; two keys with the same name are still different memos. */
export interface MemoKey<T> {
  readonly name: string;
  /** Never set: it only carries the memo's type. */
  readonly type?: T;
}

/** The per-run context a memo lives on: a run's module or project index. */
export interface MemoOwner {
  readonly memos: Map<MemoKey<unknown>, unknown>;
}

export function memoKey<T>(name: string): MemoKey<T> {
  return { name };
}

/** The memo `key` of `owner`, made by `make` on first use in this run. */
export function memo<T>(owner: MemoOwner, key: MemoKey<T>, make: () => T): T {
  const known = owner.memos.get(key);
  if (known !== undefined || owner.memos.has(key)) return known as T;
  const value = make();
  owner.memos.set(key, value);
  return value;
}
