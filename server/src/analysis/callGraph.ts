/**
 * The call graph: which function of the analysed files a call reaches. A plain name is the function
 * visible from the call's scope (nested, module level, imported) or a class's `__init__`; a method call
 * is the method of the receiver's class as origins.ts places it (`self`, a local bound to a constructor, a
 * parameter every site hands one class, an attribute chain). A receiver that cannot be placed gives no
 * answer: no name guess stands in for it. The classifier (classify.ts) and the thread walk (reach.ts)
 * both ask here, so they follow the same edges.
 *
 * Each call is resolved once per run, and the answer is carried across keystrokes (carry.ts) as the
 * callee's path and scope object while that scope stands; a call on a parameter is decided afresh in
 * every run, since what the parameter holds is read from other functions' statements.
 */
import type { Call, Scope } from '../model/types';
import { type CarryKey, carried, carryKey, noteVolatile, STALE, volatileCount } from './carry';
import { type MemoKey, memo, memoKey } from './memo';
import { classAcross, instanceClass } from './origins';
import {
  type CarriedRef,
  carryRef,
  type FunctionRef,
  liveRef,
  type ModuleIndex,
  methodOf,
  type ProjectIndex,
  resolveFunction,
  slotFor,
} from './resolve';

/** The callee each call resolves to, carried across runs (null: none in the analysed files). */
const RESOLVED: CarryKey<CarriedRef | null> = carryKey('resolved');

/** A call on one of the function's own parameters (`stats.record(k)` in `def serve(stats, keys)`). */
export function onParam(scope: Scope, call: Call): boolean {
  const r = call.receiver;
  return !!r && call.calleeKind === 'attribute' && /^[A-Za-z_]\w*$/.test(r) && scope.params.some((p) => p.name === r);
}

/** A call to a function or method defined in the analysed files. */
export function resolveCallee(
  project: ProjectIndex,
  mod: ModuleIndex,
  scope: Scope,
  call: Call,
): FunctionRef | undefined {
  // Each call is resolved once per run (the walk and the classifier ask about the same calls many times).
  const cached = mod.resolved[call.id];
  if (cached !== undefined) {
    // A resolution that read what a parameter holds keeps saying so to every fact derived from it.
    if (volatileCalls(mod).has(call.id)) noteVolatile();
    return cached ?? undefined;
  }
  const before = volatileCount();
  // What a parameter holds is read from other functions' statements: decided afresh in every run.
  if (onParam(scope, call)) {
    const fresh = resolveCalleeUncached(project, mod, scope, call);
    mod.resolved[call.id] = fresh ?? null;
    noteVolatile();
    volatileCalls(mod).add(call.id);
    return fresh;
  }
  // Carried from an earlier run as the callee's path and scope object, good while that scope is in its model.
  const ref = carried(
    slotFor(mod, call, call.scope),
    RESOLVED,
    (c) => (c === null ? undefined : (liveRef(project, c) ?? STALE)),
    () => resolveCalleeUncached(project, mod, scope, call),
    (r) => (r ? carryRef(r) : null),
  );
  mod.resolved[call.id] = ref ?? null;
  if (volatileCount() !== before) volatileCalls(mod).add(call.id);
  return ref;
}

/** This run's calls whose resolution read what a parameter holds (carry.ts noteVolatile). */
const VOLATILE: MemoKey<Set<number>> = memoKey('volatileCalls');

function volatileCalls(mod: ModuleIndex): Set<number> {
  return memo(mod, VOLATILE, () => new Set<number>());
}

function resolveCalleeUncached(
  project: ProjectIndex,
  mod: ModuleIndex,
  scope: Scope,
  call: Call,
): FunctionRef | undefined {
  if (call.calleeKind === 'identifier') {
    const fn = resolveFunction(project, mod, scope.id, call.callee);
    if (fn) return fn;
    const made = classAcross(mod, call.callee);
    const init = made ? methodOf(made.mod, made.cls, '__init__') : undefined;
    return made && init ? { mod: made.mod, scope: init } : undefined;
  }
  if (call.calleeKind === 'attribute' && call.receiver && call.method) {
    // The receiver's class decides the method (origins.ts instanceClass); a receiver that cannot be placed
    // stays unknown: binding it to the module's only method of that name took `server.run` for an unrelated
    // class's `run` and `self._file.write` for the enclosing `write`.
    const cls = instanceClass(project, mod, scope, call.receiver);
    const m = cls ? methodOf(cls.mod, cls.cls, call.method) : undefined;
    if (cls && m) return { mod: cls.mod, scope: m };
  }
  return undefined;
}
