/**
 * Rule `shared-mutation`, iteration while another method mutates: in a class
 * meant for concurrent use, a public method that iterates over `self.x`
 * without the lock, while another method adds to or removes from it, can fail
 * with "changed size during iteration" or see a half-updated container. So can
 * a loop on the class's own thread while callers change the container, and any
 * method's unguarded loop over a container the class changes under its lock:
 * the author guards the changes, so the loop that skips the lock is the slip
 * (RacerD's rule). The fix is to iterate over a copy taken under the lock.
 */
import type { Region, Scope, Span } from '../../../model/types';
import { MUTATING_METHODS, PROCESS_REGISTRIES } from '../../knowledge';
import { afterForkHooks, callerLocks, type Guard, guardAt, guardsIn, type LockBinding } from '../../locks';
import {
  type ClassRef,
  classAcross,
  instanceClass,
  isThreadClass,
  originOf,
  selfAttrBindings,
  valueCalleeOf,
} from '../../origins';
import { bindingInChain, enclosingClass, type ModuleIndex, mentions, methodOf } from '../../resolve';
import type { Config, Finding } from '../../types';
import { isConstruction, isPublicMethod, loopIntent, onOwnerThread, ownGuardsIn, ownLock } from './library';
import { type LoopThread, onCallersThread } from './loopThread';
import { closedAfter } from './teardown';

const ITERATED = /^(self\.\w+)(\.(items|values|keys)\(\))?$/;

/**
 * Methods reached from `from` through calls on `self` (construction-only helpers excepted): what callers
 * reach from the public methods, or what the class's own thread reaches from its target.
 */
export function reachedFrom(mod: ModuleIndex, methods: Scope[], from: Scope[]): Scope[] {
  const byName = new Map(methods.map((m) => [m.name, m]));
  const reached = new Set(from);
  const queue = [...reached];
  while (queue.length > 0) {
    const m = queue.pop()!;
    for (const call of mod.callsByScope.get(m.id) ?? []) {
      const callee = call.receiver === 'self' && call.method ? byName.get(call.method) : undefined;
      if (callee && !reached.has(callee) && callee.name !== '__init__') {
        reached.add(callee);
        queue.push(callee);
      }
    }
  }
  return [...reached];
}

function mutatorsOf(mod: ModuleIndex, methods: Scope[], attr: string, except: number): Scope | undefined {
  return methods.find((m) => m.id !== except && mutatesAt(mod, m, attr, () => true));
}

/** How a change to a container is looked for (mutatesAt). */
interface ChangeLookup {
  /** A defaultdict adds the key a subscript reads: `self.d[k][j] = v` and `self.d[k].append(v)` add `k`. */
  insertsOnRead?: boolean;
  /** Other names of the same state: properties that hand it back (`self.metrics` for `self._metrics`). */
  aliases?: string[];
  /**
   * Only removals (a list's remove, pop(i), clear, `del l[i]`): a loop over a list raises nothing, but skips
   * an item when one before its position goes, so a listener misses its event. An insertion before the
   * position makes the loop visit an item twice, duplicated work like a benign race's; an append lands
   * after it and replacing an item moves nothing.
   */
  removals?: boolean;
}

/** List changes that remove items. */
const REMOVING_METHODS = new Set(['remove', 'pop', 'clear']);

/** Does the method add to or remove from `attr` at an offset where `at` holds? */
function mutatesAt(
  mod: ModuleIndex,
  m: Scope,
  attr: string,
  at: (offset: number) => boolean,
  how: ChangeLookup = {},
): boolean {
  const names = [attr, ...(how.aliases ?? [])];
  const methods = how.removals ? REMOVING_METHODS : MUTATING_METHODS;
  const entry = (text: string | undefined) =>
    !!how.insertsOnRead && !!text && names.some((n) => text.startsWith(`${n}[`));
  return (
    (mod.callsByScope.get(m.id) ?? []).some(
      (c) =>
        at(c.start) &&
        ((!!c.receiver &&
          names.includes(c.receiver) &&
          !!c.method &&
          methods.has(c.method) &&
          // `pop()` takes the last item, behind the loop's position: nothing moves.
          !(how.removals && c.method === 'pop' && c.args.length === 0)) ||
          entry(c.receiver)),
    ) ||
    (mod.writesByScope.get(m.id) ?? []).some(
      (w) =>
        at(w.start) &&
        (!how.removals || w.op === 'del') &&
        w.targets.some((t) => t.kind === 'subscript' && ((!!t.object && names.includes(t.object)) || entry(t.object))),
    )
  );
}

/** Is `attr` (`self.x`) bound only to `collections.defaultdict(...)` in the class's methods? */
function isDefaultDict(mod: ModuleIndex, cls: Scope, attr: string): boolean {
  const writes = selfAttrBindings(mod, cls, attr);
  return writes.length > 0 && writes.every((w) => valueCalleeOf(mod, w) === 'collections.defaultdict');
}

/**
 * A method that registers a callable it is given in the list `attr`, under one of its locks, before
 * testing anything (no `if` around the append, no `return` before it), and also calls that callable
 * itself: the callbacks of a future, registered whatever state the future is in and run at once when it
 * has completed. A loop that runs the list outside the lock after the completion can then run a callback
 * that its registration runs too, or miss one. A registration that first checks a flag under the lock
 * (`if self._done: return`, concurrent.futures' shape) stops the appends before such a loop runs, and a
 * list whose writer never runs what it adds is only read by the loop, which moves on.
 */
function unconditionalAppender(
  mod: ModuleIndex,
  methods: Scope[],
  attr: string,
  except: number,
  guardsOf: (m: Scope) => Guard[],
): Scope | undefined {
  return lockingMethod(methods, except, guardsOf, (m, guards) => {
    const returns = (mod.flowsByScope.get(m.id) ?? []).filter((f) => f.kind === 'return');
    const calls = mod.callsByScope.get(m.id) ?? [];
    // The parameters this method calls: the callables it runs itself.
    const runs = new Set(
      calls
        .filter((c) => c.calleeKind === 'identifier' && m.params.some((p) => p.name === c.callee))
        .map((c) => c.callee),
    );
    if (runs.size === 0) return false;
    return calls.some(
      (c) =>
        c.receiver === attr &&
        (c.method === 'append' || c.method === 'insert') &&
        c.args.some((a) => [...runs].some((p) => mentions(a.text, p))) &&
        guardAt(guards, c.start) !== undefined &&
        !c.regions.some((id) => mod.model.regions[id].kind === 'if') &&
        !returns.some((f) => f.start < c.start),
    );
  });
}

/**
 * The first method (construction aside) that changes `attr` while holding one of the object's own locks
 * or a module lock; a lock of another object guards that object.
 */
function lockedMutator(
  mod: ModuleIndex,
  methods: Scope[],
  attr: string,
  except: number,
  guardsOf: (m: Scope) => Guard[],
): Scope | undefined {
  return lockingMethod(methods, except, guardsOf, (m, guards) =>
    mutatesAt(mod, m, attr, (offset) => guardAt(guards, offset) !== undefined),
  );
}

/** The first method, other than `except` and construction, that takes a lock somewhere and passes `test`. */
function lockingMethod(
  methods: Scope[],
  except: number,
  guardsOf: (m: Scope) => Guard[],
  test: (m: Scope, guards: Guard[]) => boolean,
): Scope | undefined {
  return methods.find((m) => {
    if (m.id === except || isConstruction(m.name)) return false;
    const guards = guardsOf(m);
    return guards.length > 0 && test(m, guards);
  });
}

type ContainerKind = 'dictionary' | 'set' | 'deque' | 'list';

const SIZED_CALLS: Map<string, ContainerKind> = new Map([
  ['dict', 'dictionary'],
  ['collections.defaultdict', 'dictionary'],
  ['collections.OrderedDict', 'dictionary'],
  ['collections.Counter', 'dictionary'],
  ['weakref.WeakValueDictionary', 'dictionary'],
  ['weakref.WeakKeyDictionary', 'dictionary'],
  ['set', 'set'],
  ['weakref.WeakSet', 'set'],
  ['collections.deque', 'deque'],
  ['list', 'list'],
]);

const MADE_BY_KIND: Record<string, ContainerKind> = {
  dictionary: 'dictionary',
  dictionary_comprehension: 'dictionary',
  set: 'set',
  set_comprehension: 'set',
  list: 'list',
  list_comprehension: 'list',
};

/**
 * What every binding of `self.x` in the class makes, when that is a dict, a set, a deque or a list. The
 * first three fail when changed under a running loop. A list just moves on: it is reported only where
 * another method appends to it under the lock unconditionally (unconditionalAppender).
 */
function containerKind(mod: ModuleIndex, cls: Scope, attr: string): ContainerKind | undefined {
  const writes = selfAttrBindings(mod, cls, attr);
  let kind: ContainerKind | undefined;
  for (const w of writes) {
    const made = w.valueKind === 'call' ? SIZED_CALLS.get(valueCalleeOf(mod, w) ?? '') : MADE_BY_KIND[w.valueKind];
    if (!made || (kind && kind !== made)) return undefined;
    kind = made;
  }
  return kind;
}

/** A new empty container: `[]`, `{}`, `set()`, `dict()`, `list()`, `deque()`. */
const EMPTY_CONTAINER = /^(\[\]|\{\}|(set|dict|list|(collections\.)?deque|(collections\.)?OrderedDict)\(\))$/;

/**
 * Is the last store to `state` in `m` before `offset` a new empty container (`self._trash = set()`)? A loop
 * there walks the container just made, not the one other methods filled: at most what another thread
 * added in between, which is a different defect (the loop meant the old container) from a race.
 */
function justEmptied(mod: ModuleIndex, m: Scope, state: string, offset: number): boolean {
  let last: { start: number; value: string } | undefined;
  for (const w of mod.writesByScope.get(m.id) ?? []) {
    if (w.start >= offset || !w.targets.some((t) => t.text === state)) continue;
    if (!last || w.start > last.start) last = { start: w.start, value: w.value.replace(/\s+/g, '') };
  }
  return !!last && EMPTY_CONTAINER.test(last.value);
}

/**
 * Does the method start a thread after `offset`: `start()` on a receiver made by `threading.Thread` or
 * `Timer`, or by a Thread subclass of the analysed files (`self._thread = Worker(...)`)?
 */
function startsLater(mod: ModuleIndex, m: Scope, offset: number): boolean {
  return (mod.callsByScope.get(m.id) ?? []).some((c) => {
    if (c.start < offset || c.method !== 'start' || !c.receiver) return false;
    const origin = originOf(mod, m.id, c.receiver);
    if (origin === 'threading.Thread' || origin === 'threading.Timer') return true;
    const made = origin ? classAcross(mod, origin) : undefined;
    return !!made && isThreadClass(made.mod, made.cls);
  });
}

/**
 * Where a loop is shown: the rest of the line that names its iterable. A comprehension spread over lines
 * (`fnames = [f(m)\n for m in sys.modules.values()\n if ...]`) is shown at its `for` clause, not its opening
 * bracket; a one-line loop from its start.
 */
function loopSpan(mod: ModuleIndex, r: Region): Span {
  const lines = mod.model.lines;
  let line = r.span.line;
  let col = r.span.col;
  for (let l = r.span.line; r.kind === 'comprehension' && l <= r.span.line + 20 && l < lines.length; l++) {
    const at = lines[l].indexOf(` in ${r.expr}`);
    if (at < 0) continue;
    if (l !== r.span.line) {
      line = l;
      col = lines[l].length - lines[l].trimStart().length;
    }
    break;
  }
  return restOfLine(lines, line, col);
}

/** From `line`:`col` to the end of that line: how this rule's findings on one statement are shown. */
export function restOfLine(lines: string[], line: number, col: number): Span {
  return { line, col, endLine: line, endCol: lines[line].length };
}

export function iterationRaces(mod: ModuleIndex, locks: LockBinding[], config: Config, loop?: LoopThread): Finding[] {
  if (config.assumeThreads === 'never') return [];
  const findings: Finding[] = [];
  // A hook that runs in a forked child runs where only one thread survived.
  const forkHooks = afterForkHooks(mod);
  for (const cls of [...mod.classes.values()].flat()) {
    const found = config.assumeThreads === 'always' ? undefined : loopIntent(mod, cls, locks, config, loop);
    const intent = config.assumeThreads === 'always' ? 'assume-threads = "always"' : found?.because;
    // Evidence that reports only some kinds of race (per-thread state) does not cover iteration.
    if (!intent || found?.only) continue;
    const methods = (mod.children.get(cls.id) ?? []).filter((m) => m.kind === 'function');
    const own = methods.filter((m) => onOwnerThread(found, m));
    const api = reachedFrom(
      mod,
      methods,
      methods.filter((m) => isPublicMethod(m.name) && !onOwnerThread(found, m)),
    );
    // What the class's own thread runs: its loops race with every caller-reached method that changes the
    // container, whatever the thread itself writes.
    const ownThread = new Set(reachedFrom(mod, methods, own).filter((m) => !api.includes(m)));
    // The event loop's thread races only with what methods known to run on callers' threads change: a
    // public method whose thread is unknown (a callback the loop may run) is no rival of its loops.
    const loopSide = found?.loop
      ? new Set(reachedFrom(mod, methods, [...found.loop.methods.keys()]).filter((m) => !api.includes(m)))
      : undefined;
    const callersApi = found?.loop ? reachedFrom(mod, methods, [...found.loop.callers]) : api;
    const lock = ownLock(mod, cls, locks)?.name;
    const ownGuards = (m: Scope) => ownGuardsIn(mod, m, locks, config);
    // Helpers every in-class caller runs under the lock are guarded where they are called.
    const lockedByCallers = lock ? callerLocks(mod, cls, locks, config) : undefined;
    for (const m of methods) {
      const onOwnThread = ownThread.has(m);
      const byCallers = isPublicMethod(m.name) && !m.isAsync && !onOwnerThread(found, m);
      // Any other method's loop is checked against the changes the class makes under its lock.
      // A confined class's lock is taken by the owner and its thread-safe methods alike; only the latter race.
      const underLockRule =
        !!lock && !found?.confined && !isConstruction(m.name) && !m.isAsync && !lockedByCallers?.has(m);
      if ((!onOwnThread && !byCallers && !underLockRule) || forkHooks.has(m.name)) continue;
      const guards = guardsIn(mod, m, locks, config);
      // A teardown's loops after it marked the object closed under the lock run on a closed object.
      const closed = closedAfter(mod, m, guards);
      for (const r of mod.regionsByScope.get(m.id) ?? []) {
        if (r.kind !== 'for' && r.kind !== 'comprehension') continue;
        const match = ITERATED.exec(r.expr);
        if (!match || guardAt(guards, r.start) || (closed && r.start >= closed.at && closed.covers(match[1]))) continue;
        // A loop that ends before this method starts the class's thread happens before the thread runs.
        if (!onOwnThread && startsLater(mod, m, r.end)) continue;
        // A loop over a container this method has just replaced with an empty one walks that new container.
        if (justEmptied(mod, m, match[1], r.start)) continue;
        const kind = containerKind(mod, cls, match[1]);
        if (!kind) continue;
        // Callers' loops race with the other callers and with the own thread; the own thread's with callers.
        // The own thread reads the container, so it is shared with callers whatever the intent's state is.
        const inState = onOwnThread || !found?.onlyState || found.onlyState.has(match[1]);
        // The methods of the other side: callers' methods for the own thread's loops, and both for callers'.
        let others: Scope[] = [];
        if (inState && onOwnThread) others = loopSide?.has(m) ? callersApi : api;
        else if (inState && byCallers) others = [...api, ...ownThread];
        const writer = mutatorsOf(mod, others, match[1], m.id);
        if (kind === 'list') {
          // A list is reported against an append under the lock that nothing gates, and against a method
          // of the other side that removes items (mutatesAt `removals`), which makes the loop skip one.
          const appender = underLockRule ? unconditionalAppender(mod, methods, match[1], m.id, ownGuards) : undefined;
          if (appender) {
            findings.push(listFinding(mod, r, cls, m, match[1], appender, lock!, intent));
            continue;
          }
          const remover = others.find(
            (w) => w.id !== m.id && mutatesAt(mod, w, match[1], () => true, { removals: true }),
          );
          if (!remover) continue;
          const copy = lock ? `with ${lock}: snapshot = list(${r.expr})` : `snapshot = list(${r.expr})`;
          findings.push({
            rule: 'shared-mutation',
            severity: 'warning',
            span: loopSpan(mod, r),
            message: `\`${cls.name}.${m.name}\` iterates \`${match[1]}\`${lock ? ` without \`${lock}\`` : ''} while \`${remover.name}\` removes items from it (${intent}); the loop raises nothing, but skips an item when one before its position is removed. Iterate over a copy taken under the lock (\`${copy}\`).`,
            fixes: [],
            data: { state: match[1], lock },
          });
          continue;
        }
        const lockedWriter =
          writer || !underLockRule ? undefined : lockedMutator(mod, methods, match[1], m.id, ownGuards);
        if (!writer && !lockedWriter) continue;
        const copy = lock ? `with ${lock}: snapshot = list(${r.expr})` : `snapshot = list(${r.expr})`;
        const failure = kind === 'deque' ? 'deque mutated during iteration' : `${kind} changed size during iteration`;
        const changes = writer
          ? `while \`${writer.name}\` changes it (${intent})`
          : `while \`${lockedWriter!.name}\` changes it under the lock (${intent})`;
        findings.push({
          rule: 'shared-mutation',
          severity: 'warning',
          span: loopSpan(mod, r),
          message: `\`${cls.name}.${m.name}\` iterates \`${match[1]}\`${lock ? ` without \`${lock}\`` : ''} ${changes}; the loop can fail with "${failure}". Iterate over a copy taken under the lock (\`${copy}\`).`,
          fixes: [],
          data: { state: match[1], lock },
        });
      }
    }
  }
  return findings;
}

/** A spawned thread: its display name, and whether copies of it run at once. */
type Thread = { name: string; concurrent: boolean };

/** The spawned threads that run a function of a module. */
export type SpawnedOn = (mod: ModuleIndex, scope: Scope) => Thread[];

/** `self.x`, `client.auth_data`, `self._conn.pending`, optionally through `.items()`/`.values()`/`.keys()`. */
const CHAIN_ITERATED = /^([A-Za-z_][\w.]*)\.(\w+)(\.(items|values|keys)\(\))?$/;

/**
 * Wrappers that walk the container they are given without copying it: `six.iteritems(self.x)` is
 * `self.x.items()`, `enumerate(self.x)` and `iter(self.x)` walk `self.x` itself.
 */
const NO_COPY_WRAPPER = /^(?:six\.iter(?:items|values|keys)|enumerate|iter)\(([A-Za-z_][\w.]*)\)$/;

/** The chain a loop walks, with wrappers that do not copy taken off. */
function iteratedChain(expr: string): RegExpExecArray | null {
  const compact = expr.replace(/\s+/g, '');
  const inner = NO_COPY_WRAPPER.exec(compact)?.[1];
  return CHAIN_ITERATED.exec(inner ?? compact);
}

/**
 * The attribute a property of the class hands back (`@property def metrics(self): return self._metrics`),
 * so a loop over `obj.metrics` walks `obj._metrics`; other names stay as they are.
 */
function throughProperty(owner: ClassRef, attr: string): string {
  const m = methodOf(owner.mod, owner.cls, attr);
  return (m && propertyHolds(owner.mod, m)) ?? attr;
}

/** The attribute a property hands back when its one return is `self.<name>`. */
function propertyHolds(mod: ModuleIndex, m: Scope): string | undefined {
  if (m.kind !== 'function' || !m.decorators.some((d) => /(^|\.)property$/.test(d))) return undefined;
  const returns = (mod.flowsByScope.get(m.id) ?? []).filter((f) => f.kind === 'return');
  return returns.length === 1 ? /^self\.(\w+)$/.exec(returns[0].value.trim())?.[1] : undefined;
}

/** The properties of the class that hand back `self.<attr>`, as `self.<property>` texts. */
function propertyAliases(owner: ClassRef, attr: string): string[] {
  return (owner.mod.children.get(owner.cls.id) ?? [])
    .filter((m) => propertyHolds(owner.mod, m) === attr)
    .map((m) => `self.${m.name}`);
}

/**
 * Is every instance of the class a local of the function that made it, never handed on? Then each thread
 * works on instances of its own (`sink = Sink(sock)` in two thread targets makes two sinks), and one
 * thread's loop cannot meet another's change. An instance is handed on when the local is passed to a
 * call, stored, returned or yielded, or when the class's methods pass or store `self` or a bound method.
 */
function confinedInstances(owner: ClassRef): boolean {
  const project = owner.mod.project;
  if (!project) return false;
  for (const m of owner.mod.children.get(owner.cls.id) ?? []) {
    for (const c of owner.mod.callsByScope.get(m.id) ?? []) {
      if (c.args.some((a) => a.text === 'self' || /^self\.\w+$/.test(a.text))) return false;
    }
    for (const w of owner.mod.writesByScope.get(m.id) ?? []) if (w.value.trim() === 'self') return false;
  }
  let made = 0;
  for (const mod of project.modules) {
    if (!mod.model.calls.some((c) => c.callee.endsWith(owner.cls.name))) continue;
    for (const call of mod.model.calls) {
      if (call.calleeKind !== 'identifier' && call.calleeKind !== 'attribute') continue;
      if (!call.callee.endsWith(owner.cls.name) || classAcross(mod, call.callee)?.cls !== owner.cls) continue;
      made++;
      const scope = mod.model.scopes[call.scope];
      const local = call.assignedTo;
      if (scope.kind !== 'function' || !local || !/^[A-Za-z_]\w*$/.test(local)) return false;
      if ((mod.callsByScope.get(scope.id) ?? []).some((c) => c.args.some((a) => mentions(a.text, local)))) return false;
      if ((mod.writesByScope.get(scope.id) ?? []).some((w) => w.start !== call.start && mentions(w.value, local)))
        return false;
      if ((mod.flowsByScope.get(scope.id) ?? []).some((f) => mentions(f.value, local))) return false;
      // A nested function could keep the local alive past the call.
      if ((mod.children.get(scope.id) ?? []).some((c) => c.kind === 'function' || c.kind === 'lambda')) return false;
    }
  }
  return made > 0;
}

/** The callers' threads of a public function or method, which no spawned thread reaches. */
const CALLERS: Thread = { name: '', concurrent: false };

/**
 * Loops over a dict, set or deque that an object keeps in an attribute, on one thread, while a method of
 * that object's class changes it on another, where at least one of the two is a spawned thread that the
 * walk saw (a target, a scheduler's task, a method such a thread reaches through the objects it holds).
 * Unlike iterationRaces, the class need show no intent of its own. The loop may be in the class itself
 * (`self.x`) or in code holding the object (`client.auth_data`, placed by instanceClass). A loop runs on
 * the threads that reach it, or, in a public function or method no spawned thread reaches, on its
 * callers' threads; so does a change. Loops under a lock, loops before their function starts the thread,
 * loops over a container just replaced and construction are left out, as in iterationRaces.
 */
export function spawnedWriterIterations(
  mod: ModuleIndex,
  spawnedOn: SpawnedOn,
  locksOf: (mod: ModuleIndex) => LockBinding[],
  config: Config,
  /** Lines where iterationRaces already reported a loop. */
  reported: Set<number>,
  loop?: LoopThread,
): Finding[] {
  if (config.assumeThreads === 'never') return [];
  // The event loop's thread races only with methods known to run on callers' threads: a public method whose
  // thread is unknown (a callback the loop may run) is no rival, on either side of the pair.
  const rivals = (looping: Thread, thread: Thread, writer: { mod: ModuleIndex; m: Scope }, looper: Scope) => {
    if (!loop) return true;
    if (looping.name === loop.name && thread === CALLERS) return onCallersThread(loop, writer.mod, writer.m);
    if (thread.name === loop.name && looping === CALLERS) return onCallersThread(loop, mod, looper);
    return true;
  };
  const findings: Finding[] = [];
  const writersByClass = new Map<Scope, { m: Scope; on: Thread[] }[]>();
  const writersOf = (owner: ClassRef) => {
    let list = writersByClass.get(owner.cls);
    if (!list) {
      list = (owner.mod.children.get(owner.cls.id) ?? [])
        .filter((m) => m.kind === 'function' && !m.isAsync && !isConstruction(m.name))
        .map((m) => {
          const on = spawnedOn(owner.mod, m);
          return { m, on: on.length > 0 ? on : isPublicMethod(m.name) ? [CALLERS] : [] };
        })
        .filter((t) => t.on.length > 0);
      writersByClass.set(owner.cls, list);
    }
    return list;
  };
  for (const scope of mod.model.scopes) {
    if (scope.kind !== 'function' || scope.isAsync || isConstruction(scope.name)) continue;
    const loops = (mod.regionsByScope.get(scope.id) ?? []).filter(
      (r) => (r.kind === 'for' || r.kind === 'comprehension') && iteratedChain(r.expr) !== null,
    );
    if (loops.length === 0) continue;
    const parent = mod.model.scopes[scope.parent];
    const own = spawnedOn(mod, scope);
    const isPublic = parent?.kind === 'class' ? isPublicMethod(scope.name) : !scope.name.startsWith('_');
    const loopThreads = own.length > 0 ? own : isPublic && parent?.kind !== 'function' ? [CALLERS] : [];
    if (loopThreads.length === 0) continue;
    const guards = guardsIn(mod, scope, locksOf(mod), config);
    for (const r of loops) {
      const [, object, written] = iteratedChain(r.expr)!;
      if (guardAt(guards, r.start)) continue;
      const owner: ClassRef | undefined =
        object === 'self'
          ? parent?.kind === 'class'
            ? { mod, cls: parent }
            : undefined
          : mod.project && /^[\w.]+$/.test(object)
            ? instanceClass(mod.project, mod, scope, object)
            : undefined;
      if (!owner) continue;
      const attr = throughProperty(owner, written);
      const state = `self.${attr}`;
      const kind = containerKind(owner.mod, owner.cls, state);
      if (!kind || justEmptied(mod, scope, `${object}.${written}`, r.start)) continue;
      if (own.length === 0 && startsLater(mod, scope, r.end)) continue;
      const inserts = kind === 'dictionary' && isDefaultDict(owner.mod, owner.cls, state);
      const aliases = propertyAliases(owner, attr);
      const pair = racingPair(
        writersOf(owner),
        loopThreads,
        (t) =>
          mutatesAt(owner.mod, t.m, state, () => true, { insertsOnRead: inserts, aliases, removals: kind === 'list' }),
        (looping, thread, writer) => rivals(looping, thread, { mod: owner.mod, m: writer }, scope),
      );
      const span = loopSpan(mod, r);
      if (!pair || reported.has(span.line)) continue;
      const { writer, thread, looping } = pair;
      // Spawned threads that each make their own instances share none of them.
      if (looping.name && thread.name && confinedInstances(owner)) continue;
      const lock =
        object === 'self'
          ? locksOf(mod).find((b) => b.mutex && b.name.startsWith('self.') && enclosingClass(mod, b.scope) === parent)
              ?.name
          : undefined;
      const copy = lock ? `with ${lock}: snapshot = list(${r.expr})` : `snapshot = list(${r.expr})`;
      const failure = kind === 'deque' ? 'deque mutated during iteration' : `${kind} changed size during iteration`;
      // A list raises nothing: removing an item before the loop's position moves the rest back by one.
      const outcome =
        kind === 'list'
          ? 'the loop raises nothing, but skips an item when one before its position is removed'
          : `the loop can fail with "${failure}"`;
      const where = looping.name ? `on the thread running \`${looping.name}\`` : "on its callers' threads";
      const other = looping.name === thread.name ? 'another copy of ' : '';
      const changer = !thread.name
        ? `\`${owner.cls.name}.${writer.m.name}\` changes it on its callers' threads`
        : thread.name === `${owner.cls.name}.${writer.m.name}` && !other
          ? `\`${writer.m.name}\`, a thread's target, changes it`
          : `\`${writer.m.name}\`, which ${other}the thread running \`${thread.name}\` reaches, changes it`;
      const who = parent?.kind === 'class' ? `${parent.name}.${scope.name}` : scope.name;
      // Say how a method that only reads entries changes the dictionary.
      const added =
        inserts && !mutatesAt(owner.mod, writer.m, state, () => true, { aliases })
          ? ` (\`${object}.${written}\` is a defaultdict: looking up a missing key adds it)`
          : '';
      findings.push({
        rule: 'shared-mutation',
        severity: 'warning',
        span,
        message: `\`${who}\` iterates \`${object}.${written}\` ${where} while ${changer}${added}; ${outcome}. Iterate over a copy taken under a lock that the changes hold too (\`${copy}\`).`,
        fixes: [],
        data: {
          state: object === 'self' ? state : `${owner.cls.name}.${attr}`,
          lock,
          threads: [thread.name || 'callers'],
        },
      });
    }
  }
  return findings;
}

/**
 * A method that changes the state on a spawned thread, with that thread and the loop's thread it races:
 * two different threads when there are (the pairing a message names first), else two copies of one thread
 * that runs several at once.
 */
function racingPair(
  threaded: { m: Scope; on: Thread[] }[],
  loopThreads: Thread[],
  changes: (t: { m: Scope }) => boolean,
  rival: (looping: Thread, thread: Thread, writer: Scope) => boolean,
): { writer: { m: Scope }; thread: Thread; looping: Thread } | undefined {
  const writers = threaded.filter(changes);
  for (const same of [false, true]) {
    for (const writer of writers) {
      for (const thread of writer.on) {
        const looping = loopThreads.find(
          (l) =>
            (same ? l.name === thread.name && thread.concurrent : l.name !== thread.name) && rival(l, thread, writer.m),
        );
        if (looping) return { writer, thread, looping };
      }
    }
  }
  return undefined;
}

function listFinding(
  mod: ModuleIndex,
  r: Region,
  cls: Scope,
  m: Scope,
  state: string,
  appender: Scope,
  lock: string,
  intent: string,
): Finding {
  return {
    rule: 'shared-mutation',
    severity: 'warning',
    span: loopSpan(mod, r),
    message: `\`${cls.name}.${m.name}\` iterates \`${state}\` without \`${lock}\` while \`${appender.name}\` appends to it under the lock without checking anything first (${intent}); a callback registered while the loop runs can be run both by the loop and by its registration, or by neither. Take a copy under the lock, in the same \`with\` that changes the state the appender should check (\`with ${lock}: snapshot = list(${state})\`).`,
    fixes: [],
    data: { state, lock },
  };
}

/**
 * Loops over a process-wide registry (knowledge.ts PROCESS_REGISTRIES), directly or through a local bound
 * to it or to a view of it, in a function a thread runs (`onThread`: reached from a spawned target or from
 * the public API of a module that uses threads): any other thread's import or new logger changes the dict
 * under the loop. Reported at the loop, since no line of the program is the other writer. Start-up code
 * that no thread reaches (importlib's `_setup`) stays quiet.
 */
export function registryIterations(
  mod: ModuleIndex,
  onThread: (scopeId: number, offset: number) => boolean,
  config: Config,
): Finding[] {
  if (config.assumeThreads === 'never') return [];
  const findings: Finding[] = [];
  for (const r of mod.model.regions) {
    if (r.kind !== 'for' && r.kind !== 'comprehension') continue;
    let expr = r.expr;
    // `existing = root.manager.loggerDict.keys()` a few lines above the loop is the same live view.
    if (/^[A-Za-z_]\w*$/.test(expr)) {
      const bound = bindingInChain(mod, r.scope, expr, r.start);
      if (!bound || bound.scope !== r.scope) continue;
      expr = bound.value;
    }
    if (!expr.includes('modules') && !expr.includes('loggerDict')) continue;
    const registry = PROCESS_REGISTRIES.find((entry) => entry.pattern.test(expr));
    if (!registry || !onThread(r.scope, r.start)) continue;
    findings.push({
      rule: 'shared-mutation',
      severity: 'warning',
      span: loopSpan(mod, r),
      message: `This loop walks ${registry.name} (\`${expr}\`) while it is live, on a thread: ${registry.changedBy} meanwhile changes its size, so the loop can fail with "dictionary changed size during iteration". Iterate over a copy (\`list(${expr})\`), which is taken in one step.`,
      fixes: [],
      data: { state: expr },
    });
  }
  return findings;
}
