/**
 * What one analysis run hands to the next, so that a keystroke re-derives
 * only what it can have changed (rust-analyzer keeps a function body's
 * results while the names it uses keep their meaning; this is that idea at
 * the size of this engine).
 *
 * The language server splices each edit into the previous model: the items
 * of untouched statements keep their objects (model/incremental.ts moves
 * their offsets, ids and lines in place), the touched statement gets new
 * ones. A fact derived from one item, within its scope, therefore stays true
 * while that object is in the model and every name the fact may have looked
 * up outside its own statement still means the same. Facts live in a slot
 * per item (one WeakMap lookup for all of them). They hold texts and
 * references to model objects, which move with the model; the few that hold
 * offsets rebase them from their scope's start, and those that hold line
 * numbers are dropped when their scope's first line moves.
 *
 * What a name means outside a statement is read as a signature per name:
 * imports, module-level bindings (value text included), top-level functions
 * (parameters, decorators, docstring; a context manager's whole body) and
 * classes (bases, methods, what `self.x` is bound to), plus the module-wide
 * tables of lock and executor names (noteTable). Each run compares the
 * signatures in the stretch of each model that changed with the previous
 * run's and logs the names whose meaning moved, closed over bindings
 * (`pool = Executor()` moves with `Executor`). A slot is checked against the
 * log the first time it is asked for after a change: its facts stand unless
 * its scope chain mentions a moved module-level name that it does not bind
 * itself, or a moved attribute or method name (`.x`, wherever mentioned). A
 * new configuration or set of files starts afresh.
 *
 * test/analysis/carry.test.ts checks, over random edits and keystrokes and
 * over edits chosen to change what another statement means, that runs with
 * carried facts report exactly what fresh runs do.
 */
import type { Call, ModuleModel, Region, Scope, Write } from '../model/types';
import type { Config } from './types';

/** The files analysed together and what their names meant, over the runs of one editing session. */
export interface Epoch {
  /** False for runs that neither reuse nor keep facts (one-shot runs, and the reference runs of tests). */
  carry: boolean;
  /** The current run's number. */
  run: number;
  /** The last run in which some name changed meaning; slots checked since need no check. */
  lastChange: number;
  /** The names that changed meaning, per run, latest last; only the last LOG_RUNS runs with changes are kept. */
  log: { run: number; names: string[] }[];
  /** Runs up to this one fell off the log: slots last checked before it are dropped. */
  forgotten: number;
  /** The previous run's models, to compare this run's with. */
  models: ModuleModel[];
  /** Module-wide tables derived from every statement (lock bindings, executors), as last noted (noteTable). */
  tables: Map<string, Map<string, string>>;
  /** Values derived from a list of items, with the items (carriedByItems). */
  derived: Map<string, { items: readonly unknown[]; value: unknown }>;
  config: string;
}

/**
 * Facts carried for one model object, each owned by the module that derives it and read and written only
 * through that module's CarryKey (`carried`, `peekCarried`, `keepCarried`), so each field has one type.
 * Every slot has every field, so that reading one is a plain property load.
 */
export interface Slot {
  epoch: Epoch;
  /** The run in which the facts were last known to hold. */
  checked: number;
  /** Calls: the function called (callGraph.ts resolveCallee), what the call does (factOf), callbacks. */
  resolved: unknown;
  fact: unknown;
  callbacks: unknown;
  /** Calls: the spawn site (targets.ts). */
  spawn: unknown;
  /** Scopes: a leaf function's evidence (classify.ts), the calls the walk follows (reach.ts), guarded
   * stretches (locks.ts), racy writes (sharedMutation.ts). */
  evidence: unknown;
  steps: unknown;
  guards: unknown;
  racy: unknown;
}

/** The slot fields that hold carried facts. */
type FactField = 'resolved' | 'fact' | 'callbacks' | 'spawn' | 'evidence' | 'steps' | 'guards' | 'racy';

/**
 * A typed name for one kind of carried fact, made by the module that derives it (`carryKey<Stored>(field)`):
 * reads and writes through it are typed, so no module casts a slot's field.
 */
export interface CarryKey<S> {
  readonly field: FactField;
  /** Never set: it only ties the stored type to the key. */
  readonly stored?: S;
}

export function carryKey<S>(field: FactField): CarryKey<S> {
  return { field };
}

/** What `revive` answers when a carried fact no longer holds: it is derived afresh. */
export const STALE: unique symbol = Symbol('stale');

/**
 * The one way to use a carried fact: the stored form, revived into this run's terms when it still holds
 * (`revive` answers STALE when it does not); otherwise computed, and kept in its stored form unless `keep`
 * answers undefined (facts that depend on far-away statements are never carried).
 */
/**
 * Reads of what other functions' statements decide (the class a parameter holds, from every call site):
 * no slot records them, so a fact derived from one must not be carried. Counted per process; a derivation
 * compares the count before and after (volatileCount).
 */
let volatileReads = 0;

/** Notes a read that other functions' statements decide. */
export function noteVolatile(): void {
  volatileReads++;
}

export function volatileCount(): number {
  return volatileReads;
}

export function carried<S, T>(
  slot: Slot | undefined,
  key: CarryKey<S>,
  revive: (stored: S) => T | typeof STALE,
  compute: () => T,
  keep: (value: T) => S | undefined,
): T {
  const stored = slot?.[key.field] as S | undefined;
  if (stored !== undefined) {
    const value = revive(stored);
    if (value !== STALE) return value;
  }
  const before = volatileReads;
  const value = compute();
  if (slot && volatileReads === before) {
    const kept = keep(value);
    if (kept !== undefined) slot[key.field] = kept;
  }
  return value;
}

/** The stored form of a fact, for the one derivation that decides only at its end whether to keep it. */
export function peekCarried<S>(slot: Slot, key: CarryKey<S>): S | undefined {
  return slot[key.field] as S | undefined;
}

export function keepCarried<S>(slot: Slot, key: CarryKey<S>, value: S): void {
  slot[key.field] = value;
}

function emptySlot(epoch: Epoch): Slot {
  return {
    epoch,
    checked: epoch.run,
    resolved: undefined,
    fact: undefined,
    callbacks: undefined,
    spawn: undefined,
    evidence: undefined,
    steps: undefined,
    guards: undefined,
    racy: undefined,
  };
}

/** Recent sessions by the set of files analysed together: the edited document's, and its neighbours'. */
const sessions = new Map<string, Epoch>();
const MAX_SESSIONS = 16;
const slots = new WeakMap<object, Slot>();

/** A new epoch; one that does not carry keeps nothing in the slots. */
export function newEpoch(carry = false): Epoch {
  return {
    carry,
    run: 0,
    lastChange: 0,
    log: [],
    forgotten: 0,
    models: [],
    tables: new Map(),
    derived: new Map(),
    config: '',
  };
}

/** Slots found holding and slots made afresh: for tests and benchmarks. */
export const carryStats = { kept: 0, made: 0 };

/**
 * The session of a run over `models`, advanced to this run: names whose meaning changed since the
 * previous run are noted. `carry: false` gives a session of its own, so nothing is reused or kept.
 */
export function epochOf(models: ModuleModel[], config: Config, carry = true): Epoch {
  if (!carry) return newEpoch();
  const key = models.map((m) => `${m.path}\0${m.moduleName}`).join('\0');
  const configText = JSON.stringify(config);
  let epoch = sessions.get(key);
  sessions.delete(key);
  if (!epoch || epoch.config !== configText) epoch = { ...newEpoch(true), config: configText };
  sessions.set(key, epoch);
  if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string);
  epoch.run++;
  const changed = new Set<string>();
  models.forEach((model, i) => {
    const before = epoch.models[i];
    if (before && before !== model) changedNames(before, model, changed);
  });
  epoch.models = models;
  if (changed.size > 0) {
    closeOverBindings(models, changed);
    noteChanged(epoch, changed);
  }
  return epoch;
}

/**
 * Names whose signature differs between two versions of a model. Items of untouched statements are the
 * same objects in both, so only the stretch of each list between its identical head and tail is read.
 */
function changedNames(before: ModuleModel, after: ModuleModel, changed: Set<string>): void {
  const old: Contribution[] = [];
  const now: Contribution[] = [];
  for (const pick of [(m: ModuleModel) => m.imports, (m: ModuleModel) => m.writes, (m: ModuleModel) => m.scopes]) {
    const a = pick(before) as object[];
    const b = pick(after) as object[];
    // The module scope (scopes[0]) is remade by every splice, and says nothing about names.
    let head = a === (before.scopes as object[]) ? 1 : 0;
    while (head < a.length && head < b.length && a[head] === b[head]) head++;
    let tail = 0;
    while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail])
      tail++;
    contributions(before, a.slice(head, a.length - tail), old);
    contributions(after, b.slice(head, b.length - tail), now);
  }
  const a = joinByName(old);
  const b = joinByName(now);
  for (const [name, text] of a) if (b.get(name) !== text) changed.add(name);
  for (const name of b.keys()) if (!a.has(name)) changed.add(name);
}

/** A name and what one item says it means. */
type Contribution = [string, string];

/** Every text said of each name, joined in order: two versions mean the same when these are equal. */
function joinByName(entries: Iterable<Contribution>): Map<string, string> {
  const by = new Map<string, string>();
  for (const [name, text] of entries) {
    const known = by.get(name);
    by.set(name, known === undefined ? text : `${known}\n${text}`);
  }
  return by;
}

/**
 * A module-wide table that facts read by name (the names bound to locks, to executors) and that any
 * statement may add to: the names whose entries differ from the last run's table are noted as changed.
 * Call it before the run's first slotOf.
 */
export function noteTable(epoch: Epoch, key: string, entries: Iterable<[string, string]>): void {
  if (!epoch.carry) return;
  const now = joinByName(entries);
  const before = epoch.tables.get(key);
  epoch.tables.set(key, now);
  if (!before) return;
  // Tables are looked up by name whatever scope binds it: a local of the same name does not shield.
  const tokens = new Set<string>();
  for (const [name, text] of now) if (before.get(name) !== text) namesIn(name, tokens);
  for (const name of before.keys()) if (!now.has(name)) namesIn(name, tokens);
  if (tokens.size > 0) noteChanged(epoch, new Set([...tokens].map((t) => `.${t}`)));
}

const LOG_RUNS = 64;

function noteChanged(epoch: Epoch, changed: Set<string>): void {
  epoch.lastChange = epoch.run;
  const last = epoch.log[epoch.log.length - 1];
  if (last?.run === epoch.run) last.names.push(...changed);
  else epoch.log.push({ run: epoch.run, names: [...changed] });
  if (epoch.log.length > LOG_RUNS) epoch.forgotten = epoch.log.shift()?.run ?? epoch.forgotten;
}

/**
 * A value derived from `items` alone (model objects, compared by identity, or strings): the previous
 * run's while the items are the same, in the same order.
 */
export function carriedByItems<T>(epoch: Epoch, key: string, items: readonly unknown[], derive: () => T): T {
  if (!epoch.carry) return derive();
  const known = epoch.derived.get(key);
  if (known && known.items.length === items.length && known.items.every((item, i) => item === items[i]))
    return known.value as T;
  const value = derive();
  epoch.derived.set(key, { items, value });
  return value;
}

/** Identifier tokens of a text (`self._pool.submit` gives self, _pool, submit). */
function namesIn(text: string, into: Set<string>): void {
  for (const m of text.matchAll(/[A-Za-z_]\w*/g)) into.add(m[0]);
}

/**
 * What items say a name means to code outside the statement that binds it: imports, module-level
 * bindings (the factory called), top-level functions and methods (parameters, decorators, docstring),
 * classes (bases, and what `self.x` is bound to in their methods, for selfAttrBindings and originOf).
 */
function contributions(model: ModuleModel, items: object[], out: Contribution[]): void {
  for (const item of items) {
    if ('qualified' in item) {
      const imp = item as ModuleModel['imports'][number];
      out.push([imp.local, `import ${imp.qualified}`]);
    } else if ('targets' in item) {
      const w = item as Write;
      // Module-level names (moduleNames), and what each plain binding holds, value text and all.
      if (w.scope === 0) {
        // The value's kind and callee too: whitespace-free text can stay the same while the parse does not
        // (`queue.Queu    e()` is no call of `queue.Queue`).
        for (const t of w.targets)
          out.push([
            t.text,
            `${w.op} ${w.targets.length === 1 ? `${w.value} ${w.valueKind} ${w.valueCallee ?? ''}: ${w.annotation ?? ''}` : ''}`,
          ]);
      }
      if (w.kind !== 'assign' || w.targets.length !== 1) continue;
      const t = w.targets[0];
      const cls = t.object === 'self' && t.key ? model.scopes[model.scopes[w.scope].parent] : undefined;
      const bound = `${w.value} ${w.valueKind} ${w.valueCallee ?? ''}: ${w.annotation ?? ''}`;
      if (cls?.kind === 'class' && t.key) {
        out.push([cls.name, `${t.text} = ${bound}`]);
        out.push([`.${t.key}`, `${cls.name}.${t.key} = ${bound}`]);
      }
      // A class body's annotated field (`client: Client = field()`) says what `self.client` holds.
      const owner = model.scopes[w.scope];
      if (owner?.kind === 'class' && t.kind === 'identifier' && w.annotation) {
        out.push([owner.name, `${t.text}: ${bound}`]);
        out.push([`.${t.text}`, `${owner.name}.${t.text}: ${bound}`]);
      }
    } else {
      const s = item as Scope;
      const parent = model.scopes[s.parent];
      if (s.kind === 'class')
        out.push([s.name, `class(${s.bases.join(',')})@${s.decorators.join('@')}:${s.docstring}`]);
      else if (s.kind === 'function' && (s.parent === 0 || parent?.kind === 'class')) {
        const owner = parent?.kind === 'class' ? `${parent.name}.` : '';
        let sig = `${owner}${s.isAsync ? 'async ' : ''}def(${paramText(s)})@${s.decorators.join('@')}:${s.docstring}`;
        // A context-manager helper's body says which lock a `with helper():` holds (locks.ts heldByHelper).
        if (s.decorators.some((d) => /contextmanager/.test(d)))
          sig += model.lines.slice(s.span.line, s.span.endLine + 1).join('\n');
        // What it returns says what a name bound to its call holds (origins.ts returnedBy).
        for (const f of model.flows) if (f.scope === s.id) sig += `\n${f.kind} ${f.value} ${f.valueKind}`;
        out.push([owner ? `.${s.name}` : s.name, sig]);
        if (owner) out.push([parent.name, `method ${s.name}`]);
      }
    }
  }
}

function paramText(s: Scope): string {
  return s.params
    .map((p) => `${p.splat ? '*' : ''}${p.name}${p.annotation ? `:${p.annotation}` : ''}=${p.defaultText ?? ''}`)
    .join(',');
}

/**
 * A binding whose factory or value names a changed name changes too (`pool = Executor()` moves with
 * `Executor`), to a fixpoint. Only bindings others read count: module-level ones and `self.x` in methods.
 */
function closeOverBindings(models: ModuleModel[], changed: Set<string>): void {
  const globals = new Set<string>();
  for (const key of changed) if (!key.startsWith('.')) namesIn(key, globals);
  for (const name of globals) changed.add(name);
  const bindings: { target: string; uses: string[] }[] = [];
  for (const model of models) {
    for (const w of model.writes) {
      if (w.kind !== 'assign' || w.targets.length !== 1) continue;
      if (w.scope !== 0 && w.targets[0].object !== 'self') continue;
      bindings.push({ target: w.targets[0].text, uses: usesOf(w) });
    }
  }
  const moved = (n: string) => changed.has(n) || changed.has(`.${n}`);
  for (let grew = true; grew; ) {
    grew = false;
    for (const b of bindings) {
      if (changed.has(b.target) || !b.uses.some(moved)) continue;
      changed.add(b.target);
      namesIn(b.target, changed);
      grew = true;
    }
  }
}

const usesCache = new WeakMap<Write, string[]>();

/** The names a binding's value reads, per write object. */
function usesOf(w: Write): string[] {
  let uses = usesCache.get(w);
  if (!uses) {
    const names = new Set<string>();
    namesIn(w.value, names);
    uses = [...names];
    usesCache.set(w, uses);
  }
  return uses;
}

/**
 * What facts about an item may depend on outside its statement: the names its texts mention, and which
 * of those are bound locally (a local shadows the module's name of the same spelling).
 */
export interface Deps {
  tokens: ReadonlySet<string>;
  locals: ReadonlySet<string>;
}

const NO_LOCALS: ReadonlySet<string> = new Set();
const scopeDepsCache = new WeakMap<Scope, Deps>();

/** The names that calls, writes and regions mention in their texts, added to `into`. */
function itemNames(
  into: Set<string>,
  calls: readonly Call[],
  writes: readonly Write[],
  regions: readonly Region[],
): void {
  for (const c of calls) {
    namesIn(c.callee, into);
    for (const a of c.args) namesIn(a.text, into);
  }
  for (const w of writes) {
    for (const t of w.targets) namesIn(t.text, into);
    namesIn(w.value, into);
  }
  for (const r of regions) {
    namesIn(r.expr, into);
    for (const v of r.vars) namesIn(v, into);
    for (const item of r.items) namesIn(`${item.expr} ${item.alias ?? ''}`, into);
  }
}

/**
 * The names a module-level call or write mentions, with those of the loops, with-statements and ifs
 * around it (`for f in funcs: Thread(target=f)` reads `funcs`); the module binds nothing locally.
 */
export function itemDeps(item: Call | Write, around: readonly Region[]): Deps {
  const tokens = new Set<string>();
  if ('callee' in item) itemNames(tokens, [item], [], around);
  else itemNames(tokens, [], [item], around);
  return { tokens, locals: NO_LOCALS };
}

/**
 * Every name a scope and its enclosing scopes mention (calls, writes, loops, with-items, parameters,
 * decorators, bases), with the names the functions among them bind: whatever a fact about the scope
 * looked up outside its statement is among them.
 */
export function scopeDeps(
  model: ModuleModel,
  scope: Scope,
  itemsOf: (id: number) => { calls: Call[]; writes: Write[]; regions: Region[] },
  localsOf: (s: Scope) => ReadonlySet<string>,
): Deps {
  const known = scopeDepsCache.get(scope);
  if (known) return known;
  const tokens = new Set<string>();
  const locals = new Set<string>();
  for (let id = scope.id; id > 0; id = model.scopes[id].parent) {
    const s = model.scopes[id];
    if (s.kind !== 'class') for (const n of localsOf(s)) locals.add(n);
    namesIn(`${s.name} ${paramText(s)} ${s.decorators.join(' ')} ${s.bases.join(' ')}`, tokens);
    const { calls, writes, regions } = itemsOf(id);
    itemNames(tokens, calls, writes, regions);
  }
  const deps = { tokens, locals };
  scopeDepsCache.set(scope, deps);
  return deps;
}

/**
 * The slot of `item` (a call, a write or a scope) for this run: its carried facts when they still hold,
 * an empty slot otherwise. `deps` gives what the facts may depend on (for the item in scope `scopeId`),
 * asked only after a change.
 */
export function slotOf<T extends object>(
  item: T,
  epoch: Epoch,
  deps: (item: T, scopeId: number) => Deps,
  scopeId: number,
): Slot {
  if (!epoch.carry) return emptySlot(epoch);
  const slot = slots.get(item);
  if (
    slot &&
    slot.epoch === epoch &&
    (slot.checked >= epoch.lastChange || stillHolds(epoch, slot.checked, deps(item, scopeId)))
  ) {
    slot.checked = epoch.run;
    carryStats.kept++;
    return slot;
  }
  const fresh = emptySlot(epoch);
  carryStats.made++;
  slots.set(item, fresh);
  return fresh;
}

/**
 * No name that changed meaning after run `since` is one the item depends on, read from the latest change
 * back: a module-level name unless bound locally, an attribute or method name (`.x`) wherever mentioned.
 */
function stillHolds(epoch: Epoch, since: number, deps: Deps): boolean {
  if (since < epoch.forgotten) return false;
  const { tokens, locals } = deps;
  for (let i = epoch.log.length - 1; i >= 0 && epoch.log[i].run > since; i--) {
    for (const key of epoch.log[i].names) {
      if (key.startsWith('.') ? tokens.has(key.slice(1)) : tokens.has(key) && !locals.has(key)) return false;
    }
  }
  return true;
}
