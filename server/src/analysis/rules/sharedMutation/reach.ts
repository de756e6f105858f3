/**
 * Which functions run on which threads, and with what shared: a walk of the
 * call graph from every thread target (and, in library mode, from every
 * public entry point that users' threads may call). Each visit carries a
 * context: which parameters hold objects shared between threads, whether
 * `self` is shared, which of its attributes are, and whether a caller holds a
 * lock for the whole call.
 */
import type { Call, Scope } from '../../../model/types';
import { onParam, resolveCallee } from '../../callGraph';
import { type CarryKey, carried, carryKey, STALE } from '../../carry';
import type { ClassifyContext } from '../../classify';
import { guardAt, guardsIn, type LockBinding } from '../../locks';
import { calledName, returnedClosures } from '../../origins';
import {
  type CarriedRef,
  carryRef,
  type FunctionRef,
  funcKey,
  liveRefs,
  localNames,
  type ModuleIndex,
  moduleNames,
  type ProjectIndex,
  paramNames,
  qualify,
  resolveFunction,
  slotFor,
} from '../../resolve';

import type { Config } from '../../types';

export interface ThreadContext {
  /** Parameters whose objects every concurrent copy shares. */
  sharedParams: Set<string>;
  /** The instance (`self`) is shared between threads. */
  selfShared: boolean;
  /** Attributes of `self` that hold shared objects (Thread subclasses: passed to `__init__`). */
  sharedAttrs: Set<string>;
  /** A caller holds this lock around the call. */
  heldBy?: string;
  /** Parameters holding a value of this copy's own (the spawning loop's variable): keys no other copy uses. */
  ownParams?: Set<string>;
  /**
   * Called by the function it is nested in: its closure cells are that call's own locals, made afresh by
   * each call, so they are not shared (a nested function handed to threads is another matter).
   */
  cellsOwn?: boolean;
  /** A decorator's wrapper: its closure cells (and the wrapper's own attributes) belong to the decoration, shared by every caller. */
  wrapperCells?: boolean;
}

export interface Entry {
  /** Display name of the thread entry: `work`, `Fetcher.run`, `ThroughputMeter.record (public API)`. */
  name: string;
  /** Several copies of the entry run at once. */
  concurrent: boolean;
  /** Why the code is considered multi-threaded (spawn seen, or a library signal). */
  because: string;
  /** Library mode: the kinds of race this entry may report (all when absent). */
  only?: ReadonlySet<string>;
  /** Library mode: only this state may be reported (a class's state touched by its own threads). */
  onlyState?: ReadonlySet<string>;
  /** Library mode: a free-threading hazard in a module without thread awareness. */
  hint?: boolean;
  /**
   * Library mode, one owner thread (the event loop's, or the one a confined class runs on): state that
   * methods on other threads change (callers' methods, the thread-safe ones), by the first such method.
   * The owner's unguarded update of it races with theirs whether or not they lock.
   */
  contested?: ReadonlyMap<string, string>;
  /** Spawned threads were seen (as opposed to inferred from library signals). */
  spawned?: boolean;
  /**
   * One thread the project runs but whose start was not seen: a Thread subclass's `run` calling into a
   * library class (library.ts singleThreadCaller). It pairs with other writers like a spawned thread, but
   * is no evidence that the class's own choice of where to lock is wrong (hits.ts lockChoiceOnly).
   */
  inferred?: boolean;
  /**
   * Only these stretches of the root function run alongside the thread (the spawner between start and
   * join): sorted, disjoint half-open spans (see mergeSpans), so a lookup is a binary search.
   */
  window?: { scope: number; spans: { start: number; end: number }[] };
}

export interface Visit {
  ref: FunctionRef;
  ctx: ThreadContext;
  entry: Entry;
}

export interface ReachResult {
  /** Visits per function key (`path#scope`). */
  visits: Map<string, Visit[]>;
}

const MAX_DEPTH = 6;

/** Is an offset inside one of the stretches where the spawner runs alongside its threads? */
export function inWindow(window: NonNullable<Entry['window']>, offset: number): boolean {
  const spans = window.spans;
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (spans[mid].end <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo < spans.length && spans[lo].start <= offset;
}

/** Half-open spans sorted and merged where they overlap or touch: the same union, searchable by inWindow. */
export function mergeSpans(spans: { start: number; end: number }[]): { start: number; end: number }[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const out: { start: number; end: number }[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ start: s.start, end: s.end });
  }
  return out;
}

/**
 * Spawned entries are kept apart so messages can name every thread that reaches a write; library
 * entries (every public function of a package) share visits, or the walk would grow with their count.
 */
function ctxKey(ref: FunctionRef, ctx: ThreadContext, entry: Entry): string {
  const who = entry.window
    ? `${entry.name}@${entry.window.scope}`
    : entry.spawned
      ? entry.name
      : `lib:${entry.only ? 'cta' : 'all'}:${entry.hint ? 'h' : 'w'}:${entry.onlyState ? entry.name : ''}`;
  return `${funcKey(ref)}|${ctx.selfShared}|${sortedText(ctx.sharedParams)}|${sortedText(ctx.sharedAttrs)}|${ctx.heldBy ?? ''}|${ctx.ownParams ? sortedText(ctx.ownParams) : ''}|${cellsText(ctx)}|${who}`;
}

/** Whose closure cells a context says the function uses, as text for the keys of visits and carried hits. */
export function cellsText(ctx: ThreadContext): string {
  return `${ctx.cellsOwn ? 'own' : ''}${ctx.wrapperCells ? 'wrap' : ''}`;
}

/** A set's members sorted and joined by commas, as a template literal writes an array; most sets are empty. */
export function sortedText(set: ReadonlySet<string>): string {
  return set.size === 0 ? '' : `${[...set].sort()}`;
}

/** Does `expr` denote an object shared in this context? */
export function isSharedExpr(
  mod: ModuleIndex,
  scope: Scope,
  ctx: ThreadContext,
  expr: string,
  moduleNames: Set<string>,
  locals: Set<string>,
): boolean {
  // A classmethod's `cls`, `type(self)` and `self.__class__` are the class itself, whose attributes every
  // instance shares.
  if (expr === 'type(self)' || expr.startsWith('type(self).')) return true;
  if (expr === 'self.__class__' || expr.startsWith('self.__class__.')) return true;
  const root = headName(expr, 0);
  // An object made in place (`Ledger().touch()`, `make_client().send()`) is this call's own, not shared.
  if (calledName(expr) === root) return false;
  if (root === classParam(mod, scope)) return true;
  if (root === 'self') {
    if (expr === 'self') return ctx.selfShared;
    const attr = headName(expr, 5);
    return ctx.selfShared || ctx.sharedAttrs.has(attr);
  }
  if (ctx.sharedParams.has(root)) return true;
  if (locals.has(root)) return false;
  if (mod.classes.has(root)) return true;
  return moduleNames.has(root) && !mod.imports.has(root) && scope.kind !== 'module';
}

/**
 * The parameter that holds a class rather than an instance: the first of a classmethod, of `__new__` and
 * `__init_subclass__`, and of any method of a metaclass (a class deriving from `type`), whose `cls` is
 * each class made with it. Their attributes are class-level state, one per process like a module global.
 */
export function classParam(mod: ModuleIndex, scope: Scope): string | undefined {
  if (scope.kind !== 'function') return undefined;
  const first = scope.params[0]?.name;
  if (!first || first.startsWith('*')) return undefined;
  if (scope.decorators.includes('classmethod') || scope.name === '__new__' || scope.name === '__init_subclass__')
    return first;
  const cls = mod.model.scopes[scope.parent];
  return cls?.kind === 'class' && isMetaclass(mod, cls) && !scope.decorators.includes('staticmethod')
    ? first
    : undefined;
}

/** A class deriving from `type` (directly, or through `abc.ABCMeta`). */
export function isMetaclass(mod: ModuleIndex, cls: Scope): boolean {
  return cls.bases.some((b) => b === 'type' || qualify(mod, b) === 'abc.ABCMeta');
}

/** The text from `from` up to the first `.`, `[` or `(`: the name an expression starts with (`a` of `a.b[c]`). */
export function headName(expr: string, from: number): string {
  for (let i = from; i < expr.length; i++) {
    const c = expr.charCodeAt(i);
    if (c === 46 || c === 91 || c === 40) return expr.slice(from, i);
  }
  return expr.slice(from);
}

/**
 * Is the call a method called through its class (`ExpatBuilder.reset(self)`, `Base.__init__(self, x)`):
 * the receiver names the class the callee is defined in (its last dotted part), and the callee is a plain
 * method (not a class or static method)?
 */
function unboundCall(callee: FunctionRef, receiver: string): boolean {
  const cls = callee.mod.model.scopes[callee.scope.parent];
  if (cls?.kind !== 'class' || callee.scope.decorators.some((d) => d === 'classmethod' || d === 'staticmethod'))
    return false;
  const last = receiver.slice(receiver.lastIndexOf('.') + 1);
  return last === cls.name;
}

/** The empty set contexts share; contexts are never changed after they are made. */
const NONE: Set<string> = new Set();

/** Context for a callee: which of its parameters receive shared objects, whether its `self` is shared. */
function calleeContext(
  caller: Visit,
  call: Call,
  callee: FunctionRef,
  shared: (expr: string) => boolean,
  heldBy?: string,
): ThreadContext {
  let sharedParams = NONE;
  // `Base.reset(self)`: a method called through its class takes the instance as its first argument.
  const unbound = call.receiver !== undefined && unboundCall(callee, call.receiver);
  if (call.args.length > 0) {
    const params = paramNames(callee.mod, callee.scope);
    let position = 0;
    for (const arg of unbound ? call.args.slice(1) : call.args) {
      if (arg.splat) break;
      const name = arg.keyword ?? params[position++];
      if (
        name &&
        (arg.kind === 'identifier' || arg.kind === 'attribute' || arg.kind === 'subscript') &&
        shared(arg.text)
      ) {
        if (sharedParams === NONE) sharedParams = new Set();
        sharedParams.add(name);
      }
    }
  }
  let selfShared = false;
  let sharedAttrs = NONE;
  if (call.receiver === 'self') {
    selfShared = caller.ctx.selfShared;
    sharedAttrs = caller.ctx.sharedAttrs;
  } else if (unbound) {
    const first = call.args[0];
    selfShared = !!first && !first.keyword && !first.splat && shared(first.text);
    if (first?.text === 'self') sharedAttrs = caller.ctx.sharedAttrs;
  } else if (call.receiver) {
    selfShared = shared(call.receiver);
  }
  // So are a sibling's, or its own in a recursive call, when the caller got its cells that way.
  const parent = callee.mod === caller.ref.mod ? callee.scope.parent : -1;
  const cellsOwn =
    parent === caller.ref.scope.id || (caller.ctx.cellsOwn && parent === caller.ref.scope.parent) ? true : undefined;
  return { sharedParams, selfShared, sharedAttrs, heldBy: heldBy ?? caller.ctx.heldBy, cellsOwn };
}

export function walkCalls(
  cctx: ClassifyContext,
  config: Config,
  roots: Visit[],
  lockBindingsOf: (mod: ModuleIndex) => LockBinding[],
): ReachResult {
  const visits = new Map<string, Visit[]>();
  const seen = new Set<string>();
  const queue: { visit: Visit; depth: number }[] = roots.map((visit) => ({ visit, depth: 0 }));
  // A read index instead of shift(), which copies the rest of the queue each time.
  for (let next = 0; next < queue.length; next++) {
    const { visit, depth } = queue[next];
    const k = ctxKey(visit.ref, visit.ctx, visit.entry);
    if (seen.has(k)) continue;
    seen.add(k);
    const fk = funcKey(visit.ref);
    const list = visits.get(fk) ?? [];
    list.push(visit);
    visits.set(fk, list);
    if (depth >= MAX_DEPTH) continue;
    const { mod, scope } = visit.ref;
    const steps = callSteps(cctx, config, mod, scope, lockBindingsOf(mod));
    // Most functions call none of the analysed files' functions: nothing more to set up for them.
    if (steps.length === 0) continue;
    const locals = localNames(mod, scope);
    const globalsHere = moduleNames(mod);
    const shared = (expr: string) => isSharedExpr(mod, scope, visit.ctx, expr, globalsHere, locals);
    const window = depth === 0 ? visit.entry.window : undefined;
    for (const step of steps) {
      const { call, callee } = step;
      if (window && !inWindow(window, call.start)) continue;
      // Library entries stay in their module: another module's public functions are entries of their own.
      if (!visit.entry.spawned && callee.mod !== mod) continue;
      let ctx = calleeContext(visit, call, callee, shared, step.held);
      // A decorator object's `__call__` runs on the one object made when the function was decorated.
      if (step.wrapper) ctx = { ...ctx, selfShared: ctx.selfShared || decoratorObject(callee), wrapperCells: true };
      queue.push({ visit: { ref: callee, ctx, entry: visit.entry }, depth: depth + 1 });
    }
  }
  return { visits };
}

/** A call of a scope that the walk follows: the function it reaches, and the lock held around it. */
interface CallStep {
  call: Call;
  callee: FunctionRef;
  held?: string;
  /** The callee is a decorator's wrapper, run by a call of the decorated function. */
  wrapper?: boolean;
}

/**
 * The calls of a scope that reach functions of the analysed files, in order. Carried (carry.ts) for a
 * function whose scope stands while every callee does; the module scope is remade by every splice.
 */
function callSteps(
  cctx: ClassifyContext,
  config: Config,
  mod: ModuleIndex,
  scope: Scope,
  bindings: LockBinding[],
): CallStep[] {
  // A call on a parameter resolves from other functions' statements (origins.ts): such steps are not carried.
  let fresh = false;
  return carried(
    scope.kind === 'module' ? undefined : slotFor(mod, scope, scope.id),
    STEPS,
    (stored) => {
      const callees = liveRefs(
        cctx.project,
        stored.map((c) => c.callee),
      );
      return callees
        ? stored.map((c, i) => ({ call: c.call, callee: callees[i], held: c.held, wrapper: c.wrapper }))
        : STALE;
    },
    () => {
      const guards = guardsIn(mod, scope, bindings, config);
      const steps: CallStep[] = [];
      for (const call of mod.callsByScope.get(scope.id) ?? []) {
        fresh ||= onParam(scope, call);
        const callee = resolveCallee(cctx.project, mod, scope, call);
        if (!callee || callee.scope.kind === 'class') continue;
        const held = guardAt(guards, call.start)?.lock;
        steps.push({ call, callee, held });
        // `@counted def work()` is `work = counted(work)`: a call of `work` runs the wrapper first.
        for (const wrapper of decoratorWrappers(cctx.project, callee))
          steps.push({ call, callee: wrapper, held, wrapper: true });
      }
      return steps;
    },
    (steps) =>
      fresh
        ? undefined
        : steps.map((s) => ({ call: s.call, callee: carryRef(s.callee), held: s.held, wrapper: s.wrapper })),
  );
}

/**
 * The wrappers a decorated function's calls run: for each decorator that is a function of the analysed
 * files (`@counted`, `@cache.memoize`), the nested function it returns (`def wrapper(*a)` ... `return
 * wrapper`), and for a decorator factory (`@memoize(maxsize=256)`) the wrapper of the decorator it
 * returns. Its closure cells are the decorator's locals, one set per decorated function, shared by every
 * caller. A decorator class (`@timed`) makes one object per decorated function, whose `__call__` runs on
 * every call with that shared object as `self` (`decoratorObject`).
 */
export function decoratorWrappers(project: ProjectIndex, fn: FunctionRef): FunctionRef[] {
  const { mod, scope } = fn;
  if (scope.decorators.length === 0) return [];
  const out: FunctionRef[] = [];
  const add = (ref: FunctionRef) => {
    if (!out.some((r) => r.scope === ref.scope)) out.push(ref);
  };
  for (const d of scope.decorators) {
    const factory = calledName(d);
    const name = factory ?? d;
    if (!/^[A-Za-z_][\w.]*$/.test(name)) continue;
    const cls = factory ? undefined : decoratorClass(mod, scope, name);
    if (cls) {
      add(cls);
      continue;
    }
    const deco = resolveFunction(project, mod, scope.parent, name);
    if (deco?.scope.kind !== 'function') continue;
    const decorators = factory ? returnedClosures(deco) : [deco];
    for (const decorator of decorators) for (const wrapper of returnedClosures(decorator)) add(wrapper);
  }
  return out;
}

/** `@timed` where `timed` is a class of this module with a `__call__`: that method, run on the one object. */
function decoratorClass(mod: ModuleIndex, scope: Scope, name: string): FunctionRef | undefined {
  const cls = /^[A-Za-z_]\w*$/.test(name) ? mod.classes.get(name)?.[0] : undefined;
  const call = cls ? mod.functionsIn.get(cls.id)?.get('__call__') : undefined;
  return call && scope.kind === 'function' ? { mod, scope: call } : undefined;
}

/** Is this wrapper a decorator object's `__call__`, whose `self` every caller of the decorated function shares? */
export function decoratorObject(ref: FunctionRef): boolean {
  return ref.scope.name === '__call__' && ref.mod.model.scopes[ref.scope.parent]?.kind === 'class';
}

/** The calls a function's walk follows, with their callees as carried references. */
const STEPS: CarryKey<{ call: Call; callee: CarriedRef; held?: string; wrapper?: boolean }[]> = carryKey('steps');
