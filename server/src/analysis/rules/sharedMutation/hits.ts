/**
 * Rule `shared-mutation`: an unsynchronised read-modify-write, check-then-act
 * or lazy initialisation of state that more than one thread reaches at once.
 *
 * Covered state: module globals (rebound through `global`, or mutated through
 * a subscript or attribute), closure cells (`nonlocal`), attributes of an
 * instance whose methods run in several threads, class attributes, and
 * objects handed to every thread. Covered operations: `x += 1` and the other
 * augmented assignments, `x = x + 1`, `d[k] = d.get(k, 0) + 1`, check-then-act
 * (`if k not in d: d[k] = v`, also with an early `continue`; a running maximum
 * `if v > peak: peak = v`) and lazy
 * initialisation (`if X is None: X = ...`).
 *
 * Not flagged: code under a held mutex (`with lock:`, acquire/release, a lock
 * held by the caller, a `@contextmanager` helper holding one around its
 * yield), `threading.local` attributes, single atomic container calls
 * (`list.append`, `dict.setdefault`), writes made only by one thread or
 * by the main thread before start/after join, locals, and a Thread subclass's
 * own attributes.
 */
import type { Call, Region, Scope, Span, Write, WriteTarget } from '../../../model/types';
import { type CarryKey, carried, carryKey, STALE } from '../../carry';
import { withLazyFixes } from '../../fixes';
import { COPIES, IDEMPOTENT_CALLS, LOG_CALLS, LOG_METHODS, MUTATING_METHODS, STRING_METHODS } from '../../knowledge';
import { guardAt, guardsIn, isThreadLocal, type LockBinding } from '../../locks';
import { valueCalleeOf } from '../../origins';
import { boundToList } from '../../origins/bindings';
import {
  bindingOf,
  bindingsIn,
  isDead,
  localNames,
  type ModuleIndex,
  mentions,
  moduleNames,
  slotFor,
} from '../../resolve';
import type { Config, Finding, Fix } from '../../types';
import type { Visit } from './reach';
import { cellsText, headName, inWindow, isSharedExpr, sortedText } from './reach';
import { closedAfter } from './teardown';

/**
 * A call that mutates its container as the act of a check-then-act. `setdefault` is the safe form of the
 * test-and-store itself, so it is no act.
 */
function actsOn(method: string | undefined): boolean {
  return !!method && method !== 'setdefault' && MUTATING_METHODS.has(method);
}

/** Calls that take an item out: after a test that the container has one, another thread may take it first. */
const TAKES = new Set(['pop', 'popitem', 'popleft']);

/** Handlers that catch an empty container's error (`IndexError`, `KeyError`) and their bases. */
const CATCHES_EMPTY = /(^|[|,(.])\s*(IndexError|KeyError|LookupError|Exception|BaseException|\*)\s*($|[|,)])/;

export interface Hit {
  mod: ModuleIndex;
  span: Span;
  stmtStart: number;
  state: string;
  what: 'read-modify-write' | 'check-then-act' | 'lazy initialisation';
  op: string;
  scope: Scope;
  visits: Visit[];
  /** Statement span (for the wrap-in-lock fix). */
  stmt: Span;
  /** Set when the race is between different single threads that write the same state. */
  writers?: string[];
  /** Set when threads that rebind the attribute (`self.x = ...`) make this check-then-act racy. */
  rebound?: string[];
}

interface FnFacts {
  locals: Set<string>;
  globalsDeclared: Set<string>;
  nonlocalsDeclared: Set<string>;
  ifs: Region[];
  /** `while` loops, whose condition is tested again before every pass. */
  whiles: Region[];
  tries: Region[];
}

function factsOf(mod: ModuleIndex, scope: Scope): FnFacts {
  return {
    locals: localNames(mod, scope),
    globalsDeclared: mod.globals.get(scope.id) ?? new Set(),
    nonlocalsDeclared: mod.nonlocals.get(scope.id) ?? new Set(),
    ifs: (mod.regionsByScope.get(scope.id) ?? []).filter((r) => r.kind === 'if'),
    whiles: (mod.regionsByScope.get(scope.id) ?? []).filter((r) => r.kind === 'while'),
    tries: (mod.regionsByScope.get(scope.id) ?? []).filter((r) => r.kind === 'try'),
  };
}

/** The shared state a target denotes in this context, or undefined for locals and per-thread objects. */
function stateOf(
  mod: ModuleIndex,
  scope: Scope,
  visit: Visit,
  t: WriteTarget,
  f: FnFacts,
  modNames: Set<string>,
  locks: LockBinding[],
  at: number,
): string | undefined {
  if (t.kind === 'identifier') {
    if (f.globalsDeclared.has(t.text) || scope.kind === 'module') return t.text;
    // Closure cells belong to one call of the enclosing function: shared only between the copies it spawns.
    if (f.nonlocalsDeclared.has(t.text) && (visit.entry.spawned || visit.ctx.wrapperCells) && !visit.ctx.cellsOwn)
      return t.text;
    return undefined;
  }
  if (!t.object) return undefined;
  if (isThreadLocal(locks, t.object)) return undefined;
  // `d[index]` where each thread was handed its own `index` by the spawning loop: an entry of its own.
  if (t.kind === 'subscript' && t.key && visit.ctx.ownParams?.has(t.key)) return undefined;
  // `self.x` where `x` is a property that stores into a threading.local: per-thread state.
  if (t.kind === 'attribute' && t.object === 'self' && t.key && threadLocalProperty(mod, scope, t.key, locks))
    return undefined;
  const objectText = t.object;
  // `opts = dict(opts)` before `opts["retries"] -= 1`: the parameter now names this call's own copy.
  if (visit.ctx.sharedParams.size > 0 && copiedBefore(mod, scope, headName(objectText, 0), at)) return undefined;
  if (isSharedExpr(mod, scope, visit.ctx, objectText, modNames, f.locals))
    return t.kind === 'attribute' ? t.text : t.object;
  // `rec = table[k]` then `rec["n"] += 1`: the local is another name for an object the shared state holds.
  const alias = f.locals.has(objectText) ? aliasOf(mod, scope, objectText, at) : undefined;
  if (alias && isSharedExpr(mod, scope, visit.ctx, alias, modNames, f.locals))
    return t.kind === 'attribute' ? `${alias}.${t.key}` : alias;
  // A closure variable of the enclosing function, mutated in place by a nested thread target.
  const root = objectText.split(/[.[]/)[0];
  if (
    (visit.entry.spawned || visit.ctx.wrapperCells) &&
    !visit.ctx.cellsOwn &&
    !f.locals.has(root) &&
    scope.parent > 0 &&
    mod.model.scopes[scope.parent].kind === 'function' &&
    // `wrapper.calls += 1`: an attribute of the wrapper function itself, one per decoration.
    (closureBinds(mod, scope.parent, root) || (!!visit.ctx.wrapperCells && root === scope.name))
  ) {
    return t.kind === 'attribute' ? t.text : t.object;
  }
  return undefined;
}

/** A copy (`dict(x)`, `list(x)`, `x.copy()`, `copy.deepcopy(x)`) or a new display bound to `name` before `at`. */
function copiedBefore(mod: ModuleIndex, scope: Scope, name: string, at: number): boolean {
  return (mod.writesByScope.get(scope.id) ?? []).some((w) => {
    if (w.end > at || w.op !== '=' || w.targets.length !== 1) return false;
    const t = w.targets[0];
    if (t.kind !== 'identifier' || t.text !== name) return false;
    if (DISPLAYS.has(w.valueKind)) return true;
    const callee = w.valueKind === 'call' ? w.valueCallee : undefined;
    return !!callee && (COPIES.has(callee) || /(^|\.)(copy|deepcopy)$/.test(callee));
  });
}

/**
 * What a local names when its one binding in the function, before `at`, takes an object out of other
 * state without copying it: `table[k]`, `self.items`, `cache.get(k)`, `d.setdefault(k, {})`. Any call
 * but those look-ups (`dict(table[k])`, `table[k].copy()`) makes a new object, and a name bound twice
 * may name either, so both stay locals.
 */
function aliasOf(mod: ModuleIndex, scope: Scope, name: string, at: number): string | undefined {
  let source: string | undefined;
  let bound = 0;
  for (const w of mod.writesByScope.get(scope.id) ?? []) {
    if (!w.targets.some((t) => t.kind === 'identifier' && t.text === name)) continue;
    if (source !== undefined || w.start > at || w.targets.length !== 1 || w.op !== '=') return undefined;
    source = w.value;
    bound = w.end;
  }
  // `for rec in table.values():` binds each value the container holds, as `rec = table[k]` does.
  for (const r of mod.regionsByScope.get(scope.id) ?? []) {
    if (r.kind !== 'for' || r.start > at || r.vars.length !== 1 || r.vars[0] !== name) continue;
    const m = /^([A-Za-z_][\w.]*)\.values\(\)$/.exec(r.expr);
    if (source !== undefined || !m) return undefined;
    source = `${m[1]}[…]`;
    bound = r.start;
  }
  if (!source || !(VIEW.test(source) || source.endsWith('[…]'))) return undefined;
  // `requests = self._requests; self._requests = {}`: once the state is rebound, the local holds the old
  // object, which nothing shared reaches any more.
  const from = source;
  const rebound = (mod.writesByScope.get(scope.id) ?? []).some(
    (w) =>
      w.start >= bound &&
      w.start < at &&
      w.op === '=' &&
      w.targets.some((t) => t.kind !== 'subscript' && t.text === from),
  );
  if (rebound) return undefined;
  // Named as the entry it is: `cache.get(k)` and `d.setdefault(k, {})` are `cache[k]` and `d[k]`.
  const lookup = /^([A-Za-z_][\w.]*)\.(?:get|setdefault)\(([^,()]*)[,)]/.exec(source);
  return lookup ? `${lookup[1]}[${lookup[2]}]` : source;
}

/** A name or attribute chain, then subscripts, then at most one `.get(...)` / `.setdefault(...)`. */
const VIEW = /^[A-Za-z_][\w.]*(\[[^()]*\])*(\.(get|setdefault)\([^()]*\))?$/;

/** A property of the method's class whose getter or setter keeps the value in a threading.local. */
function threadLocalProperty(mod: ModuleIndex, scope: Scope, name: string, locks: LockBinding[]): boolean {
  const cls = mod.model.scopes[scope.parent];
  // Most attributes are no method of the class: one map look-up before reading its methods.
  if (cls?.kind !== 'class' || !mod.functionsIn.get(cls.id)?.has(name)) return false;
  for (const m of mod.children.get(cls.id) ?? []) {
    if (m.kind !== 'function' || m.name !== name) continue;
    if (!m.decorators.some((d) => /(^|\.)(property|setter|getter)$/.test(d.replace(/^@/, '')))) continue;
    const writes = mod.writesByScope.get(m.id) ?? [];
    if (writes.some((w) => w.targets.some((t) => t.object && isThreadLocal(locks, t.object)))) return true;
  }
  return false;
}

function closureBinds(mod: ModuleIndex, scopeId: number, name: string): boolean {
  return (mod.writesByScope.get(scopeId) ?? []).some((w) =>
    w.targets.some((t) => t.kind === 'identifier' && t.text === name),
  );
}

/**
 * A test that the state is still unset: `X is None`, `X == None`, `getattr(o, "x", None) is None`,
 * and for globals also `not X`. A bare truthiness test (`if X:`) guards a flag, not an initialisation.
 */
function testsUnset(cond: string, state: string, isGlobal: boolean): boolean {
  const c = cond.trim();
  const e = escapeRegex(state);
  if (new RegExp(`(^|[^\\w.])${e}\\s*(is|==)\\s*None\\b`).test(c)) return true;
  if (/getattr\(.*None\)\s*is\s*None/.test(c)) return true;
  // `if not hasattr(self, "_conn"):` before `self._conn = ...`.
  const dot = state.lastIndexOf('.');
  if (dot > 0) {
    const owner = escapeRegex(state.slice(0, dot));
    const attr = escapeRegex(state.slice(dot + 1));
    if (new RegExp(`(^|\\W)not\\s*hasattr\\(${owner},\\s*['"]${attr}['"]\\)`).test(c)) return true;
  }
  return isGlobal && new RegExp(`(^|\\s|\\()not\\s+${e}(\\s|\\)|$)`).test(c);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Membership test on `container` with `key`: `k in d`, `k not in d`, `d.get(k) is None`. */
function testsMembership(cond: string, container: string, key: string | undefined): boolean {
  const c = cond.replace(/\s+/g, ' ');
  if (!mentions(c, container)) return false;
  if (key && !mentions(c, key.split('[')[0])) return false;
  return / in /.test(c) || c.includes(`${container}.get(`) || c.includes(`${container}.__contains__`);
}

/** An ordering comparison (not a shift): the test of a running maximum or minimum. */
const ORDERING = /(^|[^<>])[<>]=?(?![<>])/;

/** Is a write to `t` a race by itself (RMW) or after a test (check-then-act)? */
function raceKind(mod: ModuleIndex, scope: Scope, w: Write, t: WriteTarget, f: FnFacts): Hit['what'] | undefined {
  if (w.kind === 'delete') {
    // `if k in d: del d[k]`: two threads pass the test and the second `del` raises KeyError.
    const tested = f.ifs.some(
      (r) =>
        ((w.start >= r.thenStart && w.end <= r.thenEnd) || (r.thenExits && r.end <= w.start)) &&
        !!t.object &&
        testsMembership(r.expr, t.object, t.key),
    );
    return tested ? 'check-then-act' : undefined;
  }
  if (w.kind === 'augmented') {
    // `lst += items` on a list extends it in place and rebinds the same object: no update is lost.
    if (w.op === '+=' && t.kind !== 'subscript' && (/^\[/.test(w.value) || boundToList(mod, scope, t)))
      return undefined;
    return 'read-modify-write';
  }
  if (w.kind === 'assign') {
    // A read of another entry at a constant key (`d[k] = d[DEFAULT]`) does not read the entry it writes.
    if (
      t.kind === 'subscript' &&
      t.object &&
      mentions(w.value, t.object) &&
      !readsOnlyConstantEntries(w.value, t.object, t.key, f)
    )
      return 'read-modify-write';
    if (t.kind !== 'subscript' && mentions(w.value, t.text)) return 'read-modify-write';
    // Value flow through a local: `total = self.size + n; ...; self.size = total` reads and writes back.
    const tested = t.kind === 'subscript' ? t.object : t.text;
    if (tested && readThroughLocal(mod, scope, w, tested, f)) return 'read-modify-write';
    // The swap `pending = buf` then `buf = []`: two threads take the same batch, and an item added between
    // the read and the reset is lost.
    if (t.kind !== 'subscript' && EMPTY_CONTAINER.test(w.value.trim()) && takenBefore(mod, scope, w, t.text, f))
      return 'read-modify-write';
  }
  for (const r of f.ifs) {
    const inside = w.start >= r.thenStart && w.end <= r.thenEnd;
    const guardBefore = r.thenExits && r.end <= w.start;
    // `if k in d: v = d[k]` / `else: d[k] = make(k)`: the store in the else branch acts on the same test.
    const inElse = w.start >= r.thenEnd && w.end <= r.end;
    if (inElse && t.kind === 'subscript' && t.object && testsMembership(r.expr, t.object, t.key)) {
      const elseBlock = { ...r, thenStart: r.thenEnd, thenEnd: r.end };
      return benignStore(mod, scope, w, t.object, f, elseBlock) ? undefined : 'check-then-act';
    }
    if (!inside && !guardBefore) continue;
    if (t.kind === 'subscript' && t.object && testsMembership(r.expr, t.object, t.key)) {
      // Registration: `if name in REGISTRY: raise/return`, then `REGISTRY[name] = factory` with what the
      // caller passed. Racing registrations of one name lose only the duplicate check (the last one wins).
      if (guardBefore && !inside && scope.params.some((p) => p.name === w.value.trim())) return undefined;
      // A memo whose value is the same for every racing thread only costs duplicated work.
      return benignStore(mod, scope, w, t.object, f, r) ? undefined : 'check-then-act';
    }
    // A bare `not self.x` guards a flag (`if not self._started: self._started = True`) unless the store
    // makes an object there (`self.sock = socket.socket()`): then it is the object's lazy creation.
    if (
      t.kind !== 'subscript' &&
      inside &&
      testsUnset(r.expr, t.text, t.kind === 'identifier' || w.valueKind === 'call')
    ) {
      return benignStore(mod, scope, w, t.text, f, r) ? undefined : 'lazy initialisation';
    }
    // `v = cache.get(k)`, `if v is not None: return v`, then `cache[k] = ...`: the look-up through a local
    // is the test, and another thread can store between it and this store.
    if (t.kind === 'subscript' && t.object && guardBefore && !inside && testsLocalReadOf(mod, scope, r, t.object, f))
      return benignStore(mod, scope, w, t.object, f, r) ? undefined : 'check-then-act';
    // `if pending_args: args = pending_args; pending_args = None; setup(*args)`: taking a one-shot value.
    // Two threads both see it set and both run what it was kept for.
    if (t.kind === 'identifier' && inside && takesOnce(mod, scope, w, r, t.text)) return 'check-then-act';
    // `if value > peak: peak = value` (or `best["size"]`): another thread can raise it between the
    // comparison and the write.
    const tested = t.kind === 'subscript' ? t.object : t.text;
    if (inside && tested && ORDERING.test(r.expr) && mentions(r.expr, tested)) return 'check-then-act';
  }
  return failedLookupStore(mod, scope, w, t, f);
}

/**
 * `try: return cache[k]` / `except KeyError: cache[k] = make(k)`, and `try: return self._conn` / `except
 * AttributeError: self._conn = connect()`: the failed look-up in the try body is the test, the store in
 * the handler the act, and another thread can store in between.
 */
function failedLookupStore(
  mod: ModuleIndex,
  scope: Scope,
  w: Write,
  t: WriteTarget,
  f: FnFacts,
): Hit['what'] | undefined {
  const state = t.kind === 'subscript' ? t.object : t.kind === 'attribute' ? t.text : undefined;
  if (!state) return undefined;
  const catches = t.kind === 'subscript' ? LOOKUP_ERRORS : /(^|\W)AttributeError($|\W)/;
  for (const r of f.tries) {
    if (w.start < r.thenEnd || w.end > r.end || !catches.test(r.expr)) continue;
    const inBody = (x: { start: number; end: number }) => x.start >= r.thenStart && x.end <= r.thenEnd;
    const read = (value: string) =>
      t.kind === 'subscript' ? new RegExp(`(?<![\\w.])${escapeRegex(state)}\\[`).test(value) : mentions(value, state);
    const looked =
      (mod.flowsByScope.get(scope.id) ?? []).some((fl) => inBody(fl) && read(fl.value)) ||
      (mod.writesByScope.get(scope.id) ?? []).some((b) => inBody(b) && read(b.value));
    if (!looked) continue;
    // The handler is the guarded block: a store of the same value for every thread, alone there, is benign.
    const handler = { ...r, thenStart: r.thenEnd, thenEnd: r.end };
    if (benignStore(mod, scope, w, state, f, handler)) return undefined;
    return t.kind === 'subscript' ? 'check-then-act' : 'lazy initialisation';
  }
  return undefined;
}

/** Calls that undo or end something, harmless when two threads both make them (`close`, `cancel`). */
export const TEARDOWN =
  /^_*(close|cancel|stop|shutdown|join|terminate|kill|release|disconnect|clear|set|unregister|remove|discard|unlink|flush|cleanup|clean_up|dispose|destroy|reset)$/;

/**
 * `if slot: value = slot; slot = None` with other work in the block: the test and the clear are two steps,
 * so two threads can both take the value and both do that work (a lazy `setup()` run twice). A block whose
 * other calls only log or tear down (`if sock: sock.close(); sock = None`) costs nothing when run twice,
 * and a flag set to False after a failed try (`_WORKS = False`) is no value taken.
 */
function takesOnce(mod: ModuleIndex, scope: Scope, w: Write, r: Region, state: string): boolean {
  if (w.value.trim() !== 'None') return false;
  const c = r.expr.trim();
  if (c !== state && !new RegExp(`^${escapeRegex(state)}\\s+is\\s+not\\s+None$`).test(c)) return false;
  // The block takes the value before it clears the slot (`hosts, kwargs = lazy_connect_args`).
  const taken = (mod.writesByScope.get(scope.id) ?? []).some(
    (b) => b !== w && b.start >= r.thenStart && b.end <= w.start && mentions(b.value, state),
  );
  if (!taken) return false;
  return (mod.callsByScope.get(scope.id) ?? []).some(
    (call) =>
      call.start >= r.thenStart &&
      call.end <= r.thenEnd &&
      !isLogging(call) &&
      !TEARDOWN.test(call.method ?? call.callee.slice(call.callee.lastIndexOf('.') + 1)),
  );
}

/** A new empty container: `[]`, `{}`, `set()`, `deque()`, `collections.deque()`, `list()`, `dict()`. */
const EMPTY_CONTAINER =
  /^(\[\s*\]|\{\s*\}|(collections\.)?(list|dict|set|deque|OrderedDict|defaultdict)\(\s*\w*\s*\))$/;

/** Is `state` itself (not a part or a copy of it) bound to a local earlier in the function? */
function takenBefore(mod: ModuleIndex, scope: Scope, w: Write, state: string, f: FnFacts): boolean {
  return (mod.writesByScope.get(scope.id) ?? []).some(
    (b) =>
      b.end <= w.start &&
      b.value.trim() === state &&
      b.targets.some((x) => x.kind === 'identifier' && f.locals.has(x.text) && x.text !== state),
  );
}

/** Handlers that catch a failed look-up of a key: `KeyError`, `LookupError`, or anything. */
const LOOKUP_ERRORS = /(^|[|,(.])\s*(KeyError|LookupError|Exception|BaseException|\*)\s*($|[|,)])/;

/**
 * Does `value` read `container` only as entries at constant keys other than `key`: a literal, or a name
 * the function does not bind (a module constant)? `BACKENDS[DEFAULT_BACKEND]` is; `d[k] + 1`, `d.get(k)`
 * and `len(d)` are not.
 */
function readsOnlyConstantEntries(value: string, container: string, key: string | undefined, f: FnFacts): boolean {
  const escaped = container.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const uses = [...value.matchAll(new RegExp(`(?<![\\w.])${escaped}(?![\\w])(\\[([^\\[\\]]*)\\])?`, 'g'))];
  if (uses.length === 0) return false;
  return uses.every((m) => {
    const k = m[2]?.trim();
    if (!k || k === key) return false;
    return /^(['"]).*\1$|^-?\d+$/.test(k) || (/^[A-Za-z_]\w*$/.test(k) && !f.locals.has(k));
  });
}

/** Does the test read a local whose binding before it read `state` (`v = cache.get(k)`, `v = cache[k]`)? */
function testsLocalReadOf(mod: ModuleIndex, scope: Scope, r: Region, state: string, f: FnFacts): boolean {
  const names = r.expr.match(/[A-Za-z_]\w*/g) ?? [];
  for (const name of new Set(names)) {
    if (!f.locals.has(name) || name === state) continue;
    // The binding the test reads: the last one before it (`v = compute(k)` may rebind it after the return).
    const bound = bindingOf(mod, scope.id, name, r.start);
    if (bound && bound.end <= r.start && LOOKUP.test(bound.value) && mentions(bound.value, state)) return true;
  }
  return false;
}

/** A look-up of one entry: `cache.get(k)`, `cache.get(k, None)`, `cache[k]`. */
const LOOKUP = /^[A-Za-z_][\w.]*(\.get\([^()]*\)|\[[^\]]*\])$/;

/** A test of a container's emptiness or size: `jobs`, `not jobs`, `len(jobs) > 0`, `not len(jobs)`. */
function testsSize(cond: string, container: string): boolean {
  let c = cond.trim();
  // `if d.get(k):` (or `d.get(k, None)`) before `d[k].popleft()` tests the entry's size as `d[k]` does.
  const entry = /^(.+)\[([^\]]+)\]$/.exec(container);
  if (entry) {
    const lookup = new RegExp(
      `${escapeRegex(entry[1])}\\.get\\(\\s*${escapeRegex(entry[2])}\\s*(,\\s*None\\s*)?\\)`,
      'g',
    );
    c = c.replace(lookup, container);
  }
  if (c === container || c === `not ${container}`) return true;
  return c.includes(`len(${container})`);
}

/**
 * `if not jobs: return` then `jobs.pop()`, `while len(q): q.popleft()`: the size test and the take are two
 * steps, and another thread can empty the container between them. A take inside a `try` whose handler
 * catches the empty container's error is ready for that.
 */
function takeAfterSizeTest(call: Call, f: FnFacts): boolean {
  const receiver = call.receiver;
  if (!receiver || !call.method || !TAKES.has(call.method)) return false;
  // Eviction `if len(c) > N: c.pop(next(iter(c)))`: both threads pick the same oldest key, and the second
  // pop without a default raises KeyError. A key from elsewhere, or a default, is another matter.
  const evicts =
    call.method === 'pop' && call.args.length === 1 && !call.args[0].keyword && mentions(call.args[0].text, receiver);
  if (call.args.length > 0 && !evicts) return false;
  const sized =
    f.ifs.some((r) => {
      const inside = call.start >= r.thenStart && call.end <= r.thenEnd;
      const guardBefore = r.thenExits && r.end <= call.start;
      return (inside || guardBefore) && testsSize(r.expr, receiver);
    }) ||
    // `while len(q) > keep: q.popleft()`: each pass tests the size, then takes.
    f.whiles.some((r) => call.start >= r.bodyStart && call.end <= r.end && testsSize(r.expr, receiver));
  if (!sized) return false;
  return !f.tries.some((t) => call.start >= t.thenStart && call.end <= t.thenEnd && CATCHES_EMPTY.test(t.expr));
}

function checkedCall(mod: ModuleIndex, scope: Scope, call: Call, f: FnFacts): boolean {
  if (takeAfterSizeTest(call, f)) return true;
  // `if k in s: s.discard(k)`: discard leaves the same set whether or not another thread removed k first.
  if (call.method === 'discard') return false;
  const key = call.args[0]?.text;
  if (!call.receiver || !key) return false;
  const test = f.ifs.find((r) => {
    const inside = call.start >= r.thenStart && call.end <= r.thenEnd;
    const guardBefore = r.thenExits && r.end <= call.start;
    return (inside || guardBefore) && testsMembership(r.expr, call.receiver!, key);
  });
  if (!test) return false;
  // A warn-once set (`if k in warned: return; warned.add(k); log.warning(...)`): racing threads can only
  // log the same line twice.
  return !(call.method === 'add' && onlyLogsAfter(mod, scope, call, test));
}

/** Literal kinds of a write's value: the same value in every thread. */
const LITERALS = new Set(['integer', 'float', 'string', 'concatenated_string', 'true', 'false', 'none']);
const DISPLAYS = new Set([
  'dictionary',
  'list',
  'set',
  'tuple',
  'dictionary_comprehension',
  'list_comprehension',
  'set_comprehension',
]);
/**
 * Is the value a lazy initialisation or memo stores the same for every racing thread? Literals and
 * constant data, a module or compiled pattern, a copy of other state, a string computed from the key. A
 * new object of a class, a value the caller passed, anything computed from the state itself or from I/O
 * is not: identity, resources and counts can matter there, so those races are still reported.
 */
function idempotentValue(mod: ModuleIndex, scope: Scope, w: Write, state: string, f: FnFacts, depth = 0): boolean {
  const value = w.value.trim();
  if (!value) return false;
  // A copy of another entry at a constant key (`BACKENDS[name] = BACKENDS[DEFAULT]`): the same for every thread.
  if (mentions(value, state))
    return (
      depth === 0 &&
      value.startsWith(`${state}[`) &&
      value.endsWith(']') &&
      readsOnlyConstantEntries(value, state, undefined, f)
    );
  // A value that the function goes on to update (`d[k] = 0` then `d[k] += 1`) is a start, not a result:
  // a racing thread's store can wipe the other's update.
  if (depth === 0 && updatedLater(mod, scope, w, state)) return false;
  if (LITERALS.has(w.valueKind)) return true;
  const names = identifiersIn(value);
  // An empty container is made to be filled: a racing thread's fresh one replaces the other's, with
  // whatever was already put in it (`if k not in d: d[k] = []` then `d[k].append(x)`).
  if (/^(\[\s*\]|\{\s*\}|\(\s*\)|(list|dict|set)\(\s*\))$/.test(value)) return false;
  if (DISPLAYS.has(w.valueKind)) {
    // Constant data: a display that reads no local, parameter or instance state of this function.
    return !value.includes('self.') && names.every((n) => !f.locals.has(n) || comprehensionVar(value, n));
  }
  if (w.valueKind === 'identifier' && f.locals.has(value) && depth === 0) {
    const bound = bindingOf(mod, scope.id, value, w.start - 1);
    const isParam = scope.params.some((p) => p.name === value);
    return !!bound && !isParam && idempotentValue(mod, scope, bound, state, f, depth + 1);
  }
  if (w.valueKind !== 'call' || !w.valueCallee) return false;
  const q = valueCalleeOf(mod, w) ?? w.valueCallee;
  if (IDEMPOTENT_CALLS.test(q)) return true;
  if (COPIES.has(q)) return true;
  const dot = w.valueCallee.lastIndexOf('.');
  if (dot > 0 && STRING_METHODS.has(w.valueCallee.slice(dot + 1))) {
    // `pattern.upper()` of the key (a local or parameter): a pure function of it.
    const receiver = w.valueCallee.slice(0, dot);
    return /^[A-Za-z_]\w*$/.test(receiver) && f.locals.has(receiver);
  }
  return false;
}

/**
 * A store after a test that only costs duplicated work when threads race: its value is the same for
 * every thread, and the guarded block does nothing else (`if not ready: setup(); ready = True` runs
 * `setup` twice, which is what matters there).
 */
function benignStore(mod: ModuleIndex, scope: Scope, w: Write, state: string, f: FnFacts, test: Region): boolean {
  if (!idempotentValue(mod, scope, w, state, f)) return false;
  for (const c of mod.callsByScope.get(scope.id) ?? []) {
    if (c.start < test.thenStart || c.start >= test.thenEnd || (c.start >= w.start && c.end <= w.end)) continue;
    if (!isLogging(c)) return false;
  }
  return true;
}

/** A later write or mutating call of the function on `state` or on what it holds. */
function updatedLater(mod: ModuleIndex, scope: Scope, w: Write, state: string): boolean {
  const on = (text: string | undefined) =>
    !!text && (text === state || text.startsWith(`${state}[`) || text.startsWith(`${state}.`));
  for (const later of mod.writesByScope.get(scope.id) ?? []) {
    if (later.start <= w.end) continue;
    if (later.targets.some((t) => on(t.text) || on(t.object))) return true;
  }
  for (const c of mod.callsByScope.get(scope.id) ?? []) {
    if (c.start > w.end && actsOn(c.method) && on(c.receiver)) return true;
  }
  return false;
}

const IDENTIFIER = /[A-Za-z_]\w*/g;
const KEYWORDS = new Set(['for', 'in', 'if', 'else', 'and', 'or', 'not', 'is', 'None', 'True', 'False', 'lambda']);

function identifiersIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.replace(/(['"]).*?\1/g, '').matchAll(IDENTIFIER)) {
    const before = m.index > 0 ? text[m.index - 1] : '';
    if (before !== '.' && !KEYWORDS.has(m[0])) out.push(m[0]);
  }
  return out;
}

function comprehensionVar(text: string, name: string): boolean {
  return new RegExp(`\\bfor\\s+[\\w\\s,()]*\\b${name}\\b[\\w\\s,()]*\\s+in\\b`).test(text);
}

/** A local bound, earlier in the function, to a value read from `state` (one step of value flow). */
function readThroughLocal(mod: ModuleIndex, scope: Scope, w: Write, state: string, f: FnFacts): boolean {
  for (const name of identifiersIn(w.value)) {
    if (!f.locals.has(name) || scope.params.some((p) => p.name === name)) continue;
    const bound = bindingOf(mod, scope.id, name, w.start - 1);
    if (bound && bound !== w && mentions(bound.value, state)) return true;
  }
  return false;
}

/** A logging call (`log.warning(...)`, `warnings.warn(...)`, `print(...)`). */
function isLogging(c: Call): boolean {
  return LOG_METHODS.test(c.method ?? c.callee) || LOG_CALLS.has(c.callee);
}

/** After `call`, the guarded stretch makes only logging calls (`log.warning`, `warnings.warn`, `print`). */
function onlyLogsAfter(mod: ModuleIndex, scope: Scope, call: Call, test: Region): boolean {
  let end = test.thenExits && test.end <= call.start ? scope.end : test.thenEnd;
  for (const id of call.regions) {
    const r = mod.model.regions[id];
    if ((r.kind === 'for' || r.kind === 'while') && r.end < end && r.start < call.start) end = r.end;
  }
  for (const c of mod.callsByScope.get(scope.id) ?? []) {
    if (c.start <= call.end || c.start >= end) continue;
    if (!isLogging(c)) return false;
  }
  return true;
}

/** The statement a lock must cover: the write itself, or the whole `if` for check-then-act. */
function stmtSpan(f: FnFacts, start: number, end: number, what: Hit['what'], span: Span): Span {
  if (what === 'read-modify-write') return span;
  let best: Region | undefined;
  for (const r of f.ifs) {
    if (start >= r.thenStart && end <= r.thenEnd && (!best || r.start > best.start)) best = r;
  }
  return best ? best.span : span;
}

/** A write (or container call) that races if its state turns out to be shared. */
interface Candidate {
  start: number;
  end: number;
  span: Span;
  target: WriteTarget;
  op: string;
  /** The race kind, decided on first use (null: none); it does not depend on the visit. */
  what?: Hit['what'] | null;
  stmt?: Span;
  write?: Write;
  call?: Call;
}

/** The function's writes and mutating container calls, in the order the rule reports them. */
function candidatesOf(mod: ModuleIndex, scope: Scope, f: FnFacts): Candidate[] {
  const out: Candidate[] = [];
  const inFunction = scope.kind !== 'module';
  for (const w of mod.writesByScope.get(scope.id) ?? []) {
    if (isDead(mod, w.start)) continue;
    for (const t of w.targets) {
      // `del d[k]` races only as the act of a membership test (raceKind); deleting a name or an attribute
      // is not followed.
      if (w.kind === 'delete' && t.kind !== 'subscript') continue;
      // A plain name a function binds without `global` or `nonlocal` is its own local: never shared (stateOf).
      if (inFunction && t.kind === 'identifier' && !f.globalsDeclared.has(t.text) && !f.nonlocalsDeclared.has(t.text))
        continue;
      out.push({ start: w.start, end: w.end, span: w.span, target: t, op: w.op, write: w });
    }
  }
  for (const found of mod.callsByScope.get(scope.id) ?? []) {
    // `take = board.backlog.pop`, then `take()`: a bound-method alias changes its receiver.
    const call = found.calleeKind === 'identifier' ? (boundMethodCall(mod, scope, found) ?? found) : found;
    if (!actsOn(call.method) || !call.receiver) continue;
    // `self.add(task)` calls the class's own method; it mutates no container.
    if (call.receiver === 'self' || call.receiver === 'cls') continue;
    const target: WriteTarget = {
      text: call.receiver,
      kind: 'subscript',
      span: call.span,
      object: call.receiver,
      key: undefined,
    };
    out.push({ start: call.start, end: call.end, span: call.span, target, op: `.${call.method}()`, call });
  }
  return out;
}

/**
 * A call of a local bound once, before it, to a container's method (`append = self.items.append`, `take =
 * board.backlog.pop`), read as that method called on that container.
 */
function boundMethodCall(mod: ModuleIndex, scope: Scope, call: Call): Call | undefined {
  if (scope.kind === 'module') return undefined;
  const writes = bindingsIn(mod, scope.id).get(call.callee);
  const w = writes?.length === 1 ? writes[0] : undefined;
  if (!w || w.start > call.start || w.valueKind !== 'attribute') return undefined;
  const m = /^([A-Za-z_][\w.]*)\.(\w+)$/.exec(w.value);
  return m && actsOn(m[2]) ? { ...call, receiver: m[1], method: m[2], calleeKind: 'attribute' } : undefined;
}

/** A candidate's race kind, decided once: a write's own shape, or a container call after a membership test. */
function raceKindOf(mod: ModuleIndex, scope: Scope, c: Candidate, f: FnFacts): Hit['what'] | undefined {
  if (c.what === undefined) {
    const what = c.write
      ? raceKind(mod, scope, c.write, c.target, f)
      : c.call && checkedCall(mod, scope, c.call, f)
        ? 'check-then-act'
        : undefined;
    c.what = what ?? null;
    if (what) c.stmt = stmtSpan(f, c.start, c.end, what, c.span);
  }
  return c.what ?? undefined;
}

/** A function's hits as carried (carry.ts): offsets as of `start`, visits by their index in the visit list. */
interface CarriedHits {
  key: string;
  line: number;
  start: number;
  hits: { hit: Hit; visits: number[] }[];
}

/**
 * racyWrites, carried across runs for a function whose scope stands and whose lines have not moved, while
 * the contexts reaching it are the same: the hits' offsets are rebased and their visits are this run's.
 * The module scope is remade by every splice, so it is always read afresh.
 */
export function carriedRacyWrites(
  mod: ModuleIndex,
  scope: Scope,
  visits: Visit[],
  config: Config,
  locks: LockBinding[],
): Hit[] {
  if (scope.kind === 'module' || !mod.token.carry) return racyWrites(mod, scope, visits, config, locks);
  const key = visits.map((v) => visitKey(scope, v)).join('\n');
  return carried(
    slotFor(mod, scope, scope.id),
    RACY,
    (c) => {
      if (c.key !== key || c.line !== scope.span.line) return STALE;
      const d = scope.start - c.start;
      return c.hits.map(({ hit, visits: at }) => ({
        ...hit,
        mod,
        scope,
        stmtStart: hit.stmtStart + d,
        visits: at.map((i) => visits[i]),
      }));
    },
    () => racyWrites(mod, scope, visits, config, locks),
    (hits) => ({
      key,
      line: scope.span.line,
      start: scope.start,
      // Without this run's index and visits, which the next run replaces (and which would keep this run alive).
      hits: hits.map((hit) => ({
        hit: { ...hit, mod: undefined as unknown as ModuleIndex, visits: [] },
        visits: hit.visits.map((v) => visits.indexOf(v)),
      })),
    }),
  );
}

const RACY: CarryKey<CarriedHits> = carryKey('racy');

/** What racyWrites reads of a visit. */
function visitKey(scope: Scope, v: Visit): string {
  const { ctx, entry } = v;
  const set = (s: ReadonlySet<string> | undefined) => (s ? sortedText(s) : '-');
  const window = entry.window?.scope === scope.id ? JSON.stringify(entry.window.spans) : '';
  return `${ctx.heldBy ?? ''}|${ctx.selfShared}|${set(ctx.sharedParams)}|${set(ctx.sharedAttrs)}|${set(ctx.ownParams)}|${cellsText(ctx)}|${entry.spawned}|${set(entry.only)}|${set(entry.onlyState)}|${window}`;
}

/** Find racy writes in one function for all the thread contexts that reach it. */
export function racyWrites(
  mod: ModuleIndex,
  scope: Scope,
  visits: Visit[],
  config: Config,
  locks: LockBinding[],
): Hit[] {
  const f = factsOf(mod, scope);
  const modNames = moduleNames(mod);
  const guards = guardsIn(mod, scope, locks, config);
  const hits = new Map<number, Hit>();
  const candidates = candidatesOf(mod, scope, f);
  // After a teardown has marked the object closed under its lock, its own state is nobody else's.
  const closed = closedAfter(mod, scope, guards);
  for (const visit of visits) {
    // A caller holds a lock around the whole call.
    if (visit.ctx.heldBy) continue;
    const { entry } = visit;
    const window = entry.window?.scope === scope.id ? entry.window : undefined;
    for (const c of candidates) {
      if ((window && !inWindow(window, c.start)) || guardAt(guards, c.start)) continue;
      const state = stateOf(mod, scope, visit, c.target, f, modNames, locks, c.start);
      if (!state || (closed && c.start >= closed.at && closed.covers(state))) continue;
      const what = raceKindOf(mod, scope, c, f);
      if (!what || !c.stmt) continue;
      if (entry.only && !entry.only.has(what) && !(what === 'check-then-act' && failingTake(entry.only, c.op)))
        continue;
      // `if k in d: del d[k]` is reported only where threads are seen to run it. Inferred entries met it
      // mostly as registries' `unregister(name)` and objects removing their own entry (`del
      // server.channels[self.fd]`), where two threads deleting one key is not how the code is used.
      if (c.write?.kind === 'delete' && !entry.spawned) continue;
      // Library entries report only the instance state their class's evidence covers (library.ts Intent).
      if (entry.onlyState && state.startsWith('self.') && !entry.onlyState.has(selfRoot(state))) continue;
      const existing = hits.get(c.start);
      if (existing) {
        if (!existing.visits.includes(visit)) existing.visits.push(visit);
        continue;
      }
      hits.set(c.start, {
        mod,
        span: c.span,
        stmtStart: c.start,
        state,
        what,
        op: c.op,
        scope,
        visits: [visit],
        stmt: c.stmt,
      });
    }
  }
  return [...hits.values()];
}

/** Acts that raise when the item the test saw is not there: KeyError, ValueError, IndexError. */
export const FAILS_WHEN_GONE: ReadonlySet<string> = new Set(['.remove()', '.pop()', '.popleft()', '.popitem()', 'del']);

/** Does an entry that reports failing takes (library.ts Intent.only) report this check-then-act's act? */
function failingTake(only: ReadonlySet<string>, op: string): boolean {
  return only.has('failing take') && FAILS_WHEN_GONE.has(op);
}

/** `self.x` of `self.x.y[k]`. */
function selfRoot(state: string): string {
  const m = /^self\.\w+/.exec(state);
  return m ? m[0] : state;
}

/** Where the same state is written while a lock is held, for library-mode evidence. */
export interface GuardedElsewhere {
  lock: string;
  fn: string;
}

/** A thread entry's name as code (`Fetcher.run`), or as words when it describes one (the thread that owns `X`). */
function threadName(name: string): string {
  const qualified = /^([\w.<>]+) (\(.*\))$/.exec(name);
  if (qualified) return `\`${qualified[1]}\` ${qualified[2]}`;
  return name.includes(' ') ? name : `\`${name}\``;
}

/** What is wrong (a sentence) and the advice that follows it. */
export function sharedMutationMessage(hit: Hit, elsewhere?: GuardedElsewhere): { summary: string; advice: string } {
  const entries = [...new Map(hit.visits.map((v) => [v.entry.name, v.entry])).values()];
  const spawned = entries.filter((e) => e.spawned);
  const how =
    hit.what === 'read-modify-write'
      ? `${hit.op === '=' ? 'reads it and writes back a value computed from it' : `updates it with \`${hit.op}\``}, a read-modify-write that another thread can interleave, so updates can be lost`
      : hit.what === 'check-then-act'
        ? 'tests it and then writes it; another thread can act between the test and the write'
        : 'initialises it lazily; two threads can both see it unset and both initialise it';
  const fix =
    'Hold a lock around it, or give each thread its own state (threading.local, results returned through futures or a queue.Queue).';
  if (elsewhere) {
    const verb =
      hit.what === 'read-modify-write'
        ? 'read-then-written'
        : hit.what === 'check-then-act'
          ? 'tested-then-written'
          : 'lazily initialised';
    // Class signals are whole clauses; spawn and module reasons continue the entry's name.
    const because = entries[0].because.startsWith('`')
      ? entries[0].because
      : `\`${entries[0].name}\` ${entries[0].because}`;
    return {
      summary: `\`${hit.state}\` is written under \`${elsewhere.lock}\` in \`${elsewhere.fn}\` but ${verb} without it here (${because}).`,
      advice: `Hold \`${elsewhere.lock}\` here too.`,
    };
  }
  if (hit.rebound) {
    const others = hit.rebound.map(threadName).join(' and ');
    const actor = [...new Set(hit.visits.map((v) => v.entry.name))].map(threadName).join(' and ');
    return {
      summary: `\`${hit.state}\` is tested and then changed with \`${hit.op}\` on ${actor}, while ${others} rebinds it on another thread: between the test and the act it can hold a new object, where what the test saw does not hold, and the act raises or changes the wrong object.`,
      advice: `Take the object once (\`${localFor(hit.state)} = ${hit.state}\`) and test and change that, or hold one lock around the test, the act and the rebinding.`,
    };
  }
  if (hit.writers) {
    const names = hit.writers.map(threadName);
    const list =
      names.length > 2 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : names.join(' and ');
    return {
      summary: `\`${hit.state}\` is written by ${list}, which run at the same time in different threads; this ${hit.what} can interleave with the others, so updates can be lost.`,
      advice: fix,
    };
  }
  const lead = spawned[0] ?? entries[0];
  const named = (spawned.length > 0 ? spawned : entries).map((e) => `\`${e.name}\``);
  const who = named.length > 3 ? `${named.slice(0, 3).join(', ')} and ${named.length - 3} more` : named.join(', ');
  // Class signals are whole clauses ("`Pool` holds `self._lock`, ..."); spawn and module reasons continue the subject.
  if (lead.because.startsWith('`'))
    return { summary: `\`${hit.state}\` is shared: ${lead.because}; ${who} ${how}.`, advice: fix };
  return { summary: `\`${hit.state}\` is shared: ${who} ${lead.because}, and ${how}.`, advice: fix };
}

/** A local's name for an attribute chain: `self._topics` → `topics`. */
function localFor(state: string): string {
  const last = state.split('.').pop() ?? state;
  return last.replace(/^_+/, '') || 'value';
}

/** The evidence as a clause that reads on its own, for hovers ("Shared because ..."). */
function sharedBecause(hit: Hit): string {
  if (hit.rebound) return `${hit.rebound.map((w) => `\`${w}\``).join(' and ')} rebinds it on another thread`;
  if (hit.writers)
    return `${hit.writers.map((w) => `\`${w}\``).join(' and ')} write it from threads that run at the same time`;
  const lead = hit.visits.find((v) => v.entry.spawned)?.entry ?? hit.visits[0].entry;
  return lead.because.startsWith('`') ? lead.because : `\`${lead.name}\` ${lead.because}`;
}

/**
 * Is the only evidence the class's own choice of where to lock? No thread that runs this code was seen
 * (callers' threads are inferred from the class's lock), and the class writes this state under its lock in
 * another method while this write goes without it. When every write of a state skips the lock, nothing
 * orders them, and that stays a warning. But when the author locks one writer and not another, the
 * unlocked one mostly runs where no other writer can: on the sequential path, on the class's one reader
 * thread, after a shutdown mark. The real-code study (study/judged.json) judged every such warning wrong,
 * in five projects, so it is information that names the locked writer, not a warning.
 */
function lockChoiceOnly(hit: Hit, elsewhere: GuardedElsewhere | undefined): boolean {
  return !!elsewhere && !hit.visits.some((v) => v.entry.spawned && !v.entry.inferred);
}

export function sharedMutationFinding(
  hit: Hit,
  fixes: () => Fix[],
  lock?: string,
  elsewhere?: GuardedElsewhere,
): Finding {
  const hint = hit.visits.every((v) => v.entry.hint);
  const { summary, advice } = sharedMutationMessage(hit, elsewhere);
  const finding: Omit<Finding, 'fixes'> = {
    rule: 'shared-mutation',
    severity: hint ? 'hint' : lockChoiceOnly(hit, elsewhere) ? 'info' : 'warning',
    span: hit.span,
    message: `${summary} ${advice}`,
    summary,
    data: {
      state: hit.state,
      threads: [...new Set(hit.visits.map((v) => v.entry.name))],
      sharedBecause: sharedBecause(hit),
      lock: lock ?? elsewhere?.lock,
    },
  };
  return withLazyFixes(finding, fixes, hit.mod.token.carry);
}
