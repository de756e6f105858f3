/**
 * Classification of thread targets: does the body wait (io), run C code that
 * releases the GIL (native), run Python bytecode that holds it (cpu), or a
 * substantial mix? Evidence is gathered per function, following calls into
 * functions of the analysed files (and into the functions a call hands to a
 * helper that calls them back), and each piece carries a reason that
 * points at the line that decided it.
 *
 * Scores: a wait or heavy native call counts about 2-3; a loop whose body does
 * no waiting or native work counts by its size and nesting, or as heavy work
 * when it iterates a literal `range` of 50,000 or more; recursion counts
 * as heavy CPU work. Helpers' evidence is discounted a little per call level.
 */
import type { Call, Scope } from '../model/types';
import { onParam, resolveCallee } from './callGraph';
import { type CarryKey, carried, carryKey, keepCarried, peekCarried, type Slot, STALE, volatileCount } from './carry';
import {
  CALLS,
  type CallFact,
  CHEAP_BUILTINS,
  CHEAP_METHODS,
  COMPUTE_MODULES,
  FILE_LIKE_NAME,
  FILE_METHODS,
  HTTP_CLIENT_NAME,
  HTTP_REQUEST,
  HTTP_SESSIONS,
  HTTP_VERBS,
  IO_METHODS,
  LINE_READERS,
  LOG_METHODS,
  LOGGER_NAME,
  LOGGING_MODULES,
  NO_WORK,
  ORIGIN_METHODS,
  ORIGIN_WAITS,
  RUNNER_METHODS,
  RUNNER_RECEIVER,
  RUNNER_START,
  SESSION_REQUESTS,
  WAIT_METHODS,
  WAITABLE_NAME,
} from './knowledge';
import { type ClassRef, calleeOf, classAcross, instanceClass, originOf } from './origins';
import { boundReceivers } from './origins/bindings';
import {
  bindingOf,
  type CarriedRef,
  carryRef,
  type FunctionRef,
  funcKey,
  liveRefs,
  localNames,
  lookup,
  loopsOf,
  type ModuleIndex,
  mentions,
  methodOf,
  type ProjectIndex,
  paramNames,
  resolveFunction,
  slotFor,
} from './resolve';
import type { Classification, Config, Reason } from './types';

export interface Evidence {
  io: number;
  native: number;
  cpu: number;
  /** CPU evidence that says how much work there is on its own: literal heavy ranges, nested loops. */
  heavy: number;
  /** Calls whose work the engine cannot see (unresolved methods, callbacks), discounted like the rest. */
  unseen: number;
  /** It runs a callable it was handed (`fn(*args)` on a parameter or a value taken from a queue). */
  delegates: boolean;
  reasons: Reason[];
}

export interface ClassifyContext {
  project: ProjectIndex;
  config: Config;
  memo: Map<string, Evidence>;
  active: Set<string>;
}

const HELPER_DISCOUNT = 0.8;
const ITER_WAIT = /^iter\([\w.]*\.(get|recv|readline|read|accept|_quick_get),/;
const MAX_DEPTH = 5;

export function newClassifyContext(project: ProjectIndex, config: Config): ClassifyContext {
  return { project, config, memo: new Map(), active: new Set() };
}

function empty(): Evidence {
  return { io: 0, native: 0, cpu: 0, heavy: 0, unseen: 0, delegates: false, reasons: [] };
}

/** What one call does, from the knowledge tables and what its receiver was bound to. */
function factOf(
  ctx: ClassifyContext,
  mod: ModuleIndex,
  scope: Scope,
  call: Call,
  origins: () => Map<string, string>,
): CallFact | undefined {
  // `wait = self.done.wait` and then `wait(1)`: a bound-method alias is that method's call.
  const alias = call.calleeKind === 'identifier' ? methodAlias(mod, scope, call) : undefined;
  if (alias) return factOf(ctx, mod, scope, alias, origins);
  const q = calleeOf(mod, call);
  if (ctx.config.extraIo.includes(q)) return { kind: 'io', weight: 2, why: 'does I/O (configured)' };
  if (ctx.config.extraNative.includes(q)) return { kind: 'native', weight: 3, why: 'releases the GIL (configured)' };
  // A library's wildcard (`urllib3.*`) covers its functions; making one of its objects (`Retry(...)`,
  // `HTTPAdapter(...)`) waits for nothing, so only an entry naming the class itself counts.
  const last = q.slice(q.lastIndexOf('.') + 1);
  const direct = /^[A-Z]/.test(last) ? CALLS.get(q) : lookup(CALLS, q);
  if (direct) return direct;
  if (call.receiver && call.method) {
    const origin = origins().get(call.receiver) ?? originOf(mod, scope.id, call.receiver);
    const waitsOnOrigin = origin ? ORIGIN_WAITS.get(`${origin}.${call.method}`) : undefined;
    if (waitsOnOrigin) return waitsOnOrigin;
    // A session's requests wait on the network; mounting an adapter or closing it does not.
    if (origin && HTTP_SESSIONS.has(origin) && !SESSION_REQUESTS.has(call.method)) return NO_WORK;
    const viaOrigin = origin ? lookup(ORIGIN_METHODS, origin) : undefined;
    if (viaOrigin) return viaOrigin;
    // From here on the method is read from its name and the receiver's, so a method the project defines
    // wins (`Reg().touch()` is the class's own `touch`, not `Path.touch`), unless it is abstract (`def
    // start(self): raise NotImplementedError()`): subclasses do the work.
    const own = resolveCallee(ctx.project, mod, scope, call);
    if (own && !isAbstract(own)) return undefined;
    const io = IO_METHODS.get(call.method);
    if (io) return io;
    const last = call.receiver.slice(call.receiver.lastIndexOf('.') + 1);
    // `session.get(url, timeout=5)` is an HTTP request, not a queue.
    if (HTTP_CLIENT_NAME.test(last) && HTTP_VERBS.has(call.method)) return HTTP_REQUEST;
    // `x.get(timeout=...)` / `x.get(block=...)` is a queue's blocking get whatever the receiver is called;
    // Queue.get(block, timeout) takes no more than a flag positionally, so `x.get(url, timeout=5)` is an
    // HTTP client's request (`_get_session().get(url, timeout=t)`).
    if (call.method === 'get' && call.args.some((a) => a.keyword === 'timeout' || a.keyword === 'block')) {
      const first = call.args.find((a) => !a.keyword && !a.splat);
      if (first && !/^(True|False|0|1)$/.test(first.text)) return HTTP_REQUEST;
      return WAIT_METHODS.get('get');
    }
    const runner = RUNNER_METHODS.get(call.method);
    if (runner && (call.method !== 'select' || call.args.length > 0 || RUNNER_RECEIVER.test(last))) return runner;
    if (RUNNER_START.has(call.method) && RUNNER_RECEIVER.test(call.receiver)) return RUNNER_METHODS.get('run_forever');
    if (FILE_METHODS.has(call.method) && FILE_LIKE_NAME.test(call.receiver)) return FILE_METHODS.get(call.method);
    const waits = WAIT_METHODS.get(call.method);
    // `wait()` blocks on whatever has it (events, conditions, barriers, processes); `join`, `get` and
    // `result` also name string, dict and other non-blocking methods, so those need a telling receiver name.
    const telling = call.method === 'wait' || call.method === 'wait_for' || WAITABLE_NAME.test(last);
    if (waits && telling) return waits;
    // `conn.wait_for_responses(...)`, `client.wait_until_ready()`: a method whose name says it waits.
    if (WAITING_NAME.test(call.method)) return NAMED_WAIT;
  }
  return undefined;
}

/** Method names that say the call waits: `wait_for_responses`, `wait_until_ready`, `wait_for_completion`. */
const WAITING_NAME = /^wait_(for|until)_\w+$/;
const NAMED_WAIT: CallFact = { kind: 'io', weight: 1.5, why: 'waits, as its name says' };

/**
 * The call a bound-method alias stands for: `read = src.read` bound earlier in the function, then
 * `read(n)`, is `src.read(n)`. Only plain `name.attr` chains count, bound once before the call.
 */
function methodAlias(mod: ModuleIndex, scope: Scope, call: Call): Call | undefined {
  const bound = bindingOf(mod, scope.id, call.callee, call.start);
  if (bound?.valueKind !== 'attribute' || !/^[A-Za-z_][\w.]*\.\w+$/.test(bound.value)) return undefined;
  const dot = bound.value.lastIndexOf('.');
  return {
    ...call,
    callee: bound.value,
    calleeKind: 'attribute',
    receiver: bound.value.slice(0, dot),
    method: bound.value.slice(dot + 1),
  };
}

/** A binding made by calling a class of the module (`parser = Parser()`): an object, not looked-up work. */
function isClassName(mod: ModuleIndex, w: { valueCallee?: string }): boolean {
  return !!w.valueCallee && (mod.classes.has(w.valueCallee) || /^[A-Z]/.test(w.valueCallee.split('.').pop() ?? ''));
}

/** A method with no body of its own: `@abstractmethod`, or nothing but `raise NotImplementedError`. */
function isAbstract(ref: FunctionRef): boolean {
  if (ref.scope.decorators.some((d) => /(^|\.)abstractmethod$/.test(d))) return true;
  const calls = ref.mod.callsByScope.get(ref.scope.id) ?? [];
  const writes = ref.mod.writesByScope.get(ref.scope.id) ?? [];
  return writes.length === 0 && calls.length > 0 && calls.every((c) => c.callee === 'NotImplementedError');
}

/**
 * A thread target's evidence. An abstract method (`def start(self): raise NotImplementedError()`) does
 * nothing itself: the thread runs a subclass's override, so the overrides the analysed files define are
 * its evidence, each reason naming the override it comes from.
 */
export function targetEvidence(ctx: ClassifyContext, ref: FunctionRef): Evidence {
  const own = evidenceOf(ctx, ref);
  if (!isAbstract(ref)) return own;
  const overrides = overridesOf(ctx.project, ref);
  if (overrides.length === 0) return own;
  const e = empty();
  for (const o of overrides) {
    const sub = evidenceOf(ctx, o);
    const cls = o.mod.model.scopes[o.scope.parent];
    merge(e, sub, 1, `${cls.name}.${o.scope.name}`, o.scope.span.line);
  }
  // The reasons say "called at" the override's own line; name the override instead.
  for (const r of e.reasons) r.text = r.text.replace(/, called at line \d+\)$/, ', an override)');
  return e;
}

/** The methods of the analysed files' subclasses (three levels down) that override `ref`. */
function overridesOf(project: ProjectIndex, ref: FunctionRef): FunctionRef[] {
  const base = ref.mod.model.scopes[ref.scope.parent];
  if (base?.kind !== 'class') return [];
  const classes: Scope[] = [base];
  const out: FunctionRef[] = [];
  for (let level = 0; level < 3; level++) {
    let grew = false;
    for (const mod of project.modules) {
      for (const cls of [...mod.classes.values()].flat()) {
        if (classes.includes(cls)) continue;
        if (!cls.bases.some((b) => classes.includes(classAcross(mod, b)?.cls as Scope))) continue;
        classes.push(cls);
        grew = true;
        const m = mod.functionsIn.get(cls.id)?.get(ref.scope.name);
        if (m && !isAbstract({ mod, scope: m })) out.push({ mod, scope: m });
      }
    }
    if (!grew) break;
  }
  return out;
}

/** Carried facts this module derives (carry.ts): what a call does, the callbacks it runs. */
const FACT: CarryKey<CallFact | null> = carryKey('fact');
const CALLBACKS: CarryKey<{ callee: Scope; fns: CarriedRef[] }> = carryKey('callbacks');
/** A leaf function's evidence, good while its lines have not moved (the reasons name them). */
const EVIDENCE: CarryKey<{ line: number; e: Evidence }> = carryKey('evidence');

function add(e: Evidence, kind: 'io' | 'native' | 'cpu', weight: number, reason: Reason): void {
  e[kind] += weight;
  if (e.reasons.length < 12) e.reasons.push(reason);
}

/** What is left of a light helper's CPU evidence when it is called once. */
const ONCE_CPU = 0.25;

/**
 * The condition of a loop that runs until it is told to stop: `while True`, `while 1`, `while not
 * stop.is_set()`, `while not self._stopped`, `while self.running`. A loop that counts (`while tries < 5`)
 * or compares is not one.
 */
const UNTIL_STOPPED = /^(True|1|not\s+[A-Za-z_][\w.]*(\(\))?|[A-Za-z_][\w.]*)$/;

/**
 * Where the function's main loop ends: the last top-level `while` loop of its body that runs until it is
 * told to stop, or -1 when it has none. The waits a thread makes after that loop, outside any loop
 * (`producer.flush()`, `conn.close()`), happen once as it finishes: they do not say what it spends its
 * life doing, so they are not its evidence.
 */
function mainLoopEnd(mod: ModuleIndex, scope: Scope): number {
  const regions = mod.regionsByScope.get(scope.id) ?? [];
  const loops = regions.filter((r) => r.kind === 'while' || r.kind === 'for' || r.kind === 'comprehension');
  let end = -1;
  for (const r of loops) {
    if (r.kind !== 'while' || r.end <= end || !UNTIL_STOPPED.test(r.expr.trim())) continue;
    if (!loops.some((o) => o !== r && o.bodyStart <= r.start && r.end <= o.end)) end = r.end;
  }
  return end;
}

function merge(
  into: Evidence,
  from: Evidence,
  factor: number,
  via: string,
  line: number,
  cpuShare = 1,
  waits = true,
): void {
  if (waits) into.io += from.io * factor;
  into.native += from.native * factor;
  into.cpu += from.cpu * factor * cpuShare;
  into.heavy += from.heavy * factor * cpuShare;
  into.unseen += from.unseen * factor;
  const top = from.reasons
    .filter((r) => r.kind !== 'note' && (cpuShare === 1 || r.kind !== 'cpu') && (waits || r.kind !== 'io'))
    .slice(0, 3);
  for (const r of top) {
    if (into.reasons.length < 12)
      into.reasons.push({ ...r, text: `${r.text} (in \`${via}\`, called at line ${line + 1})` });
  }
}

/** Evidence for one function, memoised; recursion shows up as a call to a function on the stack. */
export function evidenceOf(ctx: ClassifyContext, ref: FunctionRef, depth = 0): Evidence {
  const k = funcKey(ref);
  const cached = ctx.memo.get(k);
  if (cached) return cached;
  if (ctx.active.has(k) || depth > MAX_DEPTH) return empty();
  const { mod, scope } = ref;
  // A function that calls none of the analysed files' functions has evidence of its own alone: carried
  // (carry.ts) while its scope stands and its lines have not moved (the reasons name them).
  const scopeSlot = slotFor(mod, scope, scope.id);
  const own = peekCarried(scopeSlot, EVIDENCE);
  if (own && own.line === scope.span.line) {
    ctx.memo.set(k, own.e);
    return own.e;
  }
  ctx.active.add(k);
  const volatileAtStart = volatileCount();
  const e = empty();
  let leaf = true;
  // False when a fact of this function was decided afresh (a call on a parameter): its evidence is not carried.
  let leafOnly = true;
  // Built on first use: most calls are decided by the tables without knowing what a receiver was bound to.
  let originMap: Map<string, string> | undefined;
  const origins = () => {
    originMap ??= boundReceivers(mod, scope);
    return originMap;
  };
  const calls = mod.callsByScope.get(scope.id) ?? [];
  const loopEnd = mainLoopEnd(mod, scope);
  // Which calls wait or run native code, directly or through helpers: loops around them are not CPU loops.
  const offloaded = new Set<number>();
  // Calls whose work the engine cannot see (an unresolved method, a callback): a loop around one is no
  // evidence of CPU work, since each pass may as well wait.
  const opaque = new Set<number>();
  // Loops that sleep on every pass, and the calls that wait directly (not through a helper) other than
  // those naps: a loop of the first kind without the second is a poller on a timer (addLoops), and a
  // helper it calls runs once per nap, like a helper called once. Those helpers' merges wait for the end.
  const naps = napLoops(mod, calls);
  const directWaits: Call[] = [];
  const perNap: { sub: Evidence; name: string; line: number; call: Call; finishing: boolean }[] = [];
  for (const call of calls) {
    const slot = slotFor(mod, call, call.scope);
    // A call on a parameter may resolve differently when another function changes (origins.ts): not carried.
    const fresh = onParam(scope, call);
    if (fresh) leafOnly = false;
    const fact = carried(
      fresh ? undefined : slot,
      FACT,
      (f) => f,
      () => factOf(ctx, mod, scope, call, origins) ?? null,
      (f) => f,
    );
    const line = call.span.line;
    if (fact && fact.kind !== 'neutral') {
      const finishing =
        fact.kind === 'io' &&
        loopEnd >= 0 &&
        call.start >= loopEnd &&
        loopsOf(mod, call.regions, call.start).length === 0;
      if (finishing) continue;
      add(e, fact.kind, fact.weight, {
        text: `line ${line + 1}: \`${call.callee}\` ${fact.why}`,
        line,
        kind: fact.kind,
      });
      if (fact.kind !== 'cpu') offloaded.add(call.id);
      if (fact.kind !== 'cpu' && !isNap(mod, call)) directWaits.push(call);
      continue;
    }
    if (fact) continue;
    const callee = resolveCallee(ctx.project, mod, scope, call);
    if (!callee) {
      if (!isCheap(mod, scope, call, origins)) {
        opaque.add(call.id);
        e.unseen += 1;
      }
      // `fn(*args)` where `fn` is a parameter or a local (taken from a queue, a tuple): the thread's work
      // is whatever its callers hand it.
      if (call.calleeKind === 'identifier' && !e.delegates && handedCallable(mod, scope, call)) {
        e.delegates = true;
        e.reasons.push({
          text: `line ${line + 1}: runs \`${call.callee}\`, a callable it is handed, so its work is the caller's`,
          line,
          kind: 'note',
        });
      }
      continue;
    }
    leaf = false;
    if (funcKey(callee) === k || ctx.active.has(funcKey(callee))) {
      // A function that calls itself is an algorithm's recursion (a search, divide and conquer): its
      // depth is data-bound like a loop's trip count, so it is not bookkeeping even when the helper is
      // called once. A cycle through other functions is more often a walk over a nested value or a
      // dispatch back into an overload, and stays light.
      if (funcKey(callee) === k) e.heavy += 4;
      add(e, 'cpu', 4, {
        text: `line ${line + 1}: recursive call to \`${callee.scope.name}\` runs Python code`,
        line,
        kind: 'cpu',
      });
      continue;
    }
    const sub = evidenceOf(ctx, callee, depth + 1);
    // A helper called once runs its small loops once: bookkeeping, not the thread's work. Its CPU evidence
    // counts in full when the call repeats (inside a loop here) or when it is heavy on its own.
    const repeated = loopsOf(mod, call.regions, call.start).length > 0;
    const finishing = !repeated && loopEnd >= 0 && call.start >= loopEnd;
    if (repeated && loopsOf(mod, call.regions, call.start).some((l) => naps.has(l.id)))
      perNap.push({ sub, name: callee.scope.name, line, call, finishing });
    else merge(e, sub, HELPER_DISCOUNT, callee.scope.name, line, repeated || sub.heavy > 0 ? 1 : ONCE_CPU, !finishing);
    const callbacks = carriedCallbacks(ctx, mod, scope, call, callee, slot);
    // A helper the loop calls for each item that runs what it is handed makes this loop a dispatcher too,
    // unless what it is handed here is known (a function of this code, read below).
    if (repeated && sub.delegates && !e.delegates && callbacks.length === 0) {
      e.delegates = true;
      e.reasons.push({
        text: `line ${line + 1}: \`${callee.scope.name}\` runs a callable it is handed, so the work is the caller's`,
        line,
        kind: 'note',
      });
    }
    // A helper whose own work is mostly calls the engine cannot see is no more known than they are.
    if (sub.unseen > 0 && sub.io + sub.native + sub.cpu < 1) opaque.add(call.id);
    let waits = sub.io + sub.native > sub.cpu;
    for (const fn of callbacks) {
      if (funcKey(fn) === k || ctx.active.has(funcKey(fn))) continue;
      const work = evidenceOf(ctx, fn, depth + 1);
      merge(e, work, HELPER_DISCOUNT * HELPER_DISCOUNT, `${fn.scope.name}\` via \`${callee.scope.name}`, line);
      waits ||= work.io + work.native > work.cpu;
    }
    if (waits) offloaded.add(call.id);
  }
  for (const { sub, name, line, call, finishing } of perNap) {
    const poller = loopsOf(mod, call.regions, call.start).some(
      (l) => naps.has(l.id) && !directWaits.some((w) => w.regions.includes(l.id)),
    );
    merge(e, sub, HELPER_DISCOUNT, name, line, poller ? ONCE_CPU : 1, !finishing);
  }
  // `for msg in consumer` where `consumer` is an instance of an analysed class whose `__next__` (or
  // `__iter__`) waits: every step of the loop waits.
  const waitingIterators = new Map<number, string>();
  for (const loop of mod.regionsByScope.get(scope.id) ?? []) {
    if (loop.kind !== 'for') continue;
    // `for m in stream` (a name bound to an instance) or `for m in Stream(inbox)`.
    // `for line in conn.makefile()` (or a local bound to it) reads the socket: every step waits.
    const reader = lineReader(mod, scope, loop.expr, loop.start);
    if (reader) {
      waitingIterators.set(loop.id, reader);
      continue;
    }
    const made = /^[A-Za-z_][\w.]*\(.*\)$/.test(loop.expr)
      ? classAcross(mod, loop.expr.slice(0, loop.expr.indexOf('(')))
      : instanceClass(ctx.project, mod, scope, loop.expr);
    if (!made) continue;
    // Read from another class's methods: this function's evidence is not a leaf's, and is not carried.
    leafOnly = false;
    const waits = waitingMethod(ctx, made, k, depth);
    if (waits) waitingIterators.set(loop.id, waits);
  }
  addLoops(mod, scope, calls, offloaded, opaque, e, waitingIterators);
  ctx.active.delete(k);
  ctx.memo.set(k, e);
  if (leaf && leafOnly && volatileCount() === volatileAtStart)
    keepCarried(scopeSlot, EVIDENCE, { line: scope.span.line, e });
  return e;
}

/** The blocking read a loop over `expr` makes per item (LINE_READERS), seen directly or through one local binding. */
function lineReader(mod: ModuleIndex, scope: Scope, expr: string, before: number): string | undefined {
  if (LINE_READERS.test(expr)) return `${expr}.readline`;
  if (!/^[A-Za-z_]\w*$/.test(expr)) return undefined;
  const binds = (mod.writesByScope.get(scope.id) ?? []).filter(
    (w) => w.start < before && w.targets.some((t) => t.kind === 'identifier' && t.text === expr),
  );
  if (binds.length !== 1 || !LINE_READERS.test(binds[0].value)) return undefined;
  return `${binds[0].value}.readline`;
}

/** callbacks(), carried in the call's slot while the helper and the functions passed to it are unchanged. */
function carriedCallbacks(
  ctx: ClassifyContext,
  mod: ModuleIndex,
  scope: Scope,
  call: Call,
  callee: FunctionRef,
  slot: Slot,
): FunctionRef[] {
  return carried(
    slot,
    CALLBACKS,
    (c) => (c.callee === callee.scope ? (liveRefs(ctx.project, c.fns) ?? STALE) : STALE),
    () => callbacks(ctx, mod, scope, call, callee),
    (fns) => ({ callee: callee.scope, fns: fns.map(carryRef) }),
  );
}

/**
 * Functions of the analysed files passed to a helper that calls them: `cache.get_or_render(path,
 * render_fragment)` where `get_or_render(self, key, render)` calls `render(key)`. Their work happens
 * inside the call, so it counts for the caller as the helper's own does.
 */
function callbacks(
  ctx: ClassifyContext,
  mod: ModuleIndex,
  scope: Scope,
  call: Call,
  callee: FunctionRef,
): FunctionRef[] {
  if (call.args.length === 0) return [];
  const params = paramNames(callee.mod, callee.scope);
  const out: FunctionRef[] = [];
  let position = 0;
  for (const arg of call.args) {
    if (arg.splat) break;
    const param = arg.keyword ?? params[position++];
    if (!param || (arg.kind !== 'identifier' && arg.kind !== 'attribute')) continue;
    const called = (callee.mod.callsByScope.get(callee.scope.id) ?? []).some(
      (c) => c.calleeKind === 'identifier' && c.callee === param,
    );
    if (!called) continue;
    const fn =
      arg.kind === 'identifier'
        ? resolveFunction(ctx.project, mod, scope.id, arg.text)
        : boundMethod(ctx, mod, scope, arg.text);
    if (fn) out.push(fn);
  }
  return out;
}

/** The method a bound-method expression names (`lane.close`, `self._stop`), when its object's class is known. */
function boundMethod(ctx: ClassifyContext, mod: ModuleIndex, scope: Scope, text: string): FunctionRef | undefined {
  const dot = text.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const cls = instanceClass(ctx.project, mod, scope, text.slice(0, dot));
  const m = cls ? methodOf(cls.mod, cls.cls, text.slice(dot + 1)) : undefined;
  return cls && m ? { mod: cls.mod, scope: m } : undefined;
}

/** `Cls.__next__` or `Cls.__iter__` when one of them mostly waits, for the loops that iterate a `Cls`. */
function waitingMethod(ctx: ClassifyContext, made: ClassRef, self: string, depth: number): string | undefined {
  for (const name of ['__next__', '__iter__']) {
    const m = methodOf(made.mod, made.cls, name);
    const ref = m && { mod: made.mod, scope: m };
    if (!ref || funcKey(ref) === self || ctx.active.has(funcKey(ref))) continue;
    const it = evidenceOf(ctx, ref, depth + 1);
    if (it.io > it.cpu && it.io >= 1) return `${made.cls.name}.${name}`;
  }
  return undefined;
}

/**
 * A call of a callable the function was handed: a parameter, a loop variable, or a name unpacked from a
 * work item (`fn, args = item`). A name bound to a bound method (`read = f.read`) or to a call's result
 * is the function's own doing, not its caller's.
 */
function handedCallable(mod: ModuleIndex, scope: Scope, call: Call): boolean {
  const name = call.callee;
  if (scope.params.some((p) => p.name === name && p.name !== 'self' && p.name !== 'cls')) return true;
  if (!localNames(mod, scope).has(name)) return false;
  const bound = bindingOf(mod, scope.id, name, call.start);
  // Taken from a collection or looked up by a call (`actor = broker.get_actor(name)`): dynamic dispatch.
  if (bound) return bound.valueKind === 'subscript' || (bound.valueKind === 'call' && !isClassName(mod, bound));
  // Unpacked from a work item, or a loop variable.
  const unpacked = (mod.writesByScope.get(scope.id) ?? []).some(
    (w) => w.start < call.start && w.targets.length > 1 && w.targets.some((t) => t.text === name),
  );
  return unpacked || (mod.regionsByScope.get(scope.id) ?? []).some((r) => r.vars.some((v) => mentions(v, name)));
}

/**
 * A builtin, a common method of builtin values, or computing stdlib code (`random.Random().random()`,
 * `heapq.heappush`): Python-level work in this thread, so no sign that the time goes elsewhere.
 */
function isCheap(mod: ModuleIndex, scope: Scope, call: Call, origins: () => Map<string, string>): boolean {
  if (call.calleeKind === 'identifier') {
    if (CHEAP_BUILTINS.has(call.callee)) return true;
    // `popleft = buffer.popleft` and then `popleft()`: a bound-method alias costs what its method costs.
    const alias = methodAlias(mod, scope, call);
    return !!alias && isCheap(mod, scope, alias, origins);
  }
  if (call.calleeKind !== 'attribute' || !call.method) return false;
  if (CHEAP_METHODS.has(call.method) || COMPUTE_MODULES.test(calleeOf(mod, call))) return true;
  // A log line is bookkeeping: where the thread's time goes is decided by the rest of its work.
  if (
    LOG_METHODS.test(call.method) &&
    (LOGGER_NAME.test(call.receiver ?? '') || LOGGING_MODULES.test(calleeOf(mod, call)))
  )
    return true;
  const origin = call.receiver && (origins().get(call.receiver) ?? originOf(mod, scope.id, call.receiver));
  return !!origin && COMPUTE_MODULES.test(origin);
}

/** `time.sleep(interval)` with a non-zero interval: a nap, as opposed to `sleep(0)`, which only yields. */
function isNap(mod: ModuleIndex, call: Call): boolean {
  return calleeOf(mod, call) === 'time.sleep' && !/^0*\.?0*$/.test(call.args[0]?.text ?? '0');
}

/** The loops of a function with a nap somewhere in their body: the ids of their regions. */
function napLoops(mod: ModuleIndex, calls: Call[]): Set<number> {
  const out = new Set<number>();
  for (const call of calls) {
    if (isNap(mod, call)) for (const loop of loopsOf(mod, call.regions, call.start)) out.add(loop.id);
  }
  return out;
}

function addLoops(
  mod: ModuleIndex,
  scope: Scope,
  calls: Call[],
  offloaded: Set<number>,
  opaque: Set<number>,
  e: Evidence,
  waitingIterators: Map<number, string>,
): void {
  const loops = (mod.regionsByScope.get(scope.id) ?? []).filter(
    (r) => r.kind === 'for' || r.kind === 'while' || r.kind === 'comprehension',
  );
  const waiting = new Set<number>();
  const unseen = new Map<number, Call>();
  // Loops that sleep on every pass (`while running: ...; time.sleep(interval)`) and wait for nothing
  // else: pollers on a timer. A loop that also waits for work (`jobs.get()`) works on what it gets.
  const sleeping = new Set<number>();
  const waitsForWork = new Set<number>();
  for (const call of calls) {
    if (opaque.has(call.id)) {
      for (const loop of loopsOf(mod, call.regions, call.start)) if (!unseen.has(loop.id)) unseen.set(loop.id, call);
      continue;
    }
    if (!offloaded.has(call.id)) continue;
    const nap = isNap(mod, call);
    for (const loop of loopsOf(mod, call.regions, call.start)) (nap ? sleeping : waitsForWork).add(loop.id);
    for (const loop of loopsOf(mod, call.regions, call.start)) waiting.add(loop.id);
    // A wait in a `while` condition (`while not stop.wait(1):`) runs before every iteration too.
    for (const id of call.regions) {
      const r = mod.model.regions[id];
      if (r.kind === 'while' && call.start >= r.start && call.start < r.bodyStart) waiting.add(r.id);
    }
  }
  let noted = false;
  for (const loop of loops) {
    if (waiting.has(loop.id)) continue;
    const line = loop.span.line;
    const hidden = unseen.get(loop.id);
    if (hidden) {
      // Each pass calls code the engine has not read: the loop says nothing about where the time goes.
      if (!noted)
        e.reasons.push({
          text: `line ${line + 1}: loop calls \`${hidden.callee}\`, whose work is not known here`,
          line,
          kind: 'note',
        });
      noted = true;
      continue;
    }
    // A loop over a literal handful of items (`for x in (a, b, c)`, `range(3)`) is no real work.
    const count = literalRangeCount(loop.expr);
    if ((count > 0 && count < SMALL_RANGE) || /^[([]/.test(loop.expr.trim())) continue;
    const waitingIterator = waitingIterators.get(loop.id);
    if (waitingIterator) {
      add(e, 'io', 1.5, {
        text: `line ${line + 1}: loop waits in \`${waitingIterator}\` for each item of \`${loop.expr}\``,
        line,
        kind: 'io',
      });
      continue;
    }
    // `for item in iter(q.get, None)` blocks on the queue at every step: a waiting loop, not CPU work.
    if (loop.kind === 'for' && ITER_WAIT.test(loop.expr)) {
      add(e, 'io', 1.5, {
        text: `line ${line + 1}: loop waits on \`${loop.expr.slice(5, loop.expr.indexOf(','))}\` for each item`,
        line,
        kind: 'io',
      });
      continue;
    }
    // A literal `range(400_000)` says how much work there is, whatever the body's size.
    if (count >= HEAVY_RANGE) {
      const what = loop.kind === 'comprehension' ? 'comprehension' : 'loop';
      e.heavy += 3;
      add(e, 'cpu', 3, {
        text: `line ${line + 1}: ${what} runs Python code ${count.toLocaleString('en-US')} times`,
        line,
        kind: 'cpu',
      });
      continue;
    }
    // Inside a poller that sleeps on every pass, a loop goes over what built up since the last wake-up:
    // bookkeeping between sleeps, not where the thread's time goes.
    const poller = loops.find(
      (o) => o.id !== loop.id && o.bodyStart <= loop.start && loop.end <= o.end && sleeping.has(o.id),
    );
    if (poller && !waitsForWork.has(poller.id)) continue;
    if (loop.kind === 'comprehension') {
      add(e, 'cpu', 0.75, { text: `line ${line + 1}: comprehension runs Python code`, line, kind: 'cpu' });
      continue;
    }
    const size = Math.min(loop.span.endLine - loop.span.line, 12);
    const nested = loops.some(
      (o) =>
        o.id !== loop.id &&
        o.kind !== 'comprehension' &&
        o.start > loop.start &&
        o.end <= loop.end &&
        !waiting.has(o.id),
    );
    const weight = (1 + size / 4) * (nested ? 2 : 1);
    if (nested) e.heavy += weight;
    const what = nested ? 'nested loops run' : 'loop runs';
    add(e, 'cpu', weight, {
      text: `line ${line + 1}: ${what} pure-Python code, which holds the GIL`,
      line,
      kind: 'cpu',
    });
  }
}

/** Iterations from which a literal range alone makes a loop heavy CPU work. */
const HEAVY_RANGE = 50_000;
/** Below this many iterations a literal range is a handful of items. */
const SMALL_RANGE = 100;

/** The iteration count of `range(N)` / `range(a, N)` with integer literals (`400_000`, `10**6`), else 0. */
function literalRangeCount(expr: string): number {
  const m = /^range\((?:([\d_]+),)?([\d_]+|10\*\*\d+)(?:,[\d_]+)?\)$/.exec(expr.replace(/\s+/g, ''));
  if (!m) return 0;
  const value = (text: string) =>
    text.startsWith('10**') ? 10 ** Number(text.slice(4)) : Number(text.replaceAll('_', ''));
  const end = value(m[2]);
  const start = m[1] ? value(m[1]) : 0;
  return Number.isFinite(end - start) ? Math.max(0, end - start) : 0;
}

/** Turn scores into a class. Thresholds are documented in README "Classification". */
export function decide(e: Evidence): Classification {
  const { io, native } = e;
  // A class rests on evidence a reason names. CPU evidence with no reason left is the discounted
  // bookkeeping of helpers called once (their reasons are dropped with it): it cannot make a thread
  // CPU-bound on its own, or the message would cite nothing ("no waiting, native work or loops").
  const cpu = e.reasons.some((r) => r.kind === 'cpu') ? e.cpu : 0;
  // A worker that runs what it is handed does whatever that is; its own waits for work say nothing.
  if (e.delegates && native < 1.5 && cpu < 3) return 'unknown';
  if (io >= 1.5 && cpu >= 3) return 'mixed';
  if (native >= 2.5 && cpu >= 3 && cpu >= native) return 'mixed';
  if (io >= 2 && native >= 3) return 'mixed';
  if (io >= 1 && io >= native && (io >= cpu || cpu < 3)) return 'io';
  if (native >= 1.5 && native >= cpu * 0.75) return 'native';
  if (cpu >= 1) return 'cpu';
  if (native > 0) return 'native';
  if (io > 0) return 'io';
  // A lone call into C that holds the GIL (one big regex, sort or JSON parse) is still CPU work.
  if (cpu > 0) return 'cpu';
  return 'unknown';
}

/** reasonsFor results by evidence: a leaf's evidence is carried across runs (carry.ts), and so are its reasons. */
const reasonsMemo = new WeakMap<Evidence, { cls: Classification; reasons: Reason[] }>();

/** Reasons sorted so that the deciding kind comes first; the array is shared, never to be changed. */
export function reasonsFor(e: Evidence, cls: Classification): Reason[] {
  const known = reasonsMemo.get(e);
  if (known?.cls === cls) return known.reasons;
  const reasons = sortedReasons(e, cls);
  reasonsMemo.set(e, { cls, reasons });
  return reasons;
}

function sortedReasons(e: Evidence, cls: Classification): Reason[] {
  const rank = (r: Reason) => (r.kind === cls ? 0 : cls === 'mixed' ? 0 : 1);
  // Two calls of one helper on a line (`Path(a).resolve(), Path(b).resolve()`) give one reason, not two.
  const seen = new Set<string>();
  const sorted = [...e.reasons]
    .sort((a, b) => rank(a) - rank(b) || a.line - b.line)
    .filter((r) => !seen.has(r.text) && !!seen.add(r.text));
  if (sorted.length === 0) return [{ text: 'no waiting, native work or loops were found', line: 0, kind: 'note' }];
  return sorted.slice(0, 6);
}
