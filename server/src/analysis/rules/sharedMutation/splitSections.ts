/**
 * Rule `shared-mutation`, a split critical section: a decision taken under a lock drives a write in a
 * later section under the same lock, with the lock released in between and no second look.
 *
 *     with self._lock:
 *         affordable = self._cash[account] >= cost
 *     if not affordable:
 *         return False
 *     with self._lock:
 *         self._cash[account] -= cost        # reported: the balance may have changed meanwhile
 *
 * Each section is atomic, but the pair is not: another thread can take the lock between them and change
 * the state the decision read, so the write acts on a stale answer (an overdraft, a `KeyError` on a key
 * another thread removed, two threads both creating the entry). A lock taken twice around one piece of
 * state is the author's own evidence that other threads change it, so no spawn need be seen.
 *
 * The decision is a local bound in the first section from the state (`v = self.x[k] ...`, `ok = k in
 * self.d`). The write is to the same state in a later section of the same lock, and it follows from the
 * decision: it sits under an `if` that tests the local, after an early exit that tests it, or writes a
 * value computed from it. The write takes something out (`del`, `pop`, `remove`, `popleft`), updates in
 * place (`-=`), or stores a value computed from the decision. Not reported: a second section that tests
 * the state again before writing (the re-check the fix asks for), writes that tolerate any answer
 * (`pop(k, None)`, `discard`), insertions and memo fills after a miss (duplicated work at worst), and a
 * local rebound between the sections.
 */
import type { Region, Scope, Write } from '../../../model/types';
import { type Guard, guardsIn, type LockBinding } from '../../locks';
import { type ModuleIndex, mentions } from '../../resolve';
import type { Config, Finding } from '../../types';

const SELF_ROOT = /\bself\.\w+/g;
/**
 * Acts that a stale answer turns wrong: taking out (a `KeyError` or `IndexError` once another thread took
 * it), and updates in place (`-=` on a balance another thread already spent). An insertion on a stale "not
 * there" only adds what another thread may have added too, and a store of a freshly computed value after a
 * miss is a memo fill: duplicated work, not a wrong result.
 */
const ACTS = /^(pop|popitem|remove|clear|popleft)$/;

interface Decision {
  local: string;
  roots: Set<string>;
  line: number;
  end: number;
}

export function splitSections(mod: ModuleIndex, locks: LockBinding[], config: Config): Finding[] {
  if (config.assumeThreads === 'never') return [];
  const findings: Finding[] = [];
  for (const scope of mod.model.scopes) {
    if (scope.kind !== 'function') continue;
    const guards = outermost(guardsIn(mod, scope, locks, config));
    if (guards.length < 2) continue;
    const writes = mod.writesByScope.get(scope.id) ?? [];
    const ifs = (mod.regionsByScope.get(scope.id) ?? []).filter((r) => r.kind === 'if' || r.kind === 'while');
    for (let i = 0; i < guards.length; i++) {
      const decisions = decisionsIn(writes, guards[i]);
      if (decisions.length === 0) continue;
      for (let j = i + 1; j < guards.length; j++) {
        const later = guards[j];
        if (later.lock !== guards[i].lock) continue;
        const hit = staleWrite(mod, scope, decisions, later, writes, ifs);
        if (!hit) continue;
        findings.push({
          rule: 'shared-mutation',
          severity: 'warning',
          span: hit.span,
          message: `\`${hit.decision.local}\` is decided from \`${hit.root}\` under \`${later.lock}\` (line ${hit.decision.line + 1}), the lock is released, and this later section under it changes \`${hit.root}\` on that answer without looking again: another thread can take the lock in between and change \`${hit.root}\`, so the write acts on a stale decision. Keep the decision and the write in one \`with ${later.lock}:\` block, or test \`${hit.root}\` again inside this one.`,
          fixes: [],
          data: { state: hit.root, lock: later.lock },
        });
      }
    }
  }
  return findings;
}

/** Guards not inside another guard of the same lock (a nested `with` of an RLock is one section). */
function outermost(guards: Guard[]): Guard[] {
  const sorted = [...guards].sort((a, b) => a.start - b.start);
  return sorted.filter(
    (g) => !sorted.some((o) => o !== g && o.lock === g.lock && o.start <= g.start && o.end >= g.end),
  );
}

/** Locals bound in a section from the state it reads: `ok = key in self._claims`. */
function decisionsIn(writes: Write[], g: Guard): Decision[] {
  const out: Decision[] = [];
  for (const w of writes) {
    if (w.start < g.start || w.end > g.end || w.kind !== 'assign' || w.targets.length !== 1) continue;
    const t = w.targets[0];
    if (t.kind !== 'identifier') continue;
    const roots = new Set(w.value.match(SELF_ROOT) ?? []);
    if (roots.size > 0) out.push({ local: t.text, roots, line: w.span.line, end: w.end });
  }
  return out;
}

/** `self._cash`, `self._cash[k]` or `self._cash.items` are within `self._cash`; `self._cashier` is not. */
const within = (text: string | undefined, root: string) =>
  !!text && (text === root || text.startsWith(`${root}.`) || text.startsWith(`${root}[`));

function staleWrite(
  mod: ModuleIndex,
  scope: Scope,
  decisions: Decision[],
  later: Guard,
  writes: Write[],
  ifs: Region[],
): { span: Finding['span']; decision: Decision; root: string } | undefined {
  for (const d of decisions) {
    // A local bound again before the second section holds a newer answer.
    if (writes.some((w) => w.start > d.end && w.start < later.start && w.targets.some((t) => t.text === d.local)))
      continue;
    for (const root of d.roots) {
      // The second section looks at the state again before it writes: the re-check.
      const rechecked = (at: number) =>
        ifs.some((r) => r.start >= later.start && r.start < at && mentions(r.expr, root));
      const follows = (at: number, value: string) =>
        mentions(value, d.local) ||
        ifs.some(
          (r) =>
            r.start > d.end &&
            mentions(r.expr, d.local) &&
            ((r.thenStart <= at && at < r.thenEnd) || (r.thenExits && r.end <= later.start)),
        );
      for (const w of writes) {
        if (w.start < later.start || w.end > later.end) continue;
        const target = w.targets.find((t) => within(t.kind === 'subscript' ? t.object : t.text, root));
        if (!target || rechecked(w.start) || !follows(w.start, w.value)) continue;
        // A store follows from the decision only when its value comes from it (`self.n[k] = seen + 1`).
        if (w.kind === 'assign' && !mentions(w.value, d.local)) continue;
        return { span: target.span, decision: d, root };
      }
      for (const c of mod.callsByScope.get(scope.id) ?? []) {
        if (c.start < later.start || c.end > later.end || !c.method || !ACTS.test(c.method)) continue;
        if (!within(c.receiver, root) || (c.method === 'pop' && c.args.length > 1)) continue;
        if (rechecked(c.start) || !follows(c.start, c.args.map((a) => a.text).join(','))) continue;
        return { span: c.span, decision: d, root };
      }
    }
  }
  return undefined;
}
