/**
 * Library mode: find the races that users' threads will hit without seeing a
 * spawn. Like RacerD, it infers from the code itself that state is used from
 * several threads:
 *
 * - a class that shows thread-safety intent (it holds a lock, starts threads
 *   or owns an executor, says "thread-safe" in its docstring, or lives next to
 *   a `threading.local` subclass) has its public methods treated as running
 *   in several threads at once, on one shared instance;
 * - public module functions may be called from several threads: their
 *   check-then-act on module containers and lazy initialisation of globals
 *   are reported, as warnings when the module is thread-aware (imports
 *   threading or concurrent.futures, or uses a lock) and otherwise as hints,
 *   since they race under a free-threaded build (3.13t/3.14t).
 *
 * `assume-threads = "always"` treats every public function and method as
 * called from many threads; `"never"` keeps only what spawns reach.
 */
import type { Call, Scope } from '../../../model/types';
import { MAIN_GUARD } from '../../knowledge';
import {
  afterForkHooks,
  callerLocks,
  type Guard,
  guardAt,
  guardsIn,
  type LockBinding,
  lockBindings,
} from '../../locks';
import { type MemoKey, memo, memoKey } from '../../memo';
import { calleeOf, classAcross, instanceClass, isThreadClass, valueCalleeOf } from '../../origins';
import { exactLists, type ModuleIndex, mentions, methodOf, type ProjectIndex, qualify } from '../../resolve';
import type { SpawnSite } from '../../targets';
import type { Config } from '../../types';
import { type LoopThread, onCallersThread } from './loopThread';
import { decoratorObject, decoratorWrappers, type Entry, isMetaclass, type Visit } from './reach';

const CONSTRUCTION = new Set([
  '__init__',
  '__new__',
  '__init_subclass__',
  '__post_init__',
  '__del__',
  '__repr__',
  '__str__',
  '__class_getitem__',
  '__set_name__',
]);
const MODULE_PATTERNS: ReadonlySet<string> = new Set(['check-then-act', 'lazy initialisation']);
const PER_THREAD_PATTERNS: ReadonlySet<string> = new Set(['read-modify-write', 'failing take']);

/** Methods that run while the object is made, before any other thread can hold it. */
export function isConstruction(name: string): boolean {
  return CONSTRUCTION.has(name);
}

export function isPublicMethod(name: string): boolean {
  return !CONSTRUCTION.has(name) && (!name.startsWith('_') || (name.startsWith('__') && name.endsWith('__')));
}

export interface Intent {
  because: string;
  /**
   * The kinds of race its entries report (all when absent). A class whose only evidence is per-thread
   * state reports lost updates and acts that fail once another thread took the item: it chose per
   * attribute what to share, and a memo or registry on the shared part may be a choice, a lost count never.
   */
  only?: ReadonlySet<string>;
  /**
   * Of the instance's own state, the `self.x` roots that may be reported: for a class that holds a lock,
   * the state it touches under that lock somewhere (RacerD's rule: the author guards it, so an unguarded
   * update of it is a slip; a lock that guards one narrow thing says nothing of the rest); for a class that
   * starts threads on its own methods, the state those threads write. Undefined: all of it.
   */
  onlyState?: Set<string>;
  /** Methods the class runs on one thread of its own (`Thread(target=self.run_loop)`): not public entries. */
  ownTargets?: Set<Scope>;
  /**
   * A class that names some of its methods thread-safe (`wake_threadsafe`, `add_callback_threadsafe`, as
   * asyncio's `call_soon_threadsafe` does) says by that name that its other methods are not: they run on
   * the one thread that owns the object (its I/O loop). Only the named methods are entries for other threads;
   * the rest are one thread, whose updates race only with what the named methods write.
   */
  confined?: {
    safe: Set<Scope>;
    owner: string;
    /** State the thread-safe methods change, by the first such method: the owner's rivals for it. */
    contested: ReadonlyMap<string, string>;
  };
  /**
   * Methods that run only on the project's event-loop thread (loopThread.ts), with the coroutine that
   * calls each: one writer between them, named after `thread`.
   */
  loop?: {
    methods: Map<Scope, string>;
    thread: LoopThread;
    /** State the loop's methods touch that a callers' method changes, by the first such method. */
    contested: ReadonlyMap<string, string>;
    /** The class's methods known to run on callers' threads: the only rivals of the loop's methods. */
    callers: Set<Scope>;
  };
}

const THREADSAFE_NAME = /thread_?safe/i;

/** Does the class own this method's thread (a thread it starts on it, or the loop a confined class runs on)? */
export function onOwnerThread(intent: Intent | undefined, m: Scope): boolean {
  if (!intent) return false;
  if (intent.ownTargets?.has(m) || intent.loop?.methods.has(m)) return true;
  return !!intent.confined && !intent.confined.safe.has(m) && isPublicMethod(m.name);
}

/**
 * `self.x` state a method writes (assignments, subscript stores, mutating calls), following its calls on
 * `self` two levels deep. State the threads only read races with callers as a stale read at worst.
 */
export function selfWrites(
  mod: ModuleIndex,
  cls: Scope,
  method: Scope,
  depth = 0,
  out = new Set<string>(),
): Set<string> {
  for (const w of mod.writesByScope.get(method.id) ?? []) {
    for (const t of w.targets) {
      const text = t.kind === 'subscript' ? t.object : t.text;
      const m = text ? /^self\.\w+/.exec(text) : null;
      if (m) out.add(m[0]);
    }
  }
  for (const call of mod.callsByScope.get(method.id) ?? []) {
    const m = call.receiver ? /^self\.\w+$/.exec(call.receiver) : null;
    if (
      m &&
      call.method &&
      /^(append|add|extend|insert|update|pop|popitem|remove|discard|clear|setdefault|appendleft|popleft)$/.test(
        call.method,
      )
    ) {
      out.add(m[0]);
    }
    const callee = depth < 2 && call.receiver === 'self' && call.method ? methodOf(mod, cls, call.method) : undefined;
    if (callee && callee.id !== method.id) selfWrites(mod, cls, callee, depth + 1, out);
  }
  return out;
}

/**
 * Why a class looks meant for concurrent use, or undefined when nothing says so. Library mode and the
 * iteration rule both ask, so the answer is remembered for the run on the module index.
 */
const INTENTS: MemoKey<Map<number, Intent | null>> = memoKey('intents');

export function classIntent(mod: ModuleIndex, cls: Scope, locks: LockBinding[], config: Config): Intent | undefined {
  const intents = memo(mod, INTENTS, () => new Map());
  const known = intents.get(cls.id);
  if (known !== undefined) return known ?? undefined;
  const intent = intentOf(mod, cls, locks, config);
  intents.set(cls.id, intent ?? null);
  return intent;
}

const LOOP_INTENTS: MemoKey<Map<number, Intent | null>> = memoKey('loopIntents');

/**
 * A class's intent with the project's event-loop thread taken into account: its methods that run only on
 * that thread are one writer (`loop`), and the state they touch that a method run on callers' threads
 * changes is reportable as well as what the class locks, since it crosses threads with or without a lock.
 * A class whose names already confine it to one owner thread keeps that answer.
 */
export function loopIntent(
  mod: ModuleIndex,
  cls: Scope,
  locks: LockBinding[],
  config: Config,
  loop: LoopThread | undefined,
): Intent | undefined {
  const intent = classIntent(mod, cls, locks, config);
  if (!intent || !loop || intent.confined) return intent;
  const intents = memo(mod, LOOP_INTENTS, () => new Map());
  const known = intents.get(cls.id);
  if (known !== undefined) return known ?? undefined;
  const methods = (mod.children.get(cls.id) ?? []).filter((m) => m.kind === 'function');
  const onLoop = new Map<Scope, string>();
  const onCallers = new Set<Scope>();
  for (const m of methods) {
    if (m.isAsync || intent.ownTargets?.has(m)) continue;
    const ctx = loop.on(mod, m);
    if (ctx.on === 'loop') onLoop.set(m, ctx.via);
    else if (onCallersThread(loop, mod, m)) onCallers.add(m);
  }
  let result: Intent = intent;
  if (onLoop.size > 0) {
    const touched = new Set<string>();
    for (const m of onLoop.keys()) selfRoots(mod, cls, m, 0, touched);
    // What methods known to run on callers' threads change, by the first method that changes it: the loop
    // thread's unguarded update of it races with theirs, locked or not, since the loop thread does not take
    // their lock. A method whose thread is unknown (a callback, say) is no rival: it may run on the loop.
    const changedBy = firstWriters(
      mod,
      cls,
      methods.filter((m) => onCallers.has(m)),
    );
    const crossing = [...changedBy.keys()].filter((s) => touched.has(s));
    result = {
      ...intent,
      onlyState: intent.onlyState && new Set([...intent.onlyState, ...crossing]),
      loop: {
        methods: onLoop,
        thread: loop,
        contested: new Map(crossing.map((s) => [s, changedBy.get(s)!])),
        callers: onCallers,
      },
    };
  }
  intents.set(cls.id, result);
  return result;
}

/**
 * Whether a class's docstring says the class is thread-safe: in its summary paragraph (`A thread-safe
 * registry.`), or as a statement anywhere (`The client is thread safe`, `Thread-safe.`). Elsewhere a
 * `thread-safe X` describes X, another object the class uses (`sleeps on a thread-safe notifier`), and
 * promises nothing about the class.
 */
export function promisesThreadSafety(doc: string): boolean {
  if (/\b(not|no|non|never|isn'?t)\b[\s-]*(\w+[\s-]+)?thread[- ]?safe/i.test(doc)) return false;
  const summary = doc.trim().split(/\n\s*\n/)[0] ?? '';
  if (/\bthread[- ]?safe\b(?!ty)/i.test(summary)) return true;
  const stated = /\b(is|are|be|remains?|stays?)\s+(\w+\s+)?thread[- ]?safe\b(?!ty)/i;
  const alone = /(^|[.:;]\s+|\n\s*)thread[- ]?safe\s*([.:;]|$)/im;
  return stated.test(doc) || alone.test(doc);
}

/** The mutex a class binds on `self` in one of its methods (`self._lock = threading.Lock()`), if any. */
export function ownLock(mod: ModuleIndex, cls: Scope, locks: LockBinding[]): LockBinding | undefined {
  const ids = new Set((mod.children.get(cls.id) ?? []).filter((m) => m.kind === 'function').map((m) => m.id));
  return locks.find((b) => b.mutex && b.name.startsWith('self.') && ids.has(b.scope));
}

function intentOf(mod: ModuleIndex, cls: Scope, locks: LockBinding[], config: Config): Intent | undefined {
  const methods = (mod.children.get(cls.id) ?? []).filter((m) => m.kind === 'function');
  const own = ownLock(mod, cls, locks);
  const threads = ownThreads(mod, cls, methods);
  const withLocked = (because: string): Intent => {
    const onlyState = lockedState(mod, methods, locks, config);
    for (const s of threads?.onlyState ?? []) onlyState.add(s);
    const safe = threads ? [] : safeMethods(methods);
    if (safe.length === 0) return { because, onlyState, ownTargets: threads?.ownTargets };
    return confinedIntent(mod, cls, safe, onlyState);
  };
  if (own)
    return withLocked(
      `\`${cls.name}\` holds \`${own.name}\`, so its methods are meant to be called from several threads`,
    );
  const moduleLocks = locks.filter((b) => b.mutex && b.scope === 0).map((b) => b.name);
  for (const m of methods) {
    for (const r of mod.regionsByScope.get(m.id) ?? []) {
      const used = r.items.find((i) => moduleLocks.includes(i.expr));
      if (used) {
        return withLocked(
          `\`${cls.name}.${m.name}\` takes \`${used.expr}\`, so the class is meant to be used from several threads`,
        );
      }
    }
  }
  if (promisesThreadSafety(cls.docstring)) return { because: `\`${cls.name}\`'s docstring says it is thread-safe` };
  // Without a lock, methods that say they are the ones safe to call from other threads still confine the
  // rest to the thread that owns the object (an I/O loop's `add_callback`).
  const safe = threads ? [] : safeMethods(methods);
  if (safe.length > 0) return confinedIntent(mod, cls, safe, new Set());
  // `self._thread_locals = threading.local()`: the class keeps some state per thread because several
  // threads use one instance; what it keeps on the instance itself they share.
  const perThread = threadLocalAttr(mod, methods);
  if (perThread) {
    return {
      because: `\`${cls.name}\` keeps per-thread state in \`${perThread}\` (a \`threading.local\`), so several threads use one instance`,
      only: PER_THREAD_PATTERNS,
    };
  }
  if (threads) return threads;
  const localClass = [...mod.classes.values()]
    .flat()
    .find((c) => c.bases.some((b) => qualify(mod, b) === 'threading.local'));
  if (localClass && localClass.id !== cls.id) {
    return { because: `\`${cls.name}\` sits next to the \`threading.local\` subclass \`${localClass.name}\`` };
  }
  return undefined;
}

/**
 * The public methods that say they are safe to call from other threads: by name (`wake_threadsafe`, as
 * asyncio's `call_soon_threadsafe`), or by their docstring (`It is safe to call this method from any
 * thread`).
 */
function safeMethods(methods: Scope[]): Scope[] {
  return methods.filter(
    (m) => isPublicMethod(m.name) && (THREADSAFE_NAME.test(m.name) || SAFE_FROM_THREADS.test(m.docstring)),
  );
}

/** Does a docstring say its function or class is safe to call from other threads? */
export function saysSafeFromThreads(doc: string): boolean {
  return SAFE_FROM_THREADS.test(doc) || promisesThreadSafety(doc);
}

const SAFE_FROM_THREADS =
  /\b(?<!not )(safe to call|may be called|can be called|safe to use)( this method)?\s+from\s+(any|other|another|multiple|several|a different)\s+threads?\b/i;

/**
 * A class that names some methods safe for other threads: the rest run on the one thread that owns it,
 * and what the safe methods write is what other threads share with that owner, contested by them.
 */
function confinedIntent(mod: ModuleIndex, cls: Scope, safe: Scope[], onlyState: Set<string>): Intent {
  const contested = firstWriters(mod, cls, safe);
  for (const state of contested.keys()) onlyState.add(state);
  const names = safe.map((m) => `\`${m.name}\``).join(', ');
  return {
    because: `\`${cls.name}\` names ${names} as safe to call from other threads, so its other methods run on the one thread that owns it`,
    onlyState,
    confined: { safe: new Set(safe), owner: `the thread that owns \`${cls.name}\``, contested },
  };
}

/** The `self.x` state the methods change (selfWrites), each by the first of them that changes it (`Cls.m`). */
function firstWriters(mod: ModuleIndex, cls: Scope, methods: Scope[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of methods)
    for (const state of selfWrites(mod, cls, m)) if (!out.has(state)) out.set(state, `${cls.name}.${m.name}`);
  return out;
}

/** The `self.x` a method of the class binds to a new `threading.local()`, if any. */
function threadLocalAttr(mod: ModuleIndex, methods: Scope[]): string | undefined {
  for (const m of methods) {
    for (const w of mod.writesByScope.get(m.id) ?? []) {
      const t = w.targets[0];
      if (w.targets.length !== 1 || t.kind !== 'attribute' || t.object !== 'self' || !w.valueCallee) continue;
      if (w.valueCallee.endsWith('local') && valueCalleeOf(mod, w) === 'threading.local') return t.text;
    }
  }
  return undefined;
}

/**
 * A class that starts threads on its own methods shares with them only the state those methods touch:
 * `Thread(target=self.run_loop)`, a pool's `submit(self.work)`, or one of its methods handed as a callback
 * to a Thread subclass (`ProcessWatcher(proc, self._restart)` calls it back from the watcher's thread).
 */
function ownThreads(mod: ModuleIndex, cls: Scope, methods: Scope[]): Intent | undefined {
  if (cls.bases.some((b) => qualify(mod, b) === 'threading.Thread')) return undefined;
  for (const m of methods) {
    for (const call of mod.callsByScope.get(m.id) ?? []) {
      const threadClass = call.calleeKind === 'identifier' ? classAcross(mod, call.callee) : undefined;
      if (threadClass && isThreadClass(threadClass.mod, threadClass.cls)) {
        const callback = call.args.find((a) => a.text.startsWith('self.') && methodOf(mod, cls, a.text.slice(5)));
        // A closure handed instead (`def flush(): self.flush()`, then `PeriodicTimer(10, flush)`) runs the
        // method it calls on `self`.
        const viaClosure = callback ? undefined : closureMethod(mod, cls, m, call);
        const target = callback ? methodOf(mod, cls, callback.text.slice(5)) : viaClosure?.method;
        const handed = viaClosure
          ? `\`${viaClosure.closure}\` (which calls \`${viaClosure.method.name}\`)`
          : `\`${target?.name}\``;
        if (target) {
          return {
            because: `\`${cls.name}\` hands ${handed} to the thread \`${call.callee}\` (in \`${m.name}\`), which calls it back while callers use its methods`,
            onlyState: selfWrites(mod, cls, target),
            ownTargets: new Set([target]),
          };
        }
      }
      if (!/(Thread|Timer|\.submit|\.map)$/.test(call.callee)) continue;
      const q = calleeOf(mod, call);
      const isThread = q === 'threading.Thread' || q === 'threading.Timer';
      const isPool = call.method === 'submit' || call.method === 'map';
      if (!isThread && !isPool) continue;
      // Thread(group, target) and Timer(interval, function) both take the callable second.
      const targetArg = isThread
        ? (call.args.find((a) => a.keyword === 'target' || a.keyword === 'function') ??
          call.args.filter((a) => !a.keyword && !a.splat)[1])
        : call.args[0];
      const target = targetArg?.text.startsWith('self.') ? methodOf(mod, cls, targetArg.text.slice(5)) : undefined;
      if (!target) continue;
      const state = selfWrites(mod, cls, target);
      // The attribute that holds the thread is shared too: starting it lazily is the classic double start.
      if (call.assignedTo?.startsWith('self.')) state.add(call.assignedTo);
      return {
        because: `\`${cls.name}\` runs \`${target.name}\` on its own threads (\`${call.callee}\` in \`${m.name}\`) while callers use its methods`,
        onlyState: state,
        // One thread runs the target: it is analysed from that spawn, which does not race with itself.
        ownTargets: isThread ? new Set([target]) : undefined,
      };
    }
  }
  return undefined;
}

/**
 * The method of `cls` that a nested function of `m`, handed to `call` by name, calls on `self`: the one
 * such call when the closure makes exactly one.
 */
function closureMethod(
  mod: ModuleIndex,
  cls: Scope,
  m: Scope,
  call: Call,
): { method: Scope; closure: string } | undefined {
  const nested = (mod.children.get(m.id) ?? []).filter((c) => c.kind === 'function');
  for (const arg of call.args) {
    const closure = nested.find((c) => c.name === arg.text);
    if (!closure) continue;
    const onSelf = (mod.callsByScope.get(closure.id) ?? []).filter((c) => c.receiver === 'self' && c.method);
    const method = onSelf.length === 1 ? methodOf(mod, cls, onSelf[0].method!) : undefined;
    if (method) return { method, closure: closure.name };
  }
  return undefined;
}

/** The `self.x` roots a method mentions, following its calls on `self` two levels deep. */
function selfRoots(mod: ModuleIndex, cls: Scope, m: Scope, depth: number, out: Set<string>): void {
  for (const name of rootsIn(mod, m, () => true, out)) {
    const callee = depth < 2 ? methodOf(mod, cls, name) : undefined;
    if (callee && callee.id !== m.id) selfRoots(mod, cls, callee, depth + 1, out);
  }
}

const SELF_ROOTS = /\bself\.(\w+)/g;

function addRoots(text: string, out: Set<string>): void {
  for (const m of text.matchAll(SELF_ROOTS)) out.add(`self.${m[1]}`);
}

/**
 * The `self.x` roots a class's methods read or write with one of its mutexes held: in `with lock:` or
 * acquire/release stretches, in methods a lock decorator wraps, and in helpers called with the lock held
 * (from any caller), followed through what they call on `self` in turn.
 */
function lockedState(mod: ModuleIndex, methods: Scope[], locks: LockBinding[], config: Config): Set<string> {
  const out = new Set<string>();
  const byName = new Map(methods.map((m) => [m.name, m]));
  const queue: string[] = [];
  // Only the object's own locks (`self._lock`) and the module's own global ones own instance state: a
  // region under another object's lock (`with self._conn.lock:`, `with conn.lock:`) guards that object,
  // and what `self.x` it mentions on the way is there by accident.
  for (const m of methods) {
    const guards = ownGuardsIn(mod, m, locks, config);
    if (guards.length === 0) continue;
    const held = (offset: number) => guardAt(guards, offset) !== undefined;
    for (const helper of rootsIn(mod, m, held, out)) if (byName.has(helper)) queue.push(helper);
  }
  const seen = new Set(queue);
  while (queue.length > 0) {
    const helper = byName.get(queue.pop()!);
    if (!helper) continue;
    for (const next of rootsIn(mod, helper, () => true, out)) {
      if (byName.has(next) && !seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  // An id drawn outside the lock and used under it (`mid = self._next_mid()`, then `with self._lock:
  // self._pending[mid] = msg`): the method takes the lock because several threads call it, so the counter
  // that gives the id is shared with the other calls, and two of them can draw the same id.
  for (const m of methods) {
    if (!isPublicMethod(m.name) || m.isAsync) continue;
    const guards = ownGuardsIn(mod, m, locks, config);
    if (guards.length > 0) for (const c of idsDrawnOutside(mod, m, guards, byName, locks, config)) out.add(c);
  }
  return out;
}

/**
 * The counters (`self.x` updated in place with `+=`, `-=`, ...) whose value `m` takes outside its guards
 * and then uses inside them: bumped and read in `m` itself, or in a private helper whose return value
 * `m` binds to a local that a guarded statement mentions.
 */
function idsDrawnOutside(
  mod: ModuleIndex,
  m: Scope,
  guards: Guard[],
  byName: Map<string, Scope>,
  locks: LockBinding[],
  config: Config,
): string[] {
  const writes = mod.writesByScope.get(m.id) ?? [];
  // Does a guarded statement use the value: the name itself, or a local built from it
  // (`message = Message(mid)` before `with self._lock: self._queue.append(message)`)?
  const guarded = (name: string) => {
    const carriers = new Set([name]);
    for (const w of writes) {
      const t = w.targets[0];
      if (w.targets.length === 1 && t.kind === 'identifier' && [...carriers].some((n) => mentions(w.value, n)))
        carriers.add(t.text);
    }
    const uses = (text: string) => [...carriers].some((n) => mentions(text, n));
    return (
      writes.some(
        (w) => guardAt(guards, w.start) !== undefined && (uses(w.value) || w.targets.some((t) => uses(t.text))),
      ) ||
      (mod.callsByScope.get(m.id) ?? []).some(
        (c) => guardAt(guards, c.start) !== undefined && c.args.some((a) => uses(a.text)),
      )
    );
  };
  const out: string[] = [];
  for (const counter of bumpedIn(mod, m, (offset) => guardAt(guards, offset) === undefined)) {
    if (guarded(counter)) out.push(counter);
  }
  for (const c of mod.callsByScope.get(m.id) ?? []) {
    const helper = c.receiver === 'self' && c.method?.startsWith('_') ? byName.get(c.method) : undefined;
    const local = c.assignedTo;
    if (!helper || !local || !/^[A-Za-z_]\w*$/.test(local) || guardAt(guards, c.start) || !guarded(local)) continue;
    const own = ownGuardsIn(mod, helper, locks, config);
    const returns = (mod.flowsByScope.get(helper.id) ?? []).filter((f) => f.kind === 'return');
    for (const counter of bumpedIn(mod, helper, (offset) => guardAt(own, offset) === undefined)) {
      if (returns.some((f) => mentions(f.value, counter))) out.push(counter);
    }
  }
  return out;
}

/** The `self.x` a method updates in place (`+=`, `-=`, ...) where `at(offset)` holds. */
function bumpedIn(mod: ModuleIndex, m: Scope, at: (offset: number) => boolean): Set<string> {
  const out = new Set<string>();
  for (const w of mod.writesByScope.get(m.id) ?? []) {
    if (w.op === '=' || w.op === 'del' || !w.op.endsWith('=') || !at(w.start)) continue;
    for (const t of w.targets) if (t.kind === 'attribute' && t.object === 'self') out.add(t.text);
  }
  return out;
}

/**
 * A method's guarded stretches under locks that own instance state: the object's own (`self._lock`) and
 * the module's global ones. A region under another object's lock guards that object.
 */
export function ownGuardsIn(mod: ModuleIndex, m: Scope, locks: LockBinding[], config: Config): Guard[] {
  const moduleLocks = new Set(locks.filter((b) => b.scope === 0).map((b) => b.name));
  return guardsIn(mod, m, locks, config).filter((g) => /^self\.\w+$/.test(g.lock) || moduleLocks.has(g.lock));
}

/**
 * Adds the `self.x` roots that a method's writes, calls and if/loop headers mention where `at(offset)`
 * holds, and returns the names of the methods it calls on `self` there.
 */
function rootsIn(mod: ModuleIndex, m: Scope, at: (offset: number) => boolean, out: Set<string>): string[] {
  const called: string[] = [];
  for (const w of mod.writesByScope.get(m.id) ?? []) {
    if (!at(w.start)) continue;
    for (const t of w.targets) addRoots(t.text, out);
    addRoots(w.value, out);
  }
  for (const c of mod.callsByScope.get(m.id) ?? []) {
    if (!at(c.start)) continue;
    addRoots(c.callee + c.args.map((a) => ` ${a.text}`).join(''), out);
    if (c.receiver === 'self' && c.method) called.push(c.method);
  }
  for (const r of mod.regionsByScope.get(m.id) ?? []) if (at(r.start)) addRoots(r.expr, out);
  return called;
}

/**
 * Is this module a test (pytest's and unittest's conventions), by its dotted name: `test_*`, `*_test`,
 * `conftest`, or a module inside a `test`, `tests` or `testing` package? The name, not the path: the folder
 * a user checks is the import root, so a project's own `test/` folder of sample code is not a package.
 */
export function isTestModule(moduleName: string): boolean {
  return /(^|\.)(tests?|testing)\.|(^|\.)(test_\w*|\w*_test|conftest)$/.test(moduleName);
}

/** Does the module show that it expects threads? */
export function threadAware(mod: ModuleIndex, locks: LockBinding[], spawned: boolean): boolean {
  if (spawned || locks.some((b) => b.mutex)) return true;
  return [...mod.imports.values()].some((q) => /^(threading|_thread|concurrent\.futures|concurrent)(\.|$)/.test(q));
}

function calledFromMain(mod: ModuleIndex, name: string): boolean {
  return mainCallees(mod).has(name);
}

const MAIN_CALLEES: MemoKey<Set<string>> = memoKey('mainCallees');
const MAIN_GUARDS: MemoKey<Set<number>> = memoKey('mainGuards');

/** The ids of a module's `if __name__ == "__main__":` regions, per module and run. */
function mainGuards(mod: ModuleIndex): Set<number> {
  return memo(mod, MAIN_GUARDS, () => {
    const ids = new Set<number>();
    for (const r of mod.model.regions) if (r.kind === 'if' && MAIN_GUARD.test(r.expr)) ids.add(r.id);
    return ids;
  });
}

/** Callee texts of the calls under `if __name__ == "__main__":`, per module and run; most modules have none. */
function mainCallees(mod: ModuleIndex): Set<string> {
  return memo(mod, MAIN_CALLEES, () => findMainCallees(mod));
}

function findMainCallees(mod: ModuleIndex): Set<string> {
  const names = new Set<string>();
  const guards = mainGuards(mod);
  if (guards.size > 0) {
    for (const c of mod.model.calls) if (c.regions.some((id) => guards.has(id))) names.add(c.callee);
  }
  return names;
}

function visit(mod: ModuleIndex, scope: Scope, entry: Entry, selfShared: boolean): Visit {
  return { ref: { mod, scope }, entry, ctx: { sharedParams: new Set(), selfShared, sharedAttrs: new Set() } };
}

export function libraryRoots(
  project: ProjectIndex,
  config: Config,
  sites: Map<ModuleIndex, SpawnSite[]>,
  locksOf: (mod: ModuleIndex) => LockBinding[],
  loop?: LoopThread,
): Visit[] {
  if (config.assumeThreads === 'never') return [];
  const always = config.assumeThreads === 'always';
  const roots: Visit[] = [];
  for (const mod of project.modules) {
    // A test module has no users whose threads call it: its threads are the ones its tests start, which
    // the spawns show. Library mode infers entries for code that others call, so it skips tests.
    if (!always && isTestModule(mod.model.moduleName)) continue;
    const locks = locksOf(mod);
    const modSites = sites.get(mod) ?? [];
    const aware = threadAware(
      mod,
      locks,
      modSites.some((s) => s.runsIn === 'thread'),
    );
    for (const cls of [...mod.classes.values()].flat()) {
      const intent: Intent | undefined = always
        ? { because: `\`${cls.name}\` may be used from several threads (assume-threads = "always")` }
        : loopIntent(mod, cls, locks, config, loop);
      const methods = (mod.children.get(cls.id) ?? []).filter((m) => m.kind === 'function');
      // Class-level state is one per process, like a module global: a singleton's `__new__` and a
      // metaclass's methods run for every construction, in whichever thread constructs. Like public module
      // functions, they report check-then-act and lazy initialisation of that state.
      for (const m of methods) {
        if (m.isAsync || (m.name !== '__new__' && !(isMetaclass(mod, cls) && isPublicMethod(m.name)))) continue;
        const runs =
          m.name === '__new__' || m.name === '__call__'
            ? 'runs for every construction and keeps its state on the class, one per process'
            : 'is a metaclass method, which keeps its state on the class, one per process';
        const because = intent
          ? intent.because
          : aware
            ? `${runs}, in a module that uses threads, so callers' threads may run it at once`
            : `${runs}; under a free-threaded build (3.13t/3.14t) callers' threads can run it at the same time`;
        const entry: Entry = {
          name: `${cls.name}.${m.name}`,
          concurrent: true,
          because,
          only: always ? undefined : MODULE_PATTERNS,
          hint: !always && !intent && !aware,
        };
        roots.push(visit(mod, m, entry, false));
      }
      if (!intent) {
        const single = singletons(project).get(cls);
        if (single && !always) roots.push(...singletonRoots(mod, cls, methods, single, aware));
        continue;
      }
      // Methods every in-class caller locks around are reached from those callers, with the lock held.
      const locked = callerLocks(mod, cls, locks, config);
      for (const m of methods) {
        if (locked.has(m)) continue;
        if (m.kind !== 'function' || !isPublicMethod(m.name)) continue;
        if (!always && lockedByOtherClasses(project, mod, cls, m, locksOf, config)) continue;
        // A coroutine runs on one event loop: between two awaits no other coroutine runs, so its state is
        // the loop's, not the threads'.
        if (m.isAsync) continue;
        // A method the class runs on its own single thread is one thread: its updates race only with
        // other writers of the same state (index.ts racyHits pairs them).
        if (onOwnerThread(intent, m)) {
          const loopVia = intent.loop?.methods.get(m);
          roots.push(
            visit(
              mod,
              m,
              {
                // A confined class's methods are one thread between them: they do not race with each other.
                // Nor do the methods that run only on the event loop's thread.
                name: intent.confined?.owner ?? (loopVia ? intent.loop!.thread.name : `${cls.name}.${m.name}`),
                concurrent: false,
                spawned: true,
                because: loopVia
                  ? `\`${cls.name}.${m.name}\` runs on the event loop thread that \`${intent.loop!.thread.runner}\` starts (the coroutine \`${loopVia}\` calls it), while callers' threads use the other methods of \`${cls.name}\``
                  : intent.because,
                onlyState: intent.onlyState,
                contested: loopVia ? intent.loop!.contested : intent.confined?.contested,
              },
              true,
            ),
          );
          continue;
        }
        // A method the project calls only from one thread's own body, on an object that thread's instance
        // holds (`self.packetizer.start_handshake()` in `Transport.run`), runs on that thread: one writer.
        const body = always ? undefined : singleThreadCaller(project, mod, cls, m, sites);
        if (body) {
          const entry: Entry = {
            name: body,
            concurrent: false,
            spawned: true,
            inferred: true,
            because: `\`${cls.name}.${m.name}\` is called only from \`${body}\`, one thread per instance, while callers' threads use the other methods of \`${cls.name}\``,
            onlyState: intent.onlyState,
          };
          roots.push(visit(mod, m, entry, true));
          continue;
        }
        const entry: Entry = {
          name: `${cls.name}.${m.name}`,
          concurrent: true,
          because: intent.because,
          onlyState: intent.onlyState,
          only: intent.only,
        };
        roots.push(visit(mod, m, entry, true));
      }
    }
    // A function this module hands to its own threads is analysed from those spawns, which say how many
    // copies run; calling it public API as well would contradict them (one writer thread is no race).
    const spawned = new Set<Scope>();
    if (!always) for (const s of modSites) for (const t of s.targets) if (t.mod === mod) spawned.add(t.scope);
    // A module that keeps a lock of its own at module level guards module state against its callers'
    // threads: an update of module state it leaves unguarded is a slip, read-modify-writes included.
    const moduleLock = locks.find((b) => b.mutex && b.scope === 0)?.name;
    for (const fn of mod.children.get(0) ?? []) {
      if (fn.kind !== 'function' || fn.name.startsWith('_') || fn.name === 'main' || calledFromMain(mod, fn.name))
        continue;
      if (fn.isAsync) continue;
      if (spawned.has(fn)) continue;
      const because = always
        ? 'is public API that may be called from several threads (assume-threads = "always")'
        : moduleLock
          ? `is public API of a module that keeps the lock \`${moduleLock}\` for its state, so callers' threads may run it at once`
          : aware
            ? `is public API of a module that uses threads, so callers' threads may run it at once`
            : "is public API; under a free-threaded build (3.13t/3.14t) callers' threads can run it at the same time";
      const entry: Entry = {
        name: fn.name,
        concurrent: true,
        because,
        only: always || moduleLock ? undefined : MODULE_PATTERNS,
        hint: !always && !aware,
      };
      roots.push(visit(mod, fn, entry, false));
      // `@memoize(256) def region_for(ip)`: every call runs the decorator's wrapper first, whose cells (or
      // decorator object) all callers share.
      for (const wrapper of decoratorWrappers(project, { mod, scope: fn })) {
        if (wrapper.mod !== mod) continue;
        const root = visit(mod, wrapper.scope, entry, decoratorObject(wrapper));
        roots.push({ ...root, ctx: { ...root.ctx, wrapperCells: true } });
      }
    }
  }
  return roots;
}

/** A module-level instance of a project class: `channel_layer = ChannelLayer()`. */
export interface Singleton {
  mod: ModuleIndex;
  name: string;
}

const LIFECYCLE =
  /^(start|stop|run|close|shutdown|setup|teardown|serve_forever|main|exit|restart|graceful|block|wait)$/;

const SINGLETONS: MemoKey<Map<Scope, Singleton>> = memoKey('singletons');

/**
 * The project's classes that a module makes one instance of at import time and keeps in a global
 * (`statsd = DogStatsd()`): that one instance is what every importer uses, so it is as shared as the
 * module's globals. Test modules and instances made under `if __name__ == "__main__":` are left out, as
 * are Thread subclasses (their own analysis follows them) and classes made in several places.
 */
export function singletons(project: ProjectIndex): Map<Scope, Singleton> {
  return memo(project, SINGLETONS, () => {
    const out = new Map<Scope, Singleton>();
    const made = new Map<Scope, number>();
    for (const mod of project.modules) {
      if (isTestModule(mod.model.moduleName)) continue;
      const mains = mainGuards(mod);
      for (const w of mod.writesByScope.get(0) ?? []) {
        const t = w.targets[0];
        if (w.op !== '=' || w.targets.length !== 1 || t.kind !== 'identifier' || !w.valueCallee) continue;
        if (w.regions.some((id) => mains.has(id))) continue;
        // An upper-case global (`EMPTY = Content()`, `NULL_STYLE = Style()`) is a constant value that
        // code reads, not a service that callers' threads drive.
        if (/^_*[A-Z][A-Z0-9_]*$/.test(t.text)) continue;
        const ref = classAcross(mod, w.valueCallee);
        if (!ref || isThreadClass(ref.mod, ref.cls)) continue;
        made.set(ref.cls, (made.get(ref.cls) ?? 0) + 1);
        out.set(ref.cls, { mod, name: t.text });
      }
    }
    for (const [cls, n] of made) if (n > 1) out.delete(cls);
    return out;
  });
}

/** How a singleton was made, as a clause: "`meter = Meter()` is one instance made at import time in `m`". */
export function singletonMade(single: Singleton, cls: Scope): string {
  return `\`${single.name} = ${cls.name}()\` is one instance made at import time in \`${single.mod.model.moduleName}\``;
}

/**
 * The public methods of a module singleton's class as entries for callers' threads: like public module
 * functions, they report check-then-act and lazy initialisation of the instance's state, as warnings when
 * the module uses threads and otherwise as free-threading hints.
 */
function singletonRoots(mod: ModuleIndex, cls: Scope, methods: Scope[], single: Singleton, aware: boolean): Visit[] {
  const made = `${singletonMade(single, cls)} and shared by every importer`;
  const because = aware
    ? `${made}, in a module that uses threads, so callers' threads may run its methods at once`
    : `${made}; under a free-threaded build (3.13t/3.14t) callers' threads can run its methods at the same time`;
  const roots: Visit[] = [];
  for (const m of methods) {
    // Starting and stopping the one instance is its owner's job, done once, not its callers'. Special
    // methods (`__missing__`, `__getitem__`) are the protocol of a value the module built, mostly a table.
    if (m.isAsync || !isPublicMethod(m.name) || m.name.startsWith('__') || LIFECYCLE.test(m.name)) continue;
    const entry: Entry = {
      name: `${cls.name}.${m.name}`,
      concurrent: true,
      because,
      only: MODULE_PATTERNS,
      hint: !aware,
    };
    roots.push(visit(mod, m, entry, true));
  }
  return roots;
}

const CALLED_ON_SELF: MemoKey<Map<number, Set<string>>> = memoKey('calledOnSelf');

/** The names of the methods a class's methods call on `self`, per class and run. */
function calledOnSelf(mod: ModuleIndex, cls: Scope): Set<string> {
  const perClass = memo(mod, CALLED_ON_SELF, () => new Map());
  let names = perClass.get(cls.id);
  if (!names) {
    names = new Set();
    for (const m of mod.children.get(cls.id) ?? [])
      for (const c of mod.callsByScope.get(m.id) ?? []) if (c.receiver === 'self' && c.method) names.add(c.method);
    perClass.set(cls.id, names);
  }
  return names;
}

/**
 * The one thread body that calls a public method, when the project calls it only from there: every call
 * site of its name whose receiver holds an instance of the class is in the `run` of a Thread subclass, or
 * in the target of a spawn that starts one thread, on an attribute of that thread's own instance
 * (`self.packetizer`), and the class never calls it on itself. Each such thread owns its object, so the
 * method has one caller thread per object. Undefined when any site is elsewhere or none is known.
 */
function singleThreadCaller(
  project: ProjectIndex,
  mod: ModuleIndex,
  cls: Scope,
  m: Scope,
  sites: Map<ModuleIndex, SpawnSite[]>,
): string | undefined {
  if (calledOnSelf(mod, cls).has(m.name)) return undefined;
  // The thread body a site is in, if it is one: asked first, since most methods have no such site and
  // then no receiver needs placing.
  const bodyOf = (at: ModuleIndex, scope: Scope): string | undefined => {
    const owner = at.model.scopes[scope.parent];
    if (owner?.kind !== 'class') return undefined;
    const threadRun = scope.name === 'run' && isThreadClass(at, owner);
    const oneThread =
      !threadRun &&
      (sites.get(at) ?? []).some(
        (s) => s.runsIn === 'thread' && !s.concurrent && s.targets.some((t) => t.scope === scope),
      );
    return threadRun || oneThread ? `${owner.name}.${scope.name}` : undefined;
  };
  const calls = receiverCallsNamed(project, m.name);
  const inBody = ({ mod: at, call, scope }: ReceiverCall) =>
    /^self\.\w+$/.test(call.receiver!) && bodyOf(at, scope) !== undefined;
  if (!calls.some(inBody)) return undefined;
  let body: string | undefined;
  for (const site of calls) {
    if (holderOf(project, site) !== cls) continue;
    if (!/^self\.\w+$/.test(site.call.receiver!)) return undefined;
    const name = bodyOf(site.mod, site.scope);
    if (!name) return undefined;
    if (body && body !== name) return undefined;
    body = name;
  }
  return body;
}

/**
 * Is a public method called only under a lock by the rest of the project? Its call sites are the calls of
 * its name whose receiver is known to hold an instance of the class (origins.ts instanceClass:
 * `self._session_pool.reset()` where `__init__` bound `self._session_pool = _ServerSessionPool()`), and
 * calls on `self` in the class. It counts as locked when there is at least one outside site, every one
 * holds a lock there (the caller's own, as locks.ts sees it) or runs in a forked child, and every in-class
 * call is locked too (callerLocks). Sites on receivers the engine cannot place are not counted: they may
 * be other classes' methods of the same name, and an unknown receiver is no evidence either way.
 */
function lockedByOtherClasses(
  project: ProjectIndex,
  mod: ModuleIndex,
  cls: Scope,
  m: Scope,
  locksOf: (mod: ModuleIndex) => LockBinding[],
  config: Config,
): boolean {
  // In-class calls that every caller locks were answered by callerLocks before this is asked.
  if (calledOnSelf(mod, cls).has(m.name)) return false;
  let sites = 0;
  for (const site of receiverCallsNamed(project, m.name)) {
    if (holderOf(project, site) !== cls) continue;
    const { mod: at, call, scope } = site;
    sites++;
    const held = guardAt(guardsIn(at, scope, locksOf(at), config), call.start) !== undefined;
    if (!held && !inForkedChild(project, at, scope)) return false;
  }
  return sites > 0;
}

interface ReceiverCall {
  mod: ModuleIndex;
  call: Call;
  /** The function the call is made in. */
  scope: Scope;
  /** The class the receiver is an instance of (null: unknown), once holderOf has placed it. */
  holder?: Scope | null;
}

const RECEIVER_CALLS: MemoKey<Map<string, ReceiverCall[]>> = memoKey('receiverCallsByName');

/** The calls of a method name on another object (not `self`, not a call's result), made in a function. */
function receiverCallsNamed(project: ProjectIndex, name: string): ReceiverCall[] {
  const byName = memo(project, RECEIVER_CALLS, () => new Map());
  let found = byName.get(name);
  if (found === undefined) {
    found = [];
    for (const { mod, call } of callsNamed(project, name)) {
      if (!call.receiver || call.receiver === 'self' || call.receiverKind === 'call') continue;
      const scope = mod.model.scopes[call.scope];
      if (scope.kind === 'function') found.push({ mod, call, scope });
    }
    byName.set(name, found);
  }
  return found;
}

/**
 * The class a call's receiver holds an instance of. Several classes may define a method of one name
 * (`get`, `close`), and each asks about the same calls: each receiver is placed once per run, when first
 * asked.
 */
function holderOf(project: ProjectIndex, site: ReceiverCall): Scope | undefined {
  if (site.holder === undefined)
    site.holder = instanceClass(project, site.mod, site.scope, site.call.receiver!)?.cls ?? null;
  return site.holder ?? undefined;
}

const CALLS_BY_NAME: MemoKey<Map<string, { mod: ModuleIndex; call: Call }[]>> = memoKey('callsByName');

/** The project's method calls by method name, made once per run when library mode first asks. */
export function callsNamed(project: ProjectIndex, name: string): { mod: ModuleIndex; call: Call }[] {
  const index = memo(project, CALLS_BY_NAME, () => {
    const byName = new Map<string, { mod: ModuleIndex; call: Call }[]>();
    for (const mod of project.modules) {
      for (const call of mod.model.calls) {
        if (!call.method) continue;
        const list = byName.get(call.method) ?? [];
        list.push({ mod, call });
        byName.set(call.method, list);
      }
    }
    return exactLists(byName);
  });
  return index.get(name) ?? [];
}

/**
 * Does a function run only in a forked child, where the forking thread is the only one? It is registered
 * as an after-fork hook (`os.register_at_fork(after_in_child=f)`), or it is a private method every call of
 * whose name in the project is made from such a hook (`_after_fork_child()` calls `client._after_fork()`).
 */
export function inForkedChild(project: ProjectIndex, mod: ModuleIndex, scope: Scope): boolean {
  if (afterForkHooks(mod).has(scope.name)) return true;
  if (!scope.name.startsWith('_') || scope.name.startsWith('__')) return false;
  const calls = callsNamed(project, scope.name);
  return (
    calls.length > 0 &&
    calls.every(({ mod: at, call }) => {
      const caller = at.model.scopes[call.scope];
      return caller.kind === 'function' && afterForkHooks(at).has(caller.name);
    })
  );
}

export { lockBindings };
