/**
 * Rule `shared-mutation`, lock discipline: locks that do not protect.
 *
 * - A lock created per call protects nothing: `with threading.Lock():`, or a
 *   lock made in a function and used only there, is a new object each time,
 *   so no two threads ever wait for each other.
 * - State guarded by lock A in one place and by lock B in another is not
 *   protected either: two different locks do not exclude each other.
 *
 * Also exports the map of state written under a lock, which library-mode
 * messages use as evidence ("written under `self._lock` in `get`").
 */
import type { Scope, Span } from '../../../model/types';
import { callerLocks, freshLockRegions, type Guard, guardAt, guardsIn, type LockBinding } from '../../locks';
import { localNames, type ModuleIndex, mentions } from '../../resolve';
import type { Config, Finding } from '../../types';

export interface GuardedWrite {
  state: string;
  /**
   * Whose state it is, where the name alone does not say: the class whose method writes it, for `self.*`
   * state (two classes' `self.x` are different state), or the function whose closure cell a `nonlocal`
   * name is (two decorators' `calls` cells are different state).
   */
  cls?: string;
  locks: string[];
  /** For `d["n"]` and `d[0]`: the constant key. Writes to two different constant keys touch different entries. */
  entry?: string;
  fn: string;
  /** The function that makes the write. */
  scope: number;
  span: Span;
}

function stateKey(mod: ModuleIndex, scope: Scope, text: string, kind: string, object?: string): string | undefined {
  if (kind === 'subscript') return object;
  if (kind === 'attribute') return text;
  return mod.globals.get(scope.id)?.has(text) || mod.nonlocals.get(scope.id)?.has(text) ? text : undefined;
}

/**
 * For a `nonlocal` name, the function whose local (closure cell) it is, as a key: `cell:<scope id>`.
 * Undefined for other names.
 */
export function cellOwner(mod: ModuleIndex, scope: Scope, name: string): string | undefined {
  if (!mod.nonlocals.get(scope.id)?.has(name)) return undefined;
  let at = mod.model.scopes[scope.parent];
  while (at && at.kind === 'function' && mod.nonlocals.get(at.id)?.has(name)) at = mod.model.scopes[at.parent];
  return at ? `cell:${at.id}` : undefined;
}

/**
 * For a name an enclosing function binds (`wrapper` in `wrapper.calls += 1`, inside the `def wrapper` a
 * decorator makes), that function as a key: two decorators' `wrapper.calls` are different state.
 */
function enclosingOwner(mod: ModuleIndex, scope: Scope, root: string): string | undefined {
  for (let at = mod.model.scopes[scope.parent]; at && at.kind === 'function'; at = mod.model.scopes[at.parent]) {
    if (mod.functionsIn.get(at.id)?.has(root) || localNames(mod, at).has(root)) return `cell:${at.id}`;
  }
  return undefined;
}

function heldAt(guards: Guard[], offset: number): string[] {
  return guards.filter((g) => offset >= g.start && offset < g.end).map((g) => g.lock);
}

/** Every write made with a mutex held, per function of the module. */
export function guardedWrites(mod: ModuleIndex, locks: LockBinding[], config: Config): GuardedWrite[] {
  const out: GuardedWrite[] = [];
  for (const scope of mod.model.scopes) {
    if (scope.kind !== 'function') continue;
    const guards = guardsIn(mod, scope, locks, config);
    const cls = mod.model.scopes[scope.parent];
    // Locks every in-class caller holds around this method hold over its writes too.
    const byCallers = cls?.kind === 'class' ? (callerLocks(mod, cls, locks, config).get(scope) ?? []) : [];
    if (guards.length === 0 && byCallers.length === 0) continue;
    const fn = cls?.kind === 'class' ? `${cls.name}.${scope.name}` : scope.name;
    const locals = localNames(mod, scope);
    for (const w of mod.writesByScope.get(scope.id) ?? []) {
      if (!guardAt(guards, w.start) && byCallers.length === 0) continue;
      for (const t of w.targets) {
        const state = stateKey(mod, scope, t.text, t.kind, t.object);
        const root = state?.split(/[.[]/)[0];
        if (!state || !root || (root !== 'self' && locals.has(root))) continue;
        const owner =
          root === 'self' && cls?.kind === 'class'
            ? cls.name
            : (cellOwner(mod, scope, t.text) ?? enclosingOwner(mod, scope, root));
        // A lock held through a local variable has no name that means the same thing in another function.
        const locks = [...heldAt(guards, w.start), ...byCallers].filter((l) => l.includes('.') || !locals.has(l));
        const entry = t.kind === 'subscript' && t.key && CONSTANT_KEY.test(t.key) ? t.key : undefined;
        if (locks.length > 0) out.push({ state, cls: owner, locks, entry, fn, scope: scope.id, span: w.span });
      }
    }
  }
  return out;
}

/** A string or integer literal used as a key. */
const CONSTANT_KEY = /^(?:(['"])[^'"]*\1|-?\d+)$/;

/** Shared-state writes inside a with-block: where a useless lock's finding belongs. */
function writesIn(mod: ModuleIndex, scopeId: number, start: number, end: number): Span[] {
  const scope = mod.model.scopes[scopeId];
  const locals = localNames(mod, scope);
  const spans: Span[] = [];
  for (const w of mod.writesByScope.get(scopeId) ?? []) {
    if (w.start < start || w.end > end) continue;
    const shared = w.targets.some((t) => {
      const state = stateKey(mod, scope, t.text, t.kind, t.object);
      const root = state?.split(/[.[]/)[0];
      return !!root && (root === 'self' || !locals.has(root));
    });
    if (shared) spans.push(w.span);
  }
  return spans;
}

export function lockDiscipline(mod: ModuleIndex, locks: LockBinding[], guarded: GuardedWrite[]): Finding[] {
  const findings: Finding[] = [];
  const useless = (span: Span, message: string, lock: string) =>
    findings.push({ rule: 'shared-mutation', severity: 'warning', span, message, fixes: [], data: { lock } });
  for (const fresh of freshLockRegions(mod)) {
    const why = `\`${fresh.expr}\` makes a new lock every time this \`with\` runs, so no two threads ever wait for each other: it protects nothing. Create the lock once (at module level or in \`__init__\`) and share it.`;
    const inside = writesIn(mod, fresh.scope, fresh.start, fresh.end);
    if (inside.length === 0) useless(fresh.span, why, fresh.expr);
    for (const span of inside) useless(span, `This update is not protected: ${why}`, fresh.expr);
  }
  for (const b of locks) {
    if (!b.mutex || !b.perCall) continue;
    const scope = mod.model.scopes[b.scope];
    const regions = (mod.regionsByScope.get(scope.id) ?? []).filter(
      (r) => r.kind === 'with' && r.items.some((i) => i.expr === b.name),
    );
    if (regions.length === 0) continue;
    const why = `\`${b.name}\` is created inside \`${scope.name}\` on every call and never shared, so each call locks its own lock: it protects nothing. Create it once at module level (or in \`__init__\`) and use that one.`;
    const inside = regions.flatMap((r) => writesIn(mod, scope.id, r.bodyStart, r.end));
    if (inside.length === 0) useless(b.span, why, b.name);
    for (const span of inside) useless(span, `This update is not protected: ${why}`, b.name);
  }
  const byState = new Map<string, GuardedWrite[]>();
  for (const g of guarded) {
    const key = `${g.cls ?? ''}:${g.state}`;
    byState.set(key, [...(byState.get(key) ?? []), g]);
  }
  for (const writes of byState.values()) {
    for (const w of writes) {
      // Two writes conflict when no lock is held at both; every write in such a pair is unprotected. Entries
      // at two different constant keys (`progress["rendered"]`, `progress["pending"]`) are different state.
      const other = writes.find(
        (o) =>
          o !== w &&
          !o.locks.some((l) => w.locks.includes(l)) &&
          (w.entry === undefined || o.entry === undefined || w.entry === o.entry),
      );
      if (!other) continue;
      findings.push({
        rule: 'shared-mutation',
        severity: 'warning',
        span: w.span,
        message: `\`${w.state}\` is written under \`${w.locks[0]}\` here but under \`${other.locks[0]}\` in \`${other.fn}\`: two different locks do not exclude each other. Guard every access to it with the same lock.`,
        fixes: [],
        data: { state: w.state, lock: other.locks[0] },
      });
    }
  }
  return findings;
}

/**
 * A flag a lock's holder tests and sets in one locked step (`with _lock: if not _started: _started =
 * True`), which a spawned thread writes without that lock (`_started = False` as the loop ends). The
 * locked test can see the old value and act on it while the thread is changing it (a caller sees the loop
 * still running as it ends, and starts none), and the thread's write can undo a test-and-set that just
 * happened. Reported at the thread's unguarded write. `spawnedOn` names the spawned threads that run a
 * function. Only module globals are followed: an object's `self.x` is also written by its constructor and
 * by resets before or after its threads run, which this cannot tell apart (on the study's trees, the
 * `self.x` version reported such writes in 20 places).
 */
export function unguardedThreadWrites(
  mod: ModuleIndex,
  locks: LockBinding[],
  config: Config,
  guarded: GuardedWrite[],
  spawnedOn: (scope: Scope) => { name: string }[],
): Finding[] {
  // Globals tested and written under one lock in one function: name -> (lock, function).
  const testedAndSet = new Map<string, { lock: string; fn: string }>();
  const candidates = guarded.filter((g) => !g.cls && /^[A-Za-z_]\w*$/.test(g.state));
  if (candidates.length === 0) return [];
  for (const g of candidates) {
    if (testedAndSet.has(g.state)) continue;
    const scope = mod.model.scopes[g.scope];
    const guards = guardsIn(mod, scope, locks, config);
    const tested = (mod.regionsByScope.get(scope.id) ?? []).some(
      (r) => r.kind === 'if' && mentions(r.expr, g.state) && g.locks.some((l) => heldAt(guards, r.start).includes(l)),
    );
    if (tested) testedAndSet.set(g.state, { lock: g.locks[0], fn: g.fn });
  }
  if (testedAndSet.size === 0) return [];
  const findings: Finding[] = [];
  for (const scope of mod.model.scopes) {
    if (scope.kind !== 'function') continue;
    const writes = mod.writesByScope.get(scope.id) ?? [];
    if (writes.length === 0) continue;
    let threads: { name: string }[] | undefined;
    let guards: Guard[] | undefined;
    for (const w of writes) {
      if (w.kind !== 'assign' || w.op !== '=') continue;
      for (const t of w.targets) {
        if (t.kind !== 'identifier' || !mod.globals.get(scope.id)?.has(t.text)) continue;
        const found = testedAndSet.get(t.text);
        if (!found) continue;
        guards ??= guardsIn(mod, scope, locks, config);
        if (heldAt(guards, w.start).length > 0) continue;
        threads ??= spawnedOn(scope);
        if (threads.length === 0) continue;
        findings.push({
          rule: 'shared-mutation',
          severity: 'warning',
          span: w.span,
          message: `\`${t.text}\` is tested and set under \`${found.lock}\` in \`${found.fn}\`, but the thread running \`${threads[0].name}\` writes it here without the lock: a test under the lock can act on the value this write is about to replace, and this write can undo a test-and-set that just happened. Make the decision and this write under \`${found.lock}\`, in one step.`,
          fixes: [],
          data: { state: t.text, lock: found.lock, threads: threads.map((x) => x.name) },
        });
      }
    }
  }
  return findings;
}
