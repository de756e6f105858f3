/**
 * Teardown: the part of a `close`/`shutdown`/`stop` method that runs on a closed object.
 *
 * A teardown method that marks the object closed while holding a lock (`with self._lock: self._closed =
 * True`, or the test-and-set `if self.is_shutdown: return` / `self.is_shutdown = True`) orders everything
 * after that mark behind every section that reads the mark: the object's users check it and stop. What
 * the method then does without the lock to state whose every other writer checks the mark (dropping
 * connections, resetting counters, publishing a final state) works on an object nobody changes any more,
 * so it is not reported as a race. State that a method changes without checking the mark (a reactor
 * thread handing a connection back) still races with the teardown, and is still reported.
 */
import type { Scope } from '../../../model/types';
import type { Guard } from '../../locks';
import type { ModuleIndex } from '../../resolve';
import { isConstruction, selfWrites } from './library';

/** `close`, `_shutdown`, `stop_all`, `terminate_now`; not `stopwatch` or `closest`. */
const TEARDOWN =
  /^_*(close|shutdown|shut_down|stop|terminate|dispose|destroy|disconnect|teardown|tear_down|kill|quit)(_\w*)?$/i;
const MARK_VALUE = /^(True|False|None)$/;

export interface Closed {
  /** Offset from which the teardown runs on a closed object. */
  at: number;
  /** Is every other writer of this `self.x` state gated by the mark? */
  covers(state: string): boolean;
}

/**
 * Where a teardown method runs on a closed object: after its first locked section that stores a literal
 * flag on `self`. Undefined for other methods, and for teardowns without such a mark.
 */
export function closedAfter(mod: ModuleIndex, scope: Scope, guards: Guard[]): Closed | undefined {
  if (scope.kind !== 'function' || guards.length === 0 || !TEARDOWN.test(scope.name)) return undefined;
  const cls = mod.model.scopes[scope.parent];
  if (cls?.kind !== 'class') return undefined;
  let at: number | undefined;
  const marks = new Set<string>();
  for (const w of mod.writesByScope.get(scope.id) ?? []) {
    if (w.op !== '=' || !MARK_VALUE.test(w.value.trim())) continue;
    if (!w.targets.every((t) => t.kind === 'attribute' && /^self\.\w+$/.test(t.text))) continue;
    const guard = guards.find((g) => w.start >= g.start && w.start < g.end);
    if (!guard || (at !== undefined && guard.end > at)) continue;
    if (at !== undefined && guard.end < at) marks.clear();
    at = guard.end;
    for (const t of w.targets) marks.add(t.text);
  }
  if (at === undefined) return undefined;
  const methods = (mod.children.get(cls.id) ?? []).filter(
    (m) => m.kind === 'function' && m.id !== scope.id && !isConstruction(m.name),
  );
  const mark = new RegExp(`\\b(${[...marks].map((m) => m.replace('.', '\\.')).join('|')})\\b`);
  const tests = (m: Scope) =>
    (mod.regionsByScope.get(m.id) ?? []).some((r) => (r.kind === 'if' || r.kind === 'while') && mark.test(r.expr));
  const callers = (m: Scope) =>
    methods.filter((c) => (mod.callsByScope.get(c.id) ?? []).some((k) => k.receiver === 'self' && k.method === m.name));
  // A writer is gated when it tests the mark, or every in-class caller of it does (two levels up).
  const gated = (m: Scope, depth: number): boolean => {
    if (tests(m)) return true;
    const up = depth < 2 ? callers(m) : [];
    return up.length > 0 && up.every((c) => gated(c, depth + 1));
  };
  const roots = new Map<string, boolean>();
  return {
    at,
    covers(state) {
      const root = /^self\.\w+/.exec(state)?.[0];
      if (!root) return false;
      let ok = roots.get(root);
      if (ok === undefined) {
        ok = methods.every((m) => !selfWrites(mod, cls, m, 2).has(root) || gated(m, 0));
        roots.set(root, ok);
      }
      return ok;
    },
  };
}
