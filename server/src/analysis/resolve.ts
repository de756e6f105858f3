/**
 * Name resolution over module models: imports, functions, classes, methods,
 * and what a local name was bound to. Every analysis goes through the
 * indexes built here, once per module, so lookups are maps rather than scans.
 */
import type { Call, Flow, ModuleModel, Region, Scope, Write } from '../model/types';
import { carriedByItems, type Deps, type Epoch, itemDeps, newEpoch, type Slot, scopeDeps, slotOf } from './carry';
import { POOL_METHODS } from './knowledge';
import type { Guard } from './locks';
import { type MemoKey, memo, memoKey } from './memo';

export interface ModuleIndex {
  model: ModuleModel;
  /** The files analysed with this one (set by indexProject), for facts that follow imports. */
  project?: ProjectIndex;
  /** The run's epoch (carry.ts): facts carried from earlier runs count only when made under this token. */
  token: Epoch;
  /** What carried facts about an item may depend on (slotFor), made on first use per module and run. */
  depsOf?: (item: Call | Write | Scope, scopeId: number) => Deps;
  /** Local name → qualified name, from every import in the module. */
  imports: Map<string, string>;
  children: Map<number, Scope[]>;
  /** Function scopes by parent scope and name (the last definition wins, as in Python). */
  functionsIn: Map<number, Map<string, Scope>>;
  callsByScope: Map<number, Call[]>;
  writesByScope: Map<number, Write[]>;
  regionsByScope: Map<number, Region[]>;
  /** Returns and yields by the function they hand back from. */
  flowsByScope: Map<number, Flow[]>;
  /** Single-target plain assignments by scope and target text, in source order; a scope's are made on first use (bindingsIn). */
  bindings: Map<number, Map<string, Write[]>>;
  globals: Map<number, Set<string>>;
  nonlocals: Map<number, Set<string>>;
  /** Classes by name (module-wide; nested classes too). */
  classes: Map<string, Scope[]>;
  /** Methods by name across all classes of the module. */
  methods: Map<string, Scope[]>;
  /** qualify() results by dotted text; callee texts repeat, so each is qualified once per run. */
  qualified: Map<string, string>;
  /** funcKey() strings by scope id, made once per run. */
  keys: string[];
  /** Qualified callee of each call, by call id (see calleeOf). */
  callees: string[];
  /** Qualified callee of each write's value, by write id (see valueCalleeOf). */
  valueCallees: (string | null)[];
  /** The function each call resolves to (null: none in the analysed files), by call id (callGraph.ts resolveCallee). */
  resolved: (FunctionRef | null)[];
  /** Each scope's guarded stretches, by scope id (locks.ts guardsIn). */
  guards: Guard[][];
  /**
   * This run's other memos, made on first use under typed keys declared beside the code that computes
   * them (memo.ts): a parameter's class at every site, the locks in-class callers hold, class intents,
   * dead stretches.
   */
  memos: Map<MemoKey<unknown>, unknown>;
  /**
   * Short lists the whole-module passes read instead of every item: calls whose result is bound to a
   * name (executors), calls that may start a thread or process (targets.ts), `acquire()` calls,
   * with-statements, and single-target writes of a call's result (lock factories).
   */
  assignedCalls: Call[];
  spawnCalls: Call[];
  acquireCalls: Call[];
  withRegions: Region[];
  callWrites: Write[];
}

export interface ProjectIndex {
  modules: ModuleIndex[];
  byName: Map<string, ModuleIndex>;
  byPath: Map<string, ModuleIndex>;
  /** This run's project-wide memos (memo.ts). */
  memos: Map<MemoKey<unknown>, unknown>;
}

/** A function or lambda scope together with the module that holds it. */
export interface FunctionRef {
  mod: ModuleIndex;
  scope: Scope;
}

/**
 * The carried facts (carry.ts) of a call or write of `mod`, or of a scope: they hold while no name that
 * the item's scope chain (or, at module level, the item itself) mentions has changed meaning.
 */
export function slotFor(mod: ModuleIndex, item: Call | Write | Scope, scopeId: number): Slot {
  mod.depsOf ??= depsIn(mod);
  return slotOf(item, mod.token, mod.depsOf, scopeId);
}

/** A function as carried facts hold it (carry.ts): no run's ModuleIndex, only its path and scope object. */
export interface CarriedRef {
  path: string;
  scope: Scope;
}

export function carryRef(ref: FunctionRef): CarriedRef {
  return { path: ref.mod.model.path, scope: ref.scope };
}

/** The function again, in this run's index; undefined once its statement was edited (its scope was replaced). */
export function liveRef(project: ProjectIndex, carried: CarriedRef): FunctionRef | undefined {
  const mod = project.byPath.get(carried.path);
  return mod && mod.model.scopes[carried.scope.id] === carried.scope ? { mod, scope: carried.scope } : undefined;
}

/** All of `carried` again, or undefined when any of them changed. */
export function liveRefs(project: ProjectIndex, carried: CarriedRef[]): FunctionRef[] | undefined {
  const refs: FunctionRef[] = [];
  for (const c of carried) {
    const ref = liveRef(project, c);
    if (!ref) return undefined;
    refs.push(ref);
  }
  return refs;
}

/** What facts about an item of `mod` in scope `scopeId` may depend on (carry.ts Deps). */
function depsIn(mod: ModuleIndex): (item: Call | Write | Scope, scopeId: number) => Deps {
  return (item, scopeId) =>
    scopeId > 0
      ? scopeDeps(
          mod.model,
          mod.model.scopes[scopeId],
          (id) => itemsIn(mod, id),
          (s) => localNames(mod, s),
        )
      : ownDeps(mod, item);
}

const ownDepCache = new WeakMap<object, Deps>();

/** What a module-level item's facts depend on: its own texts and the regions around it (carry.ts itemDeps). */
function ownDeps(mod: ModuleIndex, item: Call | Write | Scope): Deps {
  // Scope slots are kept for functions only; the module scope is remade by every splice.
  if (!('regions' in item)) throw new Error('no carried facts for the module scope');
  let deps = ownDepCache.get(item);
  if (!deps) {
    deps = itemDeps(
      item,
      item.regions.map((id) => mod.model.regions[id]),
    );
    ownDepCache.set(item, deps);
  }
  return deps;
}

function itemsIn(mod: ModuleIndex, id: number): { calls: Call[]; writes: Write[]; regions: Region[] } {
  return {
    calls: mod.callsByScope.get(id) ?? [],
    writes: mod.writesByScope.get(id) ?? [],
    regions: mod.regionsByScope.get(id) ?? [],
  };
}

/** A function's key for maps across modules (`path#scope`), made once per scope and run. */
export function funcKey(ref: FunctionRef): string {
  const keys = ref.mod.keys;
  const id = ref.scope.id;
  let k = keys[id];
  if (k === undefined) {
    k = `${ref.mod.model.path}#${id}`;
    keys[id] = k;
  }
  return k;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Replace each list of `map` that push has grown by a copy of its exact length, and hand the map back. A
 * list keeps room for 17 items after its second push, and an index by name holds thousands of short
 * lists; the copies are made once, when the index is complete, and the grown lists die young.
 */
export function exactLists<K, V>(map: Map<K, V[]>): Map<K, V[]> {
  for (const [key, list] of map) if (list.length > 1) map.set(key, list.slice());
  return map;
}

/**
 * Groups items by scope into `map`, in source order, each scope's list made at its exact length: a list
 * grown by push keeps room for 17 items after its first, and most scopes hold a few, so on the stdlib
 * pushed lists took about three times the room of their items. Lists enter the map in the order their
 * scopes first appear, as they did when pushed.
 */
function groupByScope<T extends { scope: number }>(items: T[], map: Map<number, T[]>): void {
  // Items each scope has still to place: a list's next slot is its length less that count.
  const left: number[] = [];
  for (const item of items) left[item.scope] = (left[item.scope] ?? 0) + 1;
  const lists: T[][] = [];
  for (const item of items) {
    const scope = item.scope;
    let list = lists[scope];
    if (list === undefined) {
      list = new Array<T>(left[scope]);
      lists[scope] = list;
      map.set(scope, list);
    }
    list[list.length - left[scope]--] = item;
  }
}

export function indexModule(model: ModuleModel, token: Epoch = newEpoch()): ModuleIndex {
  const mod: ModuleIndex = {
    model,
    token,
    imports: new Map(),
    children: new Map(),
    functionsIn: new Map(),
    callsByScope: new Map(),
    writesByScope: new Map(),
    regionsByScope: new Map(),
    flowsByScope: new Map(),
    bindings: new Map(),
    globals: new Map(),
    nonlocals: new Map(),
    classes: new Map(),
    methods: new Map(),
    qualified: new Map(),
    keys: [],
    callees: [],
    valueCallees: [],
    resolved: [],
    guards: [],
    assignedCalls: [],
    spawnCalls: [],
    acquireCalls: [],
    withRegions: [],
    callWrites: [],
    memos: new Map(),
  };
  for (const imp of model.imports) mod.imports.set(imp.local, imp.qualified);
  for (const s of model.scopes) {
    if (s.parent >= 0) push(mod.children, s.parent, s);
    if (s.parent >= 0 && s.kind === 'function') {
      let byName = mod.functionsIn.get(s.parent);
      if (!byName) {
        byName = new Map();
        mod.functionsIn.set(s.parent, byName);
      }
      byName.set(s.name, s);
    }
    if (s.kind === 'class') push(mod.classes, s.name, s);
    if (s.kind === 'function' && s.parent >= 0 && model.scopes[s.parent].kind === 'class') push(mod.methods, s.name, s);
  }
  exactLists(mod.children);
  exactLists(mod.classes);
  exactLists(mod.methods);
  groupByScope(model.calls, mod.callsByScope);
  groupByScope(model.writes, mod.writesByScope);
  groupByScope(model.regions, mod.regionsByScope);
  groupByScope(model.flows, mod.flowsByScope);
  // Module-level names bound to another callable (`Runner = functools.partial(threading.Thread, ...)`,
  // `Pool = ThreadPoolExecutor`): their calls may spawn whatever the name stands for (origins calleeOf).
  const aliases = new Set<string>();
  for (const w of mod.writesByScope.get(0) ?? []) {
    if (w.targets.length === 1 && w.targets[0].kind === 'identifier' && ALIAS_VALUE.test(w.value))
      aliases.add(w.targets[0].text);
  }
  for (const c of model.calls) {
    if (c.assignedTo) mod.assignedCalls.push(c);
    if (c.method === 'acquire' && c.receiver) mod.acquireCalls.push(c);
    if (maySpawnByText(mod, c) || (aliases.size > 0 && aliases.has(c.callee))) mod.spawnCalls.push(c);
  }
  for (const w of model.writes) if (w.valueCallee && w.targets.length === 1) mod.callWrites.push(w);
  for (const r of model.regions) if (r.kind === 'with') mod.withRegions.push(r);
  for (const d of model.decls) {
    const map = d.kind === 'global' ? mod.globals : mod.nonlocals;
    const set = map.get(d.scope) ?? new Set<string>();
    for (const n of d.names) set.add(n);
    map.set(d.scope, set);
  }
  return mod;
}

/** A value that may stand for another callable: a dotted name, or a `partial(...)` of one. */
const ALIAS_VALUE = /^(?:[A-Za-z_][\w.]*|(?:functools\.)?partial\(.*\))$/s;

/** The last names of the callables that start threads or processes (`threading.Thread`, `ctx.Process`...). */
const SPAWN_NAMES = new Set(['Thread', 'Timer', 'to_thread', 'Process']);

/** The last names of the pool constructors that take an `initializer`. */
const POOL_NAMES = new Set(['Pool', 'ThreadPool', 'ThreadPoolExecutor', 'ProcessPoolExecutor']);

/**
 * Could this call start a thread or process, judged by its text: a pool method, or a callee whose last
 * name is a spawning one, or a bare name imported under another (`from threading import Thread as T`).
 * A superset of what targets.ts maySpawn accepts, which decides.
 */
function maySpawnByText(mod: ModuleIndex, c: Call): boolean {
  if ((c.method && POOL_METHODS.has(c.method)) || c.method === 'run_in_executor') return true;
  const callee = c.callee;
  // The suffix tests cost no string; the slice runs only for the few callees that pass them.
  const suffix =
    callee.endsWith('Thread') || callee.endsWith('Timer') || callee.endsWith('to_thread') || callee.endsWith('Process');
  if (suffix && SPAWN_NAMES.has(callee.slice(callee.lastIndexOf('.') + 1))) return true;
  // A pool given an initializer, which each of its workers runs (`Pool(4, init)`, `initializer=init`).
  const pool = callee.endsWith('Pool') || callee.endsWith('Executor');
  if (pool && c.args.length >= 2 && POOL_NAMES.has(callee.slice(callee.lastIndexOf('.') + 1))) return true;
  if (callee.indexOf('.') >= 0) return false;
  // A bare name imported under another (`from threading import Thread as Worker`), or a parameter called
  // with a callable first, which a caller may have handed a pool's method (`fold(..., map=pool.map)`).
  return mod.imports.has(callee) || (c.args.length > 0 && calledParam(mod, c));
}

/** Is the call's callee a parameter of the function it is made in (`map(f, xs)` inside `def fold(map=map)`)? */
export function calledParam(mod: ModuleIndex, c: Call): boolean {
  const scope = mod.model.scopes[c.scope];
  return scope?.kind === 'function' && scope.params.some((p) => p.name === c.callee);
}

/** A scope's single-target plain assignments by target text, in source order, made on first use. */
export function bindingsIn(mod: ModuleIndex, scopeId: number): Map<string, Write[]> {
  let byName = mod.bindings.get(scopeId);
  if (!byName) {
    byName = new Map();
    for (const w of mod.writesByScope.get(scopeId) ?? []) {
      if (w.kind === 'assign' && w.targets.length === 1) push(byName, w.targets[0].text, w);
    }
    mod.bindings.set(scopeId, exactLists(byName));
  }
  return byName;
}

export function indexProject(models: ModuleModel[], token: Epoch = newEpoch()): ProjectIndex {
  const modules = models.map((m) => indexModule(m, token));
  const byName = new Map<string, ModuleIndex>();
  const byPath = new Map<string, ModuleIndex>();
  const project: ProjectIndex = { modules, byName, byPath, memos: new Map() };
  for (const m of modules) {
    m.project = project;
    byPath.set(m.model.path, m);
    byName.set(m.model.moduleName, m);
    const last = m.model.moduleName.split('.').pop();
    if (last && !byName.has(last)) byName.set(last, m);
  }
  return project;
}

/** `np.sum` → `numpy.sum`; names without an import stay as written (builtins, locals). */
export function qualify(mod: ModuleIndex, dotted: string): string {
  let q = mod.qualified.get(dotted);
  if (q === undefined) {
    q = qualifyUncached(mod, dotted);
    mod.qualified.set(dotted, q);
  }
  return q;
}

/** Prefix of calleeOf results for calls on a local that shadows an import: matches no qualified name. */
export const LOCAL_MARK = '<local>.';

/** The first dotted segment of a name (`a` of `a.b.c`). */
export function headOf(dotted: string): string {
  const dot = dotted.indexOf('.');
  return dot < 0 ? dotted : dotted.slice(0, dot);
}

function qualifyUncached(mod: ModuleIndex, dotted: string): string {
  const dot = dotted.indexOf('.');
  const head = dot < 0 ? dotted : dotted.slice(0, dot);
  const q = mod.imports.get(head);
  if (!q) return dotted;
  return dot < 0 ? q : q + dotted.slice(dot);
}

/** Answers of lookup() per table: the tables are fixed knowledge, and the same names are asked on every run. */
const lookups = new WeakMap<Map<string, unknown>, Map<string, unknown>>();

/** Look a qualified name up in a table whose keys may end in `.*`. */
export function lookup<V>(table: Map<string, V>, qualified: string): V | undefined {
  const exact = table.get(qualified);
  if (exact !== undefined) return exact;
  let answers = lookups.get(table) as Map<string, V | null> | undefined;
  if (!answers) {
    answers = new Map();
    lookups.set(table, answers);
  }
  const known = answers.get(qualified);
  if (known !== undefined) return known ?? undefined;
  // Names come from user code, so the memo is bounded the way mention patterns are.
  if (answers.size > 10_000) answers.clear();
  const found = lookupWild(table, qualified);
  answers.set(qualified, found ?? null);
  return found;
}

function lookupWild<V>(table: Map<string, V>, qualified: string): V | undefined {
  let name = qualified;
  for (let dot = name.lastIndexOf('.'); dot > 0; dot = name.lastIndexOf('.')) {
    name = name.slice(0, dot);
    const wild = table.get(`${name}.*`);
    if (wild !== undefined) return wild;
  }
  return undefined;
}

export function scopeChain(mod: ModuleIndex, scopeId: number): Scope[] {
  const chain: Scope[] = [];
  for (let id = scopeId; id >= 0; id = mod.model.scopes[id].parent) chain.push(mod.model.scopes[id]);
  return chain;
}

/** The class a method belongs to (the nearest enclosing class scope). */
export function enclosingClass(mod: ModuleIndex, scopeId: number): Scope | undefined {
  for (let id = mod.model.scopes[scopeId].parent; id >= 0; id = mod.model.scopes[id].parent) {
    const s = mod.model.scopes[id];
    if (s.kind === 'class') return s;
    if (s.kind === 'function') continue;
  }
  return undefined;
}

/** Defined at module level, or as a method of a module-level class (so pickle finds it by name). */
export function isModuleLevel(mod: ModuleIndex, scope: Scope): boolean {
  return (
    scope.parent === 0 ||
    (scope.parent > 0 &&
      mod.model.scopes[scope.parent].kind === 'class' &&
      isModuleLevel(mod, mod.model.scopes[scope.parent]))
  );
}

/** A function visible by `name` from `scopeId`: nested defs first, then module level, then imports. */
export function resolveFunction(
  project: ProjectIndex,
  mod: ModuleIndex,
  scopeId: number,
  name: string,
): FunctionRef | undefined {
  // The scope chain, walked without building it.
  for (let id = scopeId; id >= 0; id = mod.model.scopes[id].parent) {
    const s = mod.model.scopes[id];
    if (s.kind === 'class') continue;
    const hit = mod.functionsIn.get(s.id)?.get(name);
    if (hit) return { mod, scope: hit };
  }
  const q = mod.imports.get(name);
  if (q) {
    const dot = q.lastIndexOf('.');
    const other = project.byName.get(q.slice(0, dot).replace(/^\.+/, ''));
    const fn = other?.functionsIn.get(0)?.get(q.slice(dot + 1));
    if (other && fn) return { mod: other, scope: fn };
  }
  return undefined;
}

export function methodOf(mod: ModuleIndex, cls: Scope, name: string, depth = 0): Scope | undefined {
  const own = mod.functionsIn.get(cls.id)?.get(name);
  if (own || depth > 4) return own;
  for (const base of cls.bases) {
    const baseCls = mod.classes.get(base)?.[0];
    if (baseCls) {
      const hit = methodOf(mod, baseCls, name, depth + 1);
      if (hit) return hit;
    }
  }
  return undefined;
}

/** The latest write binding `name` in a scope before `before`, if any. */
export function bindingOf(
  mod: ModuleIndex,
  scopeId: number,
  name: string,
  before = Number.POSITIVE_INFINITY,
): Write | undefined {
  const writes = bindingsIn(mod, scopeId).get(name);
  if (!writes) return undefined;
  let best: Write | undefined;
  for (const w of writes) {
    if (w.start > before) break;
    best = w;
  }
  return best;
}

/** Like bindingOf, searching enclosing function scopes and the module too. */
export function bindingInChain(mod: ModuleIndex, scopeId: number, name: string, before?: number): Write | undefined {
  for (let id = scopeId; id >= 0; id = mod.model.scopes[id].parent) {
    const s = mod.model.scopes[id];
    if (s.kind === 'class') continue;
    const w = bindingOf(mod, s.id, name, s.id === scopeId ? before : undefined);
    if (w) return w;
    // A name the function binds some other way (a parameter, a tuple target, a loop variable, `with ... as`)
    // is its own local: an outer binding of the same name never reaches it.
    if (s.kind !== 'module' && localNames(mod, s).has(name)) return undefined;
  }
  return undefined;
}

/** Regions of a scope that enclose an offset, innermost last (uses the call's or write's region list). */
export function loopsOf(mod: ModuleIndex, regions: number[], offset: number): Region[] {
  // A plain loop: this runs for every call and write the analyses look at.
  const loops: Region[] = [];
  for (const id of regions) {
    const r = mod.model.regions[id];
    if ((r.kind === 'for' || r.kind === 'while' || r.kind === 'comprehension') && offset >= r.bodyStart) loops.push(r);
  }
  return loops;
}

/** Names a parameter list binds, without `self`/`cls` for methods. */
export function paramNames(mod: ModuleIndex, scope: Scope): string[] {
  const names: string[] = [];
  for (const p of scope.params) if (!p.splat) names.push(p.name);
  const parent = mod.model.scopes[scope.parent];
  if (parent?.kind === 'class' && !scope.decorators.includes('staticmethod')) names.shift();
  return names;
}

/** Identifiers in an expression text (cheap lexical scan, good enough for "does it mention x"). */
const mentionPatterns = new Map<string, RegExp>();

/** Does an expression text mention `name` as a whole identifier (cheap lexical scan, patterns cached)? */
export function mentions(text: string, name: string): boolean {
  if (!text.includes(name)) return false;
  let pattern = mentionPatterns.get(name);
  if (!pattern) {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    pattern = new RegExp(`(^|[^A-Za-z0-9_.])${escaped}(?![A-Za-z0-9_])`);
    if (mentionPatterns.size > 10_000) mentionPatterns.clear();
    mentionPatterns.set(name, pattern);
  }
  return pattern.test(text);
}

/** Names bound in a function (assigned without `global`, parameters, loop variables). */
const localCache = new WeakMap<Scope, Set<string>>();
const MODULE_NAMES: MemoKey<Set<string>> = memoKey('moduleNames');

/**
 * Names bound in a function; cached, since every visit and rule asks. The module scope is remade by
 * every splice, so its names are carried (carry.ts) while its own writes and regions are the same.
 */
export function localNames(mod: ModuleIndex, scope: Scope): Set<string> {
  let names = localCache.get(scope);
  if (!names) {
    names =
      scope.kind === 'module'
        ? carriedByItems(mod.token, `locals:${mod.model.path}`, moduleItems(mod, false), () =>
            computeLocalNames(mod, scope),
          )
        : computeLocalNames(mod, scope);
    localCache.set(scope, names);
  }
  return names;
}

/** Names bound at module level; cached per module, and carried while module-level writes and definitions are the same. */
export function moduleNames(mod: ModuleIndex): Set<string> {
  return memo(mod, MODULE_NAMES, () =>
    carriedByItems(mod.token, `names:${mod.model.path}`, moduleItems(mod, true), () => computeModuleNames(mod)),
  );
}

/** What module-level names are read from: the module's own writes, then its regions or its definitions' names. */
function moduleItems(mod: ModuleIndex, definitions: boolean): unknown[] {
  const items: unknown[] = [...(mod.writesByScope.get(0) ?? [])];
  if (definitions) for (const s of mod.children.get(0) ?? []) items.push(s.name);
  else {
    for (const r of mod.regionsByScope.get(0) ?? []) items.push(r);
    // `global` at module level is legal, if pointless: computeLocalNames honours it.
    for (const n of mod.globals.get(0) ?? []) items.push(`global ${n}`);
    for (const n of mod.nonlocals.get(0) ?? []) items.push(`nonlocal ${n}`);
  }
  return items;
}

function computeLocalNames(mod: ModuleIndex, scope: Scope): Set<string> {
  const names = new Set<string>(scope.params.map((p) => p.name));
  const globals = mod.globals.get(scope.id);
  const nonlocals = mod.nonlocals.get(scope.id);
  for (const w of mod.writesByScope.get(scope.id) ?? []) {
    for (const t of w.targets) {
      if (t.kind === 'identifier' && !globals?.has(t.text) && !nonlocals?.has(t.text)) names.add(t.text);
    }
  }
  for (const r of mod.regionsByScope.get(scope.id) ?? []) {
    for (const v of r.vars) {
      // Most loop variables are one plain name; only tuples need splitting and unbracketing.
      if (!/[,()[\]]/.test(v)) names.add(v);
      else for (const n of v.split(',')) names.add(n.replace(/[()[\]]/g, ''));
    }
    for (const item of r.items) if (item.alias) names.add(item.alias);
  }
  return names;
}

/** Names bound at module level (globals a function can reach without a declaration). */
function computeModuleNames(mod: ModuleIndex): Set<string> {
  const names = new Set<string>();
  for (const w of mod.writesByScope.get(0) ?? [])
    for (const t of w.targets) if (t.kind === 'identifier') names.add(t.text);
  for (const s of mod.children.get(0) ?? []) names.add(s.name);
  return names;
}

/**
 * Stretches of the module that never run: the branch an `if` on a constant flag skips. The flag is a
 * module-level name bound once to `True` or `False` (`_IS_SYNC = False` in code generated for both sync
 * and async), `typing.TYPE_CHECKING`, or a literal; `not` flips it. `if not _IS_SYNC: await ... else:
 * socket.getaddrinfo(...)` never makes the blocking call.
 */
const DEAD: MemoKey<{ start: number; end: number }[]> = memoKey('dead');

export function isDead(mod: ModuleIndex, offset: number): boolean {
  return memo(mod, DEAD, () => deadStretches(mod)).some((d) => offset >= d.start && offset < d.end);
}

function deadStretches(mod: ModuleIndex): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const r of mod.model.regions) {
    if (r.kind !== 'if') continue;
    const value = constantTruth(mod, r.expr.trim());
    if (value === undefined) continue;
    // The then-branch is dead when the test is false; otherwise what follows it (elif/else) is.
    if (value) {
      if (r.end > r.thenEnd) out.push({ start: r.thenEnd, end: r.end });
    } else out.push({ start: r.thenStart, end: r.thenEnd });
  }
  return out;
}

function constantTruth(mod: ModuleIndex, expr: string): boolean | undefined {
  const negated = /^not\s+/.exec(expr);
  if (negated) {
    const inner = constantTruth(mod, expr.slice(negated[0].length).trim());
    return inner === undefined ? undefined : !inner;
  }
  if (expr === 'True') return true;
  if (expr === 'False') return false;
  if (!/^[A-Za-z_][\w.]*$/.test(expr)) return undefined;
  if (qualify(mod, expr) === 'typing.TYPE_CHECKING') return false;
  const writes = bindingsIn(mod, 0).get(expr);
  if (writes?.length !== 1) return undefined;
  const v = writes[0].value.trim();
  return v === 'True' ? true : v === 'False' ? false : undefined;
}

/** Top-level comma-separated parts of a bracket's inner text (`a, b[c, d]` → `a`, `b[c, d]`), trimmed, empty ones dropped. */
export function topLevelParts(inner: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push(inner.slice(from, i).trim());
      from = i + 1;
    }
  }
  out.push(inner.slice(from).trim());
  return out.filter((p) => p.length > 0);
}
