/**
 * Rule `shared-mutation`: an unsynchronised write or read-modify-write to state that more than one
 * thread reaches. Its home: the rule gathers the thread entries (spawned targets, the spawning code
 * while its threads run, and library entries: library.ts), walks what they reach (reach.ts), pairs the
 * writers of each state, and reports the racy writes (hits.ts), locks that fail (lockDiscipline.ts) and
 * iteration over containers other threads change (iteration.ts). The README's shared-mutation section
 * is its user documentation.
 */
import type { Call, Region, Scope } from '../../../model/types';
import { lockNameFor, newModuleLock, wrapInWith } from '../../fixes';
import type { LockBinding } from '../../locks';
import { type MemoKey, memo, memoKey } from '../../memo';
import { attrsFromParams } from '../../origins/bindings';
import { funcKey, type ModuleIndex, methodOf } from '../../resolve';
import type { SpawnSite } from '../../targets';
import type { Config, Finding, Fix, LockInfo, ThreadTarget } from '../../types';
import type { Rule } from '../registry';
import { contextStacks } from './contextStacks';
import { decoratorObjectState } from './decoratorObjects';
import { lostHandshakes } from './handshakes';
import { carriedRacyWrites, FAILS_WHEN_GONE, type Hit, sharedMutationFinding } from './hits';
import { iterationRaces, registryIterations, spawnedWriterIterations } from './iteration';
import { libraryRoots } from './library';
import { cellOwner, type GuardedWrite, guardedWrites, lockDiscipline, unguardedThreadWrites } from './lockDiscipline';
import { loopThread } from './loopThread';
import { unguardedOwnedCalls } from './ownedObjects';
import { queueChecks } from './queueChecks';
import { type Entry, inWindow, mergeSpans, type Visit, walkCalls } from './reach';
import { splitSections } from './splitSections';
import { lostStops } from './stopFlags';

export const sharedMutationRule: Rule = {
  id: 'shared-mutation',
  title: 'Unsynchronised writes to state that several threads reach',
  description:
    'A write or read-modify-write (x += 1, d[k] += 1, self.n += 1, check-then-act) to state reachable from ' +
    'more than one thread, made without holding a lock. Updates can be lost; guard the state with a ' +
    'threading.Lock or hand it to a single writer through a queue. Not reported: state owned by one asyncio ' +
    'event loop, and benign races whose only effect is duplicated work (a memo of equal values, a warn-once set).',
  run({ project, config, cctx, locksOf, sites, targets }) {
    const roots = threadRoots(sites, targets);
    roots.push(...mainThreadRoots(sites, targets));
    const loop = loopThread(project, sites);
    roots.push(...libraryRoots(project, config, sites, locksOf, loop));
    const reach = walkCalls(cctx, config, roots, locksOf);
    const hitsByMod = racyHits(reach.visits, config, locksOf);
    return ({ mod, locks, lockInfos }) => {
      const guarded = guardedWrites(mod, locks, config);
      const iterations = iterationRaces(mod, locks, config, loop);
      const reported = new Set(iterations.map((f) => f.span.line));
      return [
        // Lock-discipline findings come first: on a shared line their message says why the lock failed.
        ...lockDiscipline(mod, locks, guarded),
        ...unguardedThreadWrites(mod, locks, config, guarded, (scope) => spawnedOn(reach.visits, mod, scope)),
        ...sharedMutationFindings(mod, hitsByMod.get(mod) ?? [], lockInfos, locks, guarded),
        ...iterations,
        ...spawnedWriterIterations(
          mod,
          (m, scope) => spawnedOn(reach.visits, m, scope),
          locksOf,
          config,
          reported,
          loop,
        ),
        ...queueChecks(mod, locks, config),
        ...lostStops(mod, locks, config),
        ...lostHandshakes(mod, locks, config),
        ...splitSections(mod, locks, config),
        ...unguardedOwnedCalls(mod, locks, config, locksOf),
        ...decoratorObjectState(mod, locks, config),
        ...contextStacks(mod, locks, config),
        ...registryIterations(mod, (scopeId, offset) => onThread(reach.visits, mod, scopeId, offset), config),
      ];
    };
  },
};

/**
 * Does a thread run this function at `offset`: a visit from a spawned target or a library entry (hints
 * aside: public API of a module with no sign of threads), or the spawning code inside its window?
 */
function onThread(visits: Map<string, Visit[]>, mod: ModuleIndex, scopeId: number, offset: number): boolean {
  const scope = mod.model.scopes[scopeId];
  if (scope.kind === 'module' || scope.kind === 'class') return false;
  return (visits.get(funcKey({ mod, scope })) ?? []).some(
    (v) => !v.entry.hint && (!v.entry.window || inWindow(v.entry.window, offset)),
  );
}

/** The spawned threads (not the spawning code's windows) whose walk reaches a function. */
function spawnedOn(
  visits: Map<string, Visit[]>,
  mod: ModuleIndex,
  scope: Scope,
): { name: string; concurrent: boolean }[] {
  const out: { name: string; concurrent: boolean }[] = [];
  for (const v of visits.get(funcKey({ mod, scope })) ?? []) {
    if (!v.entry.spawned || v.entry.window || out.some((o) => o.name === v.entry.name)) continue;
    out.push({ name: v.entry.name, concurrent: v.entry.concurrent });
  }
  return out;
}

function threadRoots(sites: Map<ModuleIndex, SpawnSite[]>, targets: Map<string, ThreadTarget>): Visit[] {
  const roots: Visit[] = [];
  for (const list of sites.values()) {
    for (const site of list) {
      if (site.runsIn !== 'thread') continue;
      for (const ref of site.targets) {
        const t = targets.get(funcKey(ref));
        const entry: Entry = {
          spawned: true,
          name: t?.name ?? ref.scope.name,
          concurrent: t?.concurrent ?? site.concurrent,
          because: 'runs in several threads at once',
        };
        let sharedAttrs = new Set<string>();
        if (site.kind === 'thread-subclass') {
          // The class lives where its `run` does, which need not be the module that makes the thread.
          const cls = ref.mod.model.scopes[ref.scope.parent];
          const init = cls ? methodOf(ref.mod, cls, '__init__') : undefined;
          if (init) sharedAttrs = attrsFromParams(ref.mod, init, site.sharedParams);
        }
        if (!entry.concurrent) entry.because = 'runs in a thread';
        roots.push({
          ref,
          entry,
          ctx: {
            sharedParams: site.kind === 'thread-subclass' ? new Set() : site.sharedParams,
            selfShared: site.selfShared,
            sharedAttrs,
            ownParams: site.ownParams,
          },
        });
      }
    }
  }
  return roots;
}

/**
 * Racy writes, decided per state: a write counts when its entry runs in several threads at once, or
 * when two different thread entries (a spawned target and another one, or the spawning code running
 * alongside it) write the same state.
 */
function racyHits(
  visitsByFunction: Map<string, Visit[]>,
  config: Config,
  locksOf: (mod: ModuleIndex) => LockBinding[],
): Map<ModuleIndex, Hit[]> {
  const all: Hit[] = [];
  for (const visits of visitsByFunction.values()) {
    const { mod, scope } = visits[0].ref;
    all.push(...carriedRacyWrites(mod, scope, visits, config, locksOf(mod)));
  }
  // The writers of each state (by module, class for `self.` state, and name), made once per hit.
  const writersOf = new Map<string, Set<string>>();
  const keys = all.map(hitKey);
  all.forEach((h, i) => {
    let set = writersOf.get(keys[i]);
    if (!set) {
      set = new Set<string>();
      writersOf.set(keys[i], set);
    }
    // Spawned entries, and library entries (callers' threads), are writers; a single thread's own
    // update races only when some other writer updates the same state.
    for (const v of h.visits) if (v.entry.spawned || v.entry.concurrent) set.add(v.entry.name);
  });
  // A check-then-act loses to another thread only when its act fails once the item is gone (`remove`, `pop`,
  // `del`); an `add` or a store made on a changed object is the same as making it just after the change.
  const losesToOthers = (h: Hit) => h.what !== 'check-then-act' || FAILS_WHEN_GONE.has(h.op);
  // A check-then-act also loses to a thread that rebinds the attribute between the test and the act
  // (`self._topics = set(topics)` while another thread runs `if t in self._topics: self._topics.remove(t)`):
  // the act then works on the new object, where what the test saw need not hold.
  const rebinding = all.some((h) => h.what === 'check-then-act' && losesToOthers(h))
    ? rebindingEntries(visitsByFunction)
    : undefined;
  const byMod = new Map<ModuleIndex, Hit[]>();
  all.forEach((h, i) => {
    const own = writersOf.get(keys[i])!;
    const loses = losesToOthers(h);
    // The event loop's thread writes state that a method on callers' threads changes too (library.ts
    // loopIntent): that method is this hit's rival.
    const rivals = loses ? h.visits.flatMap((v) => v.entry.contested?.get(h.state) ?? []) : [];
    const rebinders =
      h.what === 'check-then-act' && loses
        ? [...(rebinding?.get(keys[i]) ?? [])].filter((w) => !h.visits.some((v) => v.entry.name === w))
        : [];
    const extra = [...rivals, ...rebinders].filter((w) => !own.has(w));
    const writers = extra.length > 0 ? new Set([...own, ...extra]) : own;
    const paired = writers.size > 1;
    const visits = h.visits.filter((v) => v.entry.concurrent || (paired && v.entry.spawned));
    if (visits.length === 0) return;
    const list = byMod.get(h.mod) ?? [];
    list.push({
      ...h,
      visits,
      writers: paired && !visits.some((v) => v.entry.concurrent) ? [...writers] : undefined,
      rebound: rebinders.length > 0 ? rebinders : undefined,
    });
    byMod.set(h.mod, list);
  });
  return byMod;
}

/** A state's key: its module, its class for `self.` state, and its name. */
function stateKey(mod: ModuleIndex, cls: string | undefined, state: string): string {
  return `${mod.model.path}|${state.startsWith('self.') ? (cls ?? '') : ''}|${state}`;
}

/** The key of the state a hit writes. */
function hitKey(h: Hit): string {
  return stateKey(h.mod, h.mod.model.scopes[h.scope.parent]?.name, h.state);
}

/**
 * The thread entries that rebind a `self.` attribute (`self.x = ...`) in a function they reach with `self`
 * shared, by the state's key: spawned threads and callers' threads, where the entry may report that state.
 */
function rebindingEntries(visitsByFunction: Map<string, Visit[]>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const visits of visitsByFunction.values()) {
    const { mod, scope } = visits[0].ref;
    const cls = mod.model.scopes[scope.parent];
    if (cls?.kind !== 'class') continue;
    for (const w of mod.writesByScope.get(scope.id) ?? []) {
      if (w.kind !== 'assign' || w.op !== '=') continue;
      for (const t of w.targets) {
        if (t.kind !== 'attribute' || !/^self\.\w+$/.test(t.text)) continue;
        const key = stateKey(mod, cls.name, t.text);
        for (const v of visits) {
          if (!v.ctx.selfShared || !(v.entry.spawned || v.entry.concurrent) || v.entry.hint) continue;
          if (v.entry.onlyState && !v.entry.onlyState.has(t.text)) continue;
          if (v.entry.window && !inWindow(v.entry.window, w.start)) continue;
          const set = out.get(key) ?? new Set<string>();
          set.add(v.entry.name);
          out.set(key, set);
        }
      }
    }
  }
  return out;
}

const START_METHODS = new Set(['start']);
const MARKS: MemoKey<Map<number, { starts: Call[]; joins: Call[] }>> = memoKey('startJoinMarks');

/** A scope's `start()` and `join()`-like calls, in source order, computed once per scope. */
function markCalls(mod: ModuleIndex, scopeId: number): { starts: Call[]; joins: Call[] } {
  const perMod = memo(mod, MARKS, () => new Map());
  let marks = perMod.get(scopeId);
  if (!marks) {
    const calls = mod.callsByScope.get(scopeId) ?? [];
    marks = {
      starts: calls.filter((c) => c.method && START_METHODS.has(c.method)),
      joins: calls.filter((c) => c.method && JOIN_METHODS.has(c.method)),
    };
    perMod.set(scopeId, marks);
  }
  return marks;
}

/** The first call starting after `offset` (binary search over calls in source order). */
function firstAfter(calls: Call[], offset: number): Call | undefined {
  let lo = 0;
  let hi = calls.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (calls[mid].start > offset) hi = mid;
    else lo = mid + 1;
  }
  return calls[lo];
}
const JOIN_METHODS = new Set(['join', 'result', 'shutdown', 'wait']);

/** The outermost `with` block of the call's scope around the call (its regions are listed outermost first). */
function enclosingWith(mod: ModuleIndex, call: Call): Region | undefined {
  for (const id of call.regions) {
    const r = mod.model.regions[id];
    if (r.kind === 'with' && r.start < call.start && r.end > call.end) return r;
  }
  return undefined;
}

/**
 * The spawning code keeps running while the thread does: between a thread's `start()` (a pool's
 * `submit`) and the first `join()` / `result()` / `shutdown()` after it, or the end of the executor's
 * `with` block, it is one more thread entry. Awaited offloads (`to_thread`) overlap nothing.
 */
function mainThreadRoots(sites: Map<ModuleIndex, SpawnSite[]>, targets: Map<string, ThreadTarget>): Visit[] {
  // One root per spawning function, holding every stretch where it runs alongside a thread it started.
  const byScope = new Map<
    string,
    {
      mod: ModuleIndex;
      scope: number;
      spans: { start: number; end: number }[];
      names: Set<string>;
      selfShared: boolean;
    }
  >();
  for (const [mod, list] of sites) {
    for (const site of list) {
      if (site.runsIn !== 'thread' || site.kind === 'to-thread' || site.kind === 'run-in-executor' || site.call.awaited)
        continue;
      const scope = mod.model.scopes[site.call.scope];
      if (scope.kind === 'lambda' || scope.kind === 'class') continue;
      const marks = markCalls(mod, scope.id);
      const pool = site.kind === 'thread-pool';
      const start = pool ? site.call : firstAfter(marks.starts, site.call.start);
      if (!start) continue;
      const stop = firstAfter(marks.joins, start.end);
      const block = pool ? enclosingWith(mod, site.call) : undefined;
      const end = Math.min(stop?.start ?? scope.end, block?.end ?? scope.end);
      if (end <= start.end) continue;
      const key = `${mod.model.path}#${scope.id}`;
      const group = byScope.get(key) ?? {
        mod,
        scope: scope.id,
        spans: [],
        names: new Set<string>(),
        selfShared: false,
      };
      group.spans.push({ start: start.end, end });
      for (const t of site.targets) group.names.add(targets.get(funcKey(t))?.name ?? t.scope.name);
      group.selfShared ||= !!site.targetArg?.text.startsWith('self.');
      byScope.set(key, group);
    }
  }
  const roots: Visit[] = [];
  for (const g of byScope.values()) {
    const scope = g.mod.model.scopes[g.scope];
    const names = [...g.names];
    const shown = names.length > 2 ? `${names.slice(0, 2).join(', ')} and others` : names.join(', ');
    const entry: Entry = {
      spawned: true,
      name: `${scope.kind === 'module' ? 'the main thread' : scope.name} (while ${shown} runs)`,
      concurrent: false,
      because: 'keeps running alongside the thread it started',
      window: { scope: g.scope, spans: mergeSpans(g.spans) },
    };
    roots.push({
      ref: { mod: g.mod, scope },
      entry,
      ctx: { sharedParams: new Set(), selfShared: g.selfShared, sharedAttrs: new Set() },
    });
  }
  return roots;
}

function sharedMutationFindings(
  mod: ModuleIndex,
  hits: Hit[],
  infos: LockInfo[],
  bindings: LockBinding[],
  guarded: GuardedWrite[],
): Finding[] {
  const seen = new Set<number>();
  const findings: Finding[] = [];
  // The first lock (in binding order) that guards each state, looked up once per hit.
  const guardedBy = new Map<string, string>();
  for (const info of infos) for (const g of info.guards) if (!guardedBy.has(g)) guardedBy.set(g, info.name);
  // The first write of each state (and owning class) made under a lock, found by key rather than by scan.
  const guardedFirst = new Map<string, GuardedWrite>();
  for (const g of guarded) {
    const key = `${g.cls ?? ''}|${g.state}`;
    if (!guardedFirst.has(key)) guardedFirst.set(key, g);
  }
  const classLock = bindings.find((b) => b.mutex && b.name.startsWith('self.'))?.name;
  for (const hit of hits.sort((a, b) => a.stmtStart - b.stmtStart)) {
    if (seen.has(hit.stmtStart)) continue;
    seen.add(hit.stmtStart);
    const cls = mod.model.scopes[hit.scope.parent];
    const cell = cellOwner(mod, hit.scope, hit.state);
    // A closure cell is known by its function, not by its name, which other functions' cells share.
    const existing = cell ? undefined : guardedBy.get(hit.state);
    const lock = existing ?? (hit.state.startsWith('self.') && hit.scope.parent >= 0 ? classLock : undefined);
    const owner = hit.state.startsWith('self.') && cls?.kind === 'class' ? cls.name : cell;
    const elsewhere = guardedFirst.get(`${owner ?? ''}|${hit.state}`);
    findings.push(
      sharedMutationFinding(
        hit,
        () => lockFix(mod, hit, lock ?? elsewhere?.locks[0]),
        lock,
        elsewhere && { lock: elsewhere.locks[0], fn: elsewhere.fn },
      ),
    );
  }
  return findings;
}

function lockFix(mod: ModuleIndex, hit: Hit, lock: string | undefined): Fix[] {
  const name = lock ?? lockNameFor(hit.state);
  const wrap = wrapInWith(mod.model, hit.stmt, name);
  if (!wrap) return [];
  const edits = lock ? [wrap] : [...newModuleLock(mod.model, name), wrap];
  return [
    {
      title: lock ? `Hold \`${lock}\` around this update` : `Guard with a new module-level lock \`${name}\``,
      edits,
      isPreferred: true,
    },
  ];
}
