/**
 * Lock analysis: which names hold mutexes, which stretches of a function run
 * with one held (`with lock:`, `acquire()` … `release()`), and what each lock
 * guards. A Semaphore with more than one slot is not a mutex, and a lock made
 * fresh inside the `with` protects nothing.
 */
import type { Scope, Span } from '../model/types';
import { type CarryKey, carried, carryKey, STALE } from './carry';
import { AFTER_FORK_HOOKS, LOCK_FACTORIES, LOCK_NAME, LOCK_PLACES, type LockKind } from './knowledge';
import { type MemoKey, memoKey, memo as memoOf } from './memo';
import { tupleElements, valueCalleeOf } from './origins';
import { type FunctionRef, type ModuleIndex, mentions, qualify, resolveFunction, slotFor } from './resolve';
import type { Config } from './types';

export interface LockBinding {
  name: string;
  kind: LockKind;
  /** A mutex admits one holder: Lock, RLock, Condition, Semaphore(1). */
  mutex: boolean;
  scope: number;
  span: Span;
  /** `Condition(self._mutex)` shares `self._mutex`: both names stand for one lock. */
  canonical: string;
  /** Made inside a function and never passed on, captured or stored: each call locks its own lock. */
  perCall: boolean;
}

export interface Guard {
  start: number;
  end: number;
  lock: string;
  span: Span;
}

/** Names bound to lock factories (`x = threading.Lock()`, `self._lock = RLock()`), and threading.local objects. */
export function lockBindings(mod: ModuleIndex, config: Config): LockBinding[] {
  const out: LockBinding[] = [];
  // Configured lock factories can have any name, so the shortcut below only holds without them.
  const onlyKnown = config.extraLocks.length === 0;
  // A lock bound in a tuple assignment (`self.lock, self.count = threading.Lock(), 0`) is bound all the same.
  const calls = [...mod.callWrites, ...tupleElements(mod).filter((e) => e.valueCallee)];
  for (const w of calls) {
    if (!w.valueCallee) continue;
    // Qualifying keeps a dotted callee's last name: most calls are ruled out before building the qualified name.
    const dot = w.valueCallee.lastIndexOf('.');
    if (dot >= 0 && onlyKnown && !FACTORY_NAMES.has(w.valueCallee.slice(dot + 1))) continue;
    const q = valueCalleeOf(mod, w) ?? w.valueCallee;
    let kind = LOCK_FACTORIES.get(q);
    if (!kind && config.extraLocks.includes(q)) kind = 'Lock';
    if (!kind) {
      const cls = mod.classes.get(w.valueCallee)?.[0];
      if (cls?.bases.some((b) => qualify(mod, b) === 'threading.local')) kind = 'local';
    }
    if (!kind) continue;
    const mutex = admitsOne(kind, w.value);
    const shared = kind === 'Condition' ? /Condition\((?:lock=)?([\w.]+)\)/.exec(w.value)?.[1] : undefined;
    const name = w.targets[0].text;
    const scope = mod.model.scopes[w.scope];
    // A lock a function binds through `global` is the module's, shared by every caller.
    const perCall =
      scope.kind === 'function' &&
      !name.includes('.') &&
      !mod.globals.get(w.scope)?.has(name) &&
      !escapes(mod, scope, name);
    out.push({ name, kind, mutex, scope: w.scope, span: w.span, canonical: shared ?? name, perCall });
  }
  // `self.size_cond = make_condition(self.lock)`: a condition built by a helper on a lock the module
  // knows is that lock, whatever the helper is called (`Condition(lock)` itself is handled above).
  for (const w of calls) {
    const name = w.targets[0].text;
    if (!LOCK_NAME.test(name) || out.some((b) => b.name === name)) continue;
    const arg = /^[\w.]+\(\s*(?:lock=)?([\w.]+)\s*[,)]/.exec(w.value)?.[1];
    const base = arg ? out.find((b) => b.name === arg && b.mutex) : undefined;
    const byName = arg && !base && LOCK_NAME.test(arg) && arg !== name ? arg : undefined;
    if (!base && !byName) continue;
    out.push({
      name,
      kind: 'Condition',
      mutex: true,
      scope: w.scope,
      span: w.span,
      canonical: base?.canonical ?? byName!,
      perCall: false,
    });
  }
  return out;
}

/**
 * Does the lock a factory call makes admit one holder at a time? Lock, RLock and Condition do; a
 * semaphore only with one slot, which only `Semaphore()` and `Semaphore(1)` prove (Semaphore(0) is a
 * signal, Semaphore(4) admits four, and Semaphore(limit) admits whatever it is given); an asyncio lock
 * orders one loop's coroutines, not threads; a threading.local is no lock.
 */
function admitsOne(kind: LockKind, callText: string): boolean {
  if (kind === 'local' || kind === 'AsyncLock') return false;
  if (!kind.endsWith('Semaphore')) return true;
  const slots = /Semaphore\(\s*(?:value\s*=\s*)?([^,)]*)/.exec(callText)?.[1].trim();
  return slots === undefined || slots === '' || slots === '1';
}

/** The last names of the lock factories (`Lock` of `threading.Lock`). */
const FACTORY_NAMES = new Set([...LOCK_FACTORIES.keys()].map((q) => q.slice(q.lastIndexOf('.') + 1)));

const ACQUIRE_HELPER = /acquire_?lock|lock_?acquire/i;
const RELEASE_HELPER = /release_?lock|lock_?release|unlock/i;

/** The lock a name stands for (a Condition built on another lock is that lock). */
export function canonicalOf(bindings: LockBinding[], expr: string): string {
  return findLock(bindings, expr)?.canonical ?? expr;
}

/** The first binding of each name, per bindings array (one per module and run), so lookups are not scans. */
const byName = new WeakMap<LockBinding[], Map<string, LockBinding>>();

export function findLock(bindings: LockBinding[], expr: string): LockBinding | undefined {
  let names = byName.get(bindings);
  if (!names) {
    names = new Map();
    for (const b of bindings) if (!names.has(b.name)) names.set(b.name, b);
    byName.set(bindings, names);
  }
  return names.get(expr);
}

/** Does this expression name a mutex? Known bindings decide; otherwise the name does. */
export function isMutex(bindings: LockBinding[], expr: string, config: Config): boolean {
  const b = findLock(bindings, expr);
  if (b) return b.mutex && !b.perCall;
  if (config.extraLocks.includes(expr)) return true;
  return (LOCK_NAME.test(expr) || LOCK_PLACES.test(expr)) && !expr.includes('(');
}

/** Is this expression a threading.local object (per-thread state)? */
export function isThreadLocal(bindings: LockBinding[], expr: string): boolean {
  let names = localNamesOf.get(bindings);
  if (!names) {
    names = new Set(bindings.filter((b) => b.kind === 'local').map((b) => b.name));
    localNamesOf.set(bindings, names);
  }
  if (names.size === 0) return false;
  const root = expr.split(/[.[]/)[0];
  return names.has(root) || names.has(expr);
}

/** The names bound to threading.local objects, per bindings array. */
const localNamesOf = new WeakMap<LockBinding[], Set<string>>();

/** Stretches of `scope` that run with a mutex held, remembered for the run by scope id (`bindings` are the module's). */
export function guardsIn(mod: ModuleIndex, scope: Scope, bindings: LockBinding[], config: Config): Guard[] {
  let guards = mod.guards[scope.id];
  if (!guards) {
    guards = carriedGuards(mod, scope, bindings, config);
    mod.guards[scope.id] = guards;
  }
  return guards;
}

/**
 * A function's guards, carried across runs (carry.ts) while its scope stands, the names bound to locks
 * mean the same (index.ts notes them) and its lines have not moved; offsets are rebased in place.
 */
function carriedGuards(mod: ModuleIndex, scope: Scope, bindings: LockBinding[], config: Config): Guard[] {
  if (scope.kind === 'module' || !mod.token.carry) return computeGuards(mod, scope, bindings, config);
  return carried(
    slotFor(mod, scope, scope.id),
    GUARDS,
    (c) => {
      if (c.line !== scope.span.line) return STALE;
      const d = scope.start - c.start;
      if (d !== 0) {
        for (const g of c.guards) {
          g.start += d;
          g.end += d;
        }
        c.start = scope.start;
      }
      return c.guards;
    },
    () => computeGuards(mod, scope, bindings, config),
    (guards) => ({ line: scope.span.line, start: scope.start, guards }),
  );
}

/** A function's guarded stretches, with the offset its scope started at when they were found. */
const GUARDS: CarryKey<{ line: number; start: number; guards: Guard[] }> = carryKey('guards');

function computeGuards(mod: ModuleIndex, scope: Scope, bindings: LockBinding[], config: Config): Guard[] {
  const guards: Guard[] = [];
  // A method wrapped by a decorator whose wrapper holds `self.<lock>` runs its whole body under that lock.
  const byDecorator = decoratorLock(mod, scope, bindings, config);
  if (byDecorator)
    guards.push({
      start: scope.bodyStart,
      end: scope.end,
      lock: canonicalOf(bindings, byDecorator),
      span: scope.nameSpan,
    });
  for (const r of mod.regionsByScope.get(scope.id) ?? []) {
    if (r.kind !== 'with') continue;
    for (const item of r.items) {
      // `with getattr(self, "_lock", nullcontext()):` takes `self._lock` where the object has one.
      const attr = GETATTR.exec(item.expr);
      const expr = attr ? `${attr[1]}.${attr[2]}` : item.expr;
      const lock =
        item.isCall && !attr
          ? heldByHelper(mod, scope, expr, bindings, config)
          : isMutex(bindings, expr, config)
            ? expr
            : undefined;
      if (lock) guards.push({ start: r.bodyStart, end: r.end, lock: canonicalOf(bindings, lock), span: item.span });
    }
  }
  const calls = mod.callsByScope.get(scope.id) ?? [];
  // `stack.enter_context(lock)` holds the lock until the ExitStack's with-block ends.
  for (const call of calls) {
    if (call.method !== 'enter_context' || !call.args[0] || !isMutex(bindings, call.args[0].text, config)) continue;
    const block = (mod.regionsByScope.get(scope.id) ?? []).find(
      (r) =>
        r.kind === 'with' &&
        r.items.some((i) => i.alias === call.receiver) &&
        call.start >= r.bodyStart &&
        call.end <= r.end,
    );
    guards.push({
      start: call.end,
      end: block ? block.end : scope.end,
      lock: canonicalOf(bindings, call.args[0].text),
      span: call.span,
    });
  }
  for (const acquire of calls) {
    const direct = acquire.method === 'acquire' && !!acquire.receiver && isMutex(bindings, acquire.receiver, config);
    // Helpers such as logging's `_acquireLock()` take a lock that `_releaseLock()` gives back.
    const helper = !direct && ACQUIRE_HELPER.test(acquire.method ?? acquire.callee);
    if (!direct && !helper) continue;
    const release = calls.find(
      (c) =>
        c.start > acquire.end &&
        (direct
          ? c.method === 'release' && c.receiver === acquire.receiver
          : RELEASE_HELPER.test(c.method ?? c.callee)),
    );
    const lock = direct
      ? (acquire.receiver as string)
      : acquire.callee.replace(/acquire_?/i, '').replace(/^[._]+/, '') || acquire.callee;
    guards.push({
      start: acquire.end,
      end: release ? release.start : scope.end,
      lock: canonicalOf(bindings, lock),
      span: acquire.span,
    });
  }
  return guards;
}

/** `getattr(obj, "name", default)`: the attribute `obj.name`, read with a fallback. */
const GETATTR = /^getattr\(\s*([A-Za-z_][\w.]*)\s*,\s*['"](\w+)['"]\s*(,.*)?\)$/s;

const CONTEXT_MANAGER = /(^|\.)contextmanager$/;

/**
 * The lock a method's decorator holds around it: `@synchronized` where `def synchronized(func): def
 * wrapper(self, *a): with self._lock: return func(self, *a)` (a function of this module or of another
 * analysed module it imports). The answer is the lock as the method names it (`self._lock`).
 */
function decoratorLock(mod: ModuleIndex, scope: Scope, bindings: LockBinding[], config: Config): string | undefined {
  if (scope.decorators.length === 0) return undefined;
  const method = mod.model.scopes[scope.parent]?.kind === 'class';
  for (const text of scope.decorators) {
    const name = text.replace(/^@/, '').replace(/\(.*$/s, '').trim();
    const found = decoratorFunction(mod, name);
    if (!found) continue;
    if (!method) {
      const held = heldByWrapper(found);
      if (held) return held;
      continue;
    }
    for (const wrapper of found.mod.children.get(found.scope.id) ?? []) {
      const self = wrapper.kind === 'function' ? wrapper.params[0]?.name : undefined;
      if (!self) continue;
      for (const r of found.mod.regionsByScope.get(wrapper.id) ?? []) {
        if (r.kind !== 'with') continue;
        for (const item of r.items) {
          if (item.isCall || !item.expr.startsWith(`${self}.`)) continue;
          const lock = `self.${item.expr.slice(self.length + 1)}`;
          if (isMutex(bindings, lock, config) || LOCK_NAME.test(lock)) return lock;
        }
      }
    }
  }
  return undefined;
}

/**
 * For a function's decorator (`@synchronized` where `def synchronized(fn): lock = threading.Lock(); def
 * wrapper(*a): with lock: return fn(*a)`): the mutex its wrapper holds, made in the decorator (one per
 * decorated function) or at its module's level. Named so that no other function's lock has the same name.
 */
function heldByWrapper(deco: FunctionRef): string | undefined {
  const madeIn = (scopeId: number, expr: string) =>
    (deco.mod.writesByScope.get(scopeId) ?? []).some((w) => {
      if (w.targets.length !== 1 || w.targets[0].text !== expr || !w.valueCallee) return false;
      const kind = LOCK_FACTORIES.get(qualify(deco.mod, w.valueCallee));
      return !!kind && admitsOne(kind, w.value);
    });
  for (const wrapper of deco.mod.children.get(deco.scope.id) ?? []) {
    if (wrapper.kind !== 'function') continue;
    for (const r of deco.mod.regionsByScope.get(wrapper.id) ?? []) {
      if (r.kind !== 'with') continue;
      for (const item of r.items) {
        if (item.isCall || !/^[A-Za-z_]\w*$/.test(item.expr)) continue;
        if (madeIn(deco.scope.id, item.expr)) return `${deco.scope.name}.<locals>.${item.expr}`;
        if (madeIn(0, item.expr)) return `${deco.mod.model.moduleName}.${item.expr}`;
      }
    }
  }
  return undefined;
}

function decoratorFunction(mod: ModuleIndex, name: string): FunctionRef | undefined {
  // A bare name resolves as any call does (this module, then its imports); `util.synchronized` by module.
  if (mod.project && /^[A-Za-z_]\w*$/.test(name)) return resolveFunction(mod.project, mod, 0, name);
  const q = qualify(mod, name);
  const dot = q.lastIndexOf('.');
  const other = dot > 0 ? mod.project?.byName.get(q.slice(0, dot)) : undefined;
  const fn = other?.functionsIn.get(0)?.get(q.slice(dot + 1));
  return other && fn ? { mod: other, scope: fn } : undefined;
}

/**
 * The mutex a `@contextmanager` helper holds around its `yield`: `with locked():` where `def locked():
 * with _STATE_LOCK: yield` (a module function, or a method called on `self`). Only helpers whose body
 * holds the mutex in a `with` count, since that covers the whole `yield`.
 */
function heldByHelper(
  mod: ModuleIndex,
  scope: Scope,
  expr: string,
  bindings: LockBinding[],
  config: Config,
): string | undefined {
  const callee = expr.slice(0, expr.indexOf('('));
  let helper: Scope | undefined;
  if (/^[A-Za-z_]\w*$/.test(callee)) helper = mod.functionsIn.get(0)?.get(callee);
  else if (callee.startsWith('self.') && !callee.includes('.', 5)) {
    const cls: Scope | undefined = mod.model.scopes[scope.parent];
    helper = cls?.kind === 'class' ? mod.functionsIn.get(cls.id)?.get(callee.slice(5)) : undefined;
  }
  if (!helper || helper === scope) return undefined;
  // `with self.lock():` where `def lock(self): return self._lock`: a getter hands out the lock itself.
  if (!helper.decorators.some((d) => CONTEXT_MANAGER.test(d))) return returnedLock(mod, helper, bindings, config);
  for (const r of mod.regionsByScope.get(helper.id) ?? []) {
    if (r.kind !== 'with') continue;
    for (const item of r.items) if (!item.isCall && isMutex(bindings, item.expr, config)) return item.expr;
  }
  return undefined;
}

/** The one mutex every `return` of a function hands back (`return self._lock`), if that is all they return. */
function returnedLock(mod: ModuleIndex, fn: Scope, bindings: LockBinding[], config: Config): string | undefined {
  const flows = mod.flowsByScope.get(fn.id) ?? [];
  const values = new Set(flows.map((f) => (f.kind === 'return' ? f.value.trim() : '')));
  if (values.size !== 1) return undefined;
  const [lock] = values;
  return lock && isMutex(bindings, lock, config) ? lock : undefined;
}

export function guardAt(guards: Guard[], offset: number): Guard | undefined {
  return guards.find((g) => offset >= g.start && offset < g.end);
}

/** `with threading.Lock():` makes a new lock on every entry, so it excludes nobody. */
export function freshLockRegions(
  mod: ModuleIndex,
): { span: Span; expr: string; scope: number; start: number; end: number }[] {
  const out: { span: Span; expr: string; scope: number; start: number; end: number }[] = [];
  for (const r of mod.withRegions) {
    for (const item of r.items) {
      if (!item.isCall) continue;
      const kind = LOCK_FACTORIES.get(qualify(mod, item.expr.slice(0, item.expr.indexOf('('))));
      if (kind && kind !== 'local' && kind !== 'AsyncLock')
        out.push({ span: item.span, expr: item.expr, scope: r.scope, start: r.bodyStart, end: r.end });
    }
  }
  return out;
}

/** A local lock that is passed on, captured by a nested function or stored may well be shared. */
function escapes(mod: ModuleIndex, scope: Scope, name: string): boolean {
  if ((mod.callsByScope.get(scope.id) ?? []).some((c) => c.args.some((a) => mentions(a.text, name)))) return true;
  if (
    (mod.writesByScope.get(scope.id) ?? []).some(
      (w) => w.targets.every((t) => t.text !== name) && mentions(w.value, name),
    )
  ) {
    return true;
  }
  if ((mod.flowsByScope.get(scope.id) ?? []).some((f) => mentions(f.value, name))) return true;
  return (mod.children.get(scope.id) ?? []).some((s) => readsIn(mod, s, name));
}

/** Does a scope, or one nested in it, read `name` in a call, a write, a loop or if header, a with item or a return? */
function readsIn(mod: ModuleIndex, scope: Scope, name: string): boolean {
  const said = (text: string | undefined) => !!text && mentions(text, name);
  if ((mod.callsByScope.get(scope.id) ?? []).some((c) => said(c.callee) || c.args.some((a) => said(a.text))))
    return true;
  if ((mod.writesByScope.get(scope.id) ?? []).some((w) => said(w.value) || w.targets.some((t) => said(t.text))))
    return true;
  if ((mod.regionsByScope.get(scope.id) ?? []).some((r) => said(r.expr) || r.items.some((i) => said(i.expr))))
    return true;
  if ((mod.flowsByScope.get(scope.id) ?? []).some((f) => said(f.value))) return true;
  if (scope.params.some((p) => said(p.defaultText)) || scope.decorators.some(said)) return true;
  return (mod.children.get(scope.id) ?? []).some((s) => readsIn(mod, s, name));
}

/**
 * The locks held at every call of each method from the other methods of its class, followed through
 * callers that are themselves always called with a lock held (`results()` holds the condition around
 * `maybe_request_more()`, which calls `update_next_pages()`). Only methods called at least once, and
 * only from inside the class, are listed; a method also called elsewhere in the class without a lock has
 * no entry. Remembered per class for the run.
 */
const CALLER_LOCKS: MemoKey<Map<number, Map<Scope, string[]>>> = memoKey('callerLocks');

export function callerLocks(
  mod: ModuleIndex,
  cls: Scope,
  bindings: LockBinding[],
  config: Config,
): Map<Scope, string[]> {
  const memo = memoOf(mod, CALLER_LOCKS, () => new Map());
  const known = memo.get(cls.id);
  if (known) return known;
  const methods = (mod.children.get(cls.id) ?? []).filter((m) => m.kind === 'function');
  const byName = new Map(methods.map((m) => [m.name, m]));
  // Every call site: the calling method and the locks held there.
  const sites = new Map<Scope, { from: Scope; held: string[] }[]>();
  // Properties run when `self.name` is read: those reads are their call sites.
  const properties = methods.filter((m) => m.decorators.some((d) => /(^|\.)(property|cached_property)$/.test(d)));
  const reads = properties.map((p) => ({ p, pattern: new RegExp(`\\bself\\.${p.name}\\b(?!\\s*\\()`) }));
  for (const m of methods) {
    const guards = guardsIn(mod, m, bindings, config);
    const heldAt = (offset: number) => guards.filter((g) => offset >= g.start && offset < g.end).map((g) => g.lock);
    const add = (callee: Scope, offset: number) => {
      const list = sites.get(callee) ?? [];
      list.push({ from: m, held: heldAt(offset) });
      sites.set(callee, list);
    };
    // The properties the texts read are called at `offset`. Most texts mention no `self.` at all: that is
    // asked once, before each property's pattern.
    const readIn = (offset: number, texts: string[]) => {
      if (!texts.some((t) => t.includes('self.'))) return;
      for (const { p, pattern } of reads) if (p !== m && texts.some((t) => pattern.test(t))) add(p, offset);
    };
    for (const call of mod.callsByScope.get(m.id) ?? []) {
      const callee = call.receiver === 'self' && call.method ? byName.get(call.method) : undefined;
      if (callee && callee !== m) add(callee, call.start);
      if (reads.length > 0) readIn(call.start, [call.callee, ...call.args.map((a) => a.text)]);
    }
    if (reads.length === 0) continue;
    for (const w of mod.writesByScope.get(m.id) ?? []) readIn(w.start, [w.value]);
    for (const r of mod.regionsByScope.get(m.id) ?? []) readIn(r.start, [r.expr]);
  }
  // Greatest fixpoint: methods with call sites start from "every lock" (null) and narrow to what every
  // site holds, counting what its own callers always hold.
  const held = new Map<Scope, Set<string> | null>();
  for (const m of sites.keys()) held.set(m, null);
  const meet = (a: Set<string> | null, b: Set<string> | null): Set<string> | null =>
    a === null ? b : b === null ? a : new Set([...a].filter((l) => b.has(l)));
  for (let changed = true, rounds = 0; changed && rounds < 10; rounds++) {
    changed = false;
    for (const [m, list] of sites) {
      let acc: Set<string> | null = null;
      for (const site of list) {
        const via = held.has(site.from) ? (held.get(site.from) ?? null) : new Set<string>();
        const atSite = via === null ? null : new Set([...site.held, ...via]);
        acc = meet(acc, atSite);
      }
      const before = held.get(m) ?? null;
      const same =
        before === acc ||
        (before !== null && acc !== null && before.size === acc.size && [...acc].every((l) => before.has(l)));
      if (!same) {
        held.set(m, acc);
        changed = true;
      }
    }
  }
  const out = new Map<Scope, string[]>();
  for (const [m, locks] of held) if (locks !== null && locks.size > 0) out.set(m, [...locks]);
  memo.set(cls.id, out);
  return out;
}

/** Names of the functions a module registers to run in a forked child (`register_after_fork(self, C._afterfork)`). */
export function afterForkHooks(mod: ModuleIndex): Set<string> {
  const names = new Set<string>();
  for (const call of mod.model.calls) {
    const hook = AFTER_FORK_HOOKS.get(call.callee.slice(call.callee.lastIndexOf('.') + 1));
    if (!hook) continue;
    const positional = call.args.filter((a) => !a.keyword && !a.splat);
    const arg = call.args.find((a) => a.keyword === hook.keyword) ?? positional[hook.position];
    if (arg) names.add(arg.text.slice(arg.text.lastIndexOf('.') + 1));
  }
  return names;
}
