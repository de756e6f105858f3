/**
 * The event loop's own thread. A project that runs its event loop on a thread it starts
 * (`Thread(target=self._run_forever)` whose body calls `loop.run_forever()`, or a target that is itself a
 * `run_forever` loop) runs its coroutines there, and with them the synchronous methods they call. A method
 * whose every call the engine can place is made from that code (a coroutine, or a function that in turn
 * runs only there) runs on that one thread; the library's other public methods run on its callers'
 * threads.
 *
 * Library mode (library.ts) uses this in two ways. Two methods on the loop's thread never race with each
 * other: they are one writer, not concurrent entries. And state such a method touches while a callers'
 * method changes it crosses threads even when no lock guards it, which the lock-intent rule alone would
 * not report (it keeps only the state a class touches under its lock): a caller adding a listener while
 * the loop thread walks the listeners is the classic "Set changed size during iteration".
 *
 * Only calls the engine can place count: a method call on `self` inside the class, or on a receiver that
 * origins.ts shows holds an instance of the class. A method with no placed call, or with one from a
 * closure, a lambda or module level, is not known to run on the loop's thread.
 */
import type { Scope } from '../../../model/types';
import { BUILTIN_TYPE_METHODS } from '../../knowledge';
import { calleeOf, instanceClass } from '../../origins';
import { enclosingClass, type ModuleIndex, type ProjectIndex } from '../../resolve';
import type { SpawnSite } from '../../targets';
import { callsNamed, isConstruction, isPublicMethod } from './library';

export interface LoopThread {
  /** The spawned function that runs the loop, as messages name it: `AsyncioBackend._run_forever`. */
  runner: string;
  /** The thread as a writer and in messages: `the event loop thread (AsyncioBackend._run_forever)`. */
  name: string;
  /** Where a synchronous method of a class runs, decided on first ask and remembered for the run. */
  on(mod: ModuleIndex, m: Scope): Context;
}

const RUNS_LOOP = new Set(['run_forever', 'run_until_complete']);
const MAX_DEPTH = 4;

/**
 * Where a function runs: on the loop's thread (`via` names the coroutine that leads there), on callers'
 * threads, or unknown (a callback, a closure, a private helper nothing calls).
 */
export type Context = { on: 'loop'; via: string } | { on: 'callers' } | { on: 'unknown' };
const UNKNOWN: Context = { on: 'unknown' };

/** The loop thread of a project, or undefined when no spawned thread runs an event loop. */
export function loopThread(project: ProjectIndex, sites: Map<ModuleIndex, SpawnSite[]>): LoopThread | undefined {
  const runner = loopRunner(sites);
  if (!runner) return undefined;
  const memo = new Map<Scope, Context | null>();
  let handed: Set<string> | undefined;
  return {
    runner,
    name: `the event loop thread (${runner})`,
    on: (mod, m) => {
      handed ??= handedNames(project);
      return contextOf(project, mod, m, 0, memo, handed);
    },
  };
}

function loopRunner(sites: Map<ModuleIndex, SpawnSite[]>): string | undefined {
  for (const list of sites.values()) {
    for (const site of list) {
      if (site.runsIn !== 'thread') continue;
      for (const ref of site.targets) {
        const cls = ref.mod.model.scopes[ref.scope.parent];
        const name = cls?.kind === 'class' ? `${cls.name}.${ref.scope.name}` : ref.scope.name;
        if (ref.scope.name === 'run_forever') return name;
        for (const c of ref.mod.callsByScope.get(ref.scope.id) ?? []) {
          if ((c.method && RUNS_LOOP.has(c.method)) || calleeOf(ref.mod, c) === 'asyncio.run') return name;
        }
      }
    }
  }
  return undefined;
}

/**
 * The names the project hands around as values (`future.add_both(handler.on_complete)`, `Thread(target=
 * self.run)`): such a function runs wherever it is called back, which its placed calls do not show.
 */
function handedNames(project: ProjectIndex): Set<string> {
  const out = new Set<string>();
  for (const mod of project.modules) {
    for (const call of mod.model.calls) {
      for (const a of call.args) {
        const m = /(?:^|\.)([A-Za-z_]\w*)$/.exec(a.text);
        if (m) out.add(m[1]);
      }
    }
  }
  return out;
}

/**
 * Where a function runs, from its placed calls: on the loop when every one is made there, on callers'
 * threads when one is made from code that runs there. A public method or constructor that nothing in the
 * project calls or hands around is the library's API: its callers are users, on their threads.
 */
function contextOf(
  project: ProjectIndex,
  mod: ModuleIndex,
  fn: Scope,
  depth: number,
  memo: Map<Scope, Context | null>,
  handed: Set<string>,
): Context {
  if (fn.isAsync) return { on: 'loop', via: fn.name };
  const known = memo.get(fn);
  if (known !== undefined) return known ?? UNKNOWN;
  if (depth >= MAX_DEPTH) return UNKNOWN;
  // A cycle answers unknown until the first visit decides.
  memo.set(fn, null);
  const sites = handed.has(fn.name) ? undefined : placedCallers(project, mod, fn);
  let ctx: Context;
  if (!sites) ctx = UNKNOWN;
  else if (sites.length === 0) {
    const owner = mod.model.scopes[fn.parent];
    ctx = owner?.kind === 'class' && (isPublicMethod(fn.name) || isConstruction(fn.name)) ? { on: 'callers' } : UNKNOWN;
  } else {
    const found = sites.map((site) =>
      site ? contextOf(project, site.mod, site.scope, depth + 1, memo, handed) : UNKNOWN,
    );
    const loop = found.find((c) => c.on === 'loop');
    ctx = found.some((c) => c.on === 'callers')
      ? { on: 'callers' }
      : loop && found.every((c) => c.on === 'loop')
        ? loop
        : UNKNOWN;
  }
  memo.set(fn, ctx);
  return ctx;
}

/**
 * The functions that make the placed calls of a method or module function; null stands for a call from
 * somewhere whose thread is unknown (module level, a class body, a closure or a lambda).
 */
function placedCallers(
  project: ProjectIndex,
  mod: ModuleIndex,
  fn: Scope,
): ({ mod: ModuleIndex; scope: Scope } | null)[] {
  const owner = mod.model.scopes[fn.parent];
  const out: ({ mod: ModuleIndex; scope: Scope } | null)[] = [];
  const callerOf = (at: ModuleIndex, scopeId: number) => {
    const scope = at.model.scopes[scopeId];
    const parent = at.model.scopes[scope.parent];
    // Methods and module functions have a thread the walk can ask about; a closure runs wherever it is handed.
    return scope.kind === 'function' && (parent?.kind === 'class' || parent?.kind === 'module')
      ? { mod: at, scope }
      : null;
  };
  if (owner?.kind === 'class') {
    const unplaced: ({ mod: ModuleIndex; scope: Scope } | null)[] = [];
    for (const { mod: at, call } of callsNamed(project, fn.name)) {
      if (!call.receiver || call.receiverKind === 'call') continue;
      const scope = at.model.scopes[call.scope];
      if (call.receiver === 'self') {
        // `self.m()` in a method of the same class (a closure inside a method has no known thread).
        if (at !== mod) continue;
        const method = scope.kind === 'function' ? at.model.scopes[scope.parent] : undefined;
        if (method?.id === owner.id) out.push(callerOf(at, scope.id));
        else if (enclosingClass(at, scope.id)?.id === owner.id) out.push(null);
        continue;
      }
      if (scope.kind !== 'function') continue;
      const holder = instanceClass(project, at, scope, call.receiver);
      if (holder?.cls === owner) out.push(callerOf(at, scope.id));
      else if (!holder) unplaced.push(callerOf(at, scope.id));
    }
    // With no call placed on the class, the calls of the name on receivers nothing places (those placed on
    // another class left out) are the only evidence: `self._manager.cluster.add_topic(t)` where the chain's
    // class is unknown. They answer only when every one of them is on the loop's thread, which holds
    // whichever class's method each one reaches.
    // A name the builtin types define (`find`, `close`) is most likely a call on one of them instead.
    if (out.length === 0 && !BUILTIN_TYPE_METHODS.has(fn.name)) out.push(...unplaced);
  } else if (owner?.kind === 'module') {
    for (const call of mod.model.calls) {
      if (call.calleeKind !== 'identifier' || call.callee !== fn.name) continue;
      out.push(callerOf(mod, call.scope));
    }
  }
  return out;
}

/**
 * Does a method run on callers' threads, as a rival of the loop thread? A constructor does not: it runs
 * before any other thread holds the object.
 */
export function onCallersThread(loop: LoopThread, mod: ModuleIndex, m: Scope): boolean {
  return !isConstruction(m.name) && loop.on(mod, m).on === 'callers';
}
