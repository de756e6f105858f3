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
import type { Scope, Span } from '../../model/types';
import { freshLockRegions, type Guard, guardAt, guardsIn, type LockBinding } from '../locks';
import { localNames } from '../reach';
import { type ModuleIndex, mentions } from '../resolve';
import type { Config, Finding } from '../types';

export interface GuardedWrite {
  state: string;
  /** The class whose method writes it, for `self.*` state; two classes' `self.x` are different state. */
  cls?: string;
  locks: string[];
  fn: string;
  span: Span;
}

function stateKey(mod: ModuleIndex, scope: Scope, text: string, kind: string, object?: string): string | undefined {
  if (kind === 'subscript') return object;
  if (kind === 'attribute') return text;
  return mod.globals.get(scope.id)?.has(text) || mod.nonlocals.get(scope.id)?.has(text) ? text : undefined;
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
    if (guards.length === 0) continue;
    const cls = mod.model.scopes[scope.parent];
    const fn = cls?.kind === 'class' ? `${cls.name}.${scope.name}` : scope.name;
    const locals = localNames(mod, scope);
    for (const w of mod.writesByScope.get(scope.id) ?? []) {
      if (!guardAt(guards, w.start)) continue;
      for (const t of w.targets) {
        const state = stateKey(mod, scope, t.text, t.kind, t.object);
        const root = state?.split(/[.[]/)[0];
        if (!state || !root || (root !== 'self' && locals.has(root))) continue;
        const owner = root === 'self' && cls?.kind === 'class' ? cls.name : undefined;
        out.push({ state, cls: owner, locks: heldAt(guards, w.start), fn, span: w.span });
      }
    }
  }
  return out;
}

export function lockDiscipline(mod: ModuleIndex, locks: LockBinding[], guarded: GuardedWrite[]): Finding[] {
  const findings: Finding[] = [];
  for (const fresh of freshLockRegions(mod)) {
    findings.push({
      rule: 'shared-mutation',
      severity: 'warning',
      span: fresh.span,
      message: `\`${fresh.expr}\` makes a new lock every time this \`with\` runs, so no two threads ever wait for each other: it protects nothing. Create the lock once (at module level or in \`__init__\`) and share it.`,
      fixes: [],
      data: { lock: fresh.expr },
    });
  }
  for (const b of locks) {
    if (!b.mutex || b.scope === 0 || b.name.includes('.')) continue;
    const scope = mod.model.scopes[b.scope];
    if (scope.kind !== 'function' || escapes(mod, scope, b.name)) continue;
    const used = (mod.regionsByScope.get(scope.id) ?? []).some((r) => r.items.some((i) => i.expr === b.name));
    if (!used) continue;
    findings.push({
      rule: 'shared-mutation',
      severity: 'warning',
      span: b.span,
      message: `\`${b.name}\` is created inside \`${scope.name}\` on every call and never shared, so each call locks its own lock: it protects nothing. Create it once at module level (or in \`__init__\`) and use that one.`,
      fixes: [],
      data: { lock: b.name },
    });
  }
  // Locks made fresh inside a function are reported above; they take no part in the consistency check.
  const local = new Set(locks.filter((b) => b.scope !== 0 && !b.name.includes('.')).map((b) => b.name));
  const byState = new Map<string, GuardedWrite[]>();
  for (const g of guarded) {
    if (g.locks.every((l) => local.has(l))) continue;
    const key = `${g.cls ?? ''}:${g.state}`;
    byState.set(key, [...(byState.get(key) ?? []), g]);
  }
  for (const writes of byState.values()) {
    const first = writes[0];
    const state = first.state;
    for (const w of writes.slice(1)) {
      if (w.locks.some((l) => first.locks.includes(l))) continue;
      findings.push({
        rule: 'shared-mutation',
        severity: 'warning',
        span: w.span,
        message: `\`${state}\` is written under \`${w.locks[0]}\` here but under \`${first.locks[0]}\` in \`${first.fn}\`: two different locks do not exclude each other. Guard every access to it with the same lock.`,
        fixes: [],
        data: { state, lock: first.locks[0] },
      });
    }
  }
  return findings;
}

/** A local lock that is passed on, captured or stored may well be shared; only purely local ones are flagged. */
function escapes(mod: ModuleIndex, scope: Scope, name: string): boolean {
  if ((mod.callsByScope.get(scope.id) ?? []).some((c) => c.args.some((a) => mentions(a.text, name)))) return true;
  if (
    (mod.writesByScope.get(scope.id) ?? []).some(
      (w) => w.targets.every((t) => t.text !== name) && mentions(w.value, name),
    )
  )
    return true;
  const nested = mod.model.scopes.filter((s) => s.parent === scope.id);
  return nested.some((s) => mod.model.lines.slice(s.span.line, s.span.endLine + 1).some((l) => mentions(l, name)));
}
