/**
 * Runs every analysis over a set of module models analysed together (so
 * calls between files resolve) and gathers per-file reports: thread targets
 * with their classification, findings with fixes, and lock facts for hovers.
 * Pure: no LSP, fs or child_process.
 */
import type { Call, ModuleModel, Region } from '../model/types';
import { epochOf, noteTable } from './carry';
import { decide, type Evidence, evidenceOf, newClassifyContext, reasonsFor } from './classify';
import { lockNameFor, newModuleLock, wrapInWith } from './fixes';
import { libraryRoots } from './library';
import { type LockBinding, lockBindings } from './locks';
import { attrsFromParams, type Entry, mergeSpans, type Visit, walkCalls } from './reach';
import { funcKey, indexProject, type ModuleIndex, methodOf, type ProjectIndex } from './resolve';
import { blockingInAsync } from './rules/blockingInAsync';
import { cpuBoundThread } from './rules/cpuBoundThread';
import { iterationRaces } from './rules/iteration';
import { type GuardedWrite, guardedWrites, lockDiscipline } from './rules/lockDiscipline';
import { processPoolHazard } from './rules/processPoolHazard';
import { carriedRacyWrites, type Hit, sharedMutationFinding } from './rules/sharedMutation';
import { applySuppressions } from './suppress';
import { executorBindings, findSpawns, isPicklableTarget, type SpawnSite } from './targets';
import type { Config, FileReport, Finding, Fix, LockInfo, ThreadTarget } from './types';

/**
 * `carry` lets this run reuse facts from the previous run over the same files (carry.ts): the language
 * server's keystrokes do; one-shot runs need not pay for keeping them.
 */
export function analyzeProject(
  models: ModuleModel[],
  config: Config,
  focus?: Set<string>,
  carry = false,
): FileReport[] {
  const epoch = epochOf(models, config, carry);
  const project = indexProject(models, epoch);
  const cctx = newClassifyContext(project, config);
  const locks = new Map<ModuleIndex, LockBinding[]>();
  for (const mod of project.modules) {
    const bindings = lockBindings(mod, config);
    locks.set(mod, bindings);
    // Facts carried about `with x:` blocks hold while the names bound to locks keep their meaning.
    noteTable(
      epoch,
      `locks:${mod.model.path}`,
      bindings.map((b) => [
        b.name,
        `${b.kind} ${b.mutex} ${b.perCall} ${b.canonical} ${mod.model.scopes[b.scope]?.name ?? ''}`,
      ]),
    );
  }
  const locksOf = (mod: ModuleIndex) => locks.get(mod) ?? [];
  const executors = new Map(project.modules.map((mod) => [mod, executorBindings(mod)]));
  for (const [mod, list] of executors) {
    // Carried spawn sites hold while the names bound to executors keep their meaning.
    const entries = list.map((b): [string, string] => [b.name, `${b.kind} ${mod.model.scopes[b.scope]?.name ?? ''}`]);
    noteTable(epoch, `executors:${mod.model.path}`, entries);
  }
  const sites = new Map<ModuleIndex, SpawnSite[]>();
  for (const mod of project.modules) sites.set(mod, findSpawns(project, mod, executors.get(mod) ?? []));
  const targetsByMod = new Map<ModuleIndex, ThreadTarget[]>();
  const targets = buildTargets(project, sites, cctx, targetsByMod);
  const roots = threadRoots(sites, targets);
  roots.push(...mainThreadRoots(sites, targets));
  roots.push(...libraryRoots(project, config, sites, locksOf));
  const reach = walkCalls(cctx, config, roots, locksOf);
  const hitsByMod = racyHits(reach.visits, config, locksOf);
  const reports: FileReport[] = [];
  for (const mod of project.modules) {
    if (focus && !focus.has(mod.model.path)) continue;
    const modSites = sites.get(mod) ?? [];
    const lockInfos = lockInfo(mod, locksOf(mod));
    const guarded = guardedWrites(mod, locksOf(mod), config);
    let findings: Finding[] = [
      // Lock-discipline findings come first: on a shared line their message says why the lock failed.
      ...lockDiscipline(mod, locksOf(mod), guarded),
      ...sharedMutationFindings(mod, hitsByMod.get(mod) ?? [], lockInfos, locksOf(mod), guarded),
      ...iterationRaces(mod, locksOf(mod), config),
      ...cpuBoundThread(mod, modSites, targets, (s) => s.targets.map(funcKey)),
      ...blockingInAsync(mod),
      ...processPoolHazard(mod, modSites),
    ];
    findings = applyConfig(applySuppressions(mod.model, onePerLine(findings)), config);
    findings.sort((a, b) => a.span.line - b.span.line || a.span.col - b.span.col || a.rule.localeCompare(b.rule));
    const threadTargets = (targetsByMod.get(mod) ?? []).sort((a, b) => a.span.line - b.span.line);
    reports.push({ path: mod.model.path, findings, threadTargets, locks: lockInfos });
  }
  return reports;
}

function buildTargets(
  project: ProjectIndex,
  sites: Map<ModuleIndex, SpawnSite[]>,
  cctx: ReturnType<typeof newClassifyContext>,
  byMod: Map<ModuleIndex, ThreadTarget[]>,
): Map<string, ThreadTarget> {
  const targets = new Map<string, ThreadTarget>();
  for (const mod of project.modules) {
    for (const site of sites.get(mod) ?? []) {
      if (site.runsIn !== 'thread') continue;
      for (const ref of site.targets) {
        const k = funcKey(ref);
        let t = targets.get(k);
        if (!t) {
          const e = site.kind === 'timer' ? timerWait(evidenceOf(cctx, ref), site) : evidenceOf(cctx, ref);
          const classification = decide(e);
          const cls = ref.mod.model.scopes[ref.scope.parent];
          t = {
            name: cls?.kind === 'class' ? `${cls.name}.${ref.scope.name}` : ref.scope.name,
            span: ref.scope.span,
            spawns: [],
            classification,
            reasons: reasonsFor(e, classification),
            concurrent: false,
            picklable: isPicklableTarget(ref),
            runsIn: 'thread',
          };
          targets.set(k, t);
          const list = byMod.get(ref.mod);
          if (list) list.push(t);
          else byMod.set(ref.mod, [t]);
        }
        t.spawns.push({
          kind: site.kind,
          span: site.call.span,
          api: site.call.callee,
          concurrent: site.concurrent,
          executor: site.executor,
        });
        t.concurrent ||= site.concurrent || t.spawns.length > 1;
      }
    }
  }
  return targets;
}

/**
 * A Timer's thread waits out its interval before it calls the function, so a Timer target is a wait on
 * top of whatever the function does. A new evidence object: the function's own is memoised and carried.
 */
function timerWait(e: Evidence, site: SpawnSite): Evidence {
  const line = site.call.span.line;
  return {
    ...e,
    io: e.io + 2,
    reasons: [
      ...e.reasons,
      { text: `line ${line + 1}: the Timer's thread sleeps for its interval first`, line, kind: 'io' },
    ],
  };
}

function threadRoots(sites: Map<ModuleIndex, SpawnSite[]>, targets: Map<string, ThreadTarget>): Visit[] {
  const roots: Visit[] = [];
  for (const [mod, list] of sites) {
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
          const cls = mod.model.scopes[ref.scope.parent];
          const init = cls ? methodOf(mod, cls, '__init__') : undefined;
          if (init) sharedAttrs = attrsFromParams(mod, init, site.sharedParams);
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
  const writersOfHit: Set<string>[] = [];
  for (const h of all) {
    const key = `${h.mod.model.path}|${h.state.startsWith('self.') ? h.mod.model.scopes[h.scope.parent]?.name : ''}|${h.state}`;
    let set = writersOf.get(key);
    if (!set) {
      set = new Set<string>();
      writersOf.set(key, set);
    }
    // Spawned entries, and library entries (callers' threads), are writers; a single thread's own
    // update races only when some other writer updates the same state.
    for (const v of h.visits) if (v.entry.spawned || v.entry.concurrent) set.add(v.entry.name);
    writersOfHit.push(set);
  }
  const byMod = new Map<ModuleIndex, Hit[]>();
  for (let i = 0; i < all.length; i++) {
    const h = all[i];
    const writers = writersOfHit[i];
    const paired = writers.size > 1;
    const visits = h.visits.filter((v) => v.entry.concurrent || (paired && v.entry.spawned));
    if (visits.length === 0) continue;
    const list = byMod.get(h.mod) ?? [];
    list.push({
      ...h,
      visits,
      writers: paired && !visits.some((v) => v.entry.concurrent) ? [...writers] : undefined,
    });
    byMod.set(h.mod, list);
  }
  return byMod;
}

const START_METHODS = new Set(['start']);
const markCache = new WeakMap<ModuleIndex, Map<number, { starts: Call[]; joins: Call[] }>>();

/** A scope's `start()` and `join()`-like calls, in source order, computed once per scope. */
function markCalls(mod: ModuleIndex, scopeId: number): { starts: Call[]; joins: Call[] } {
  let perMod = markCache.get(mod);
  if (!perMod) {
    perMod = new Map();
    markCache.set(mod, perMod);
  }
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

function lockInfo(mod: ModuleIndex, bindings: LockBinding[]): LockInfo[] {
  // One pass over regions and calls, then per lock only its own with-blocks.
  const withs = new Map<string, { span: LockInfo['span']; region: (typeof mod.model.regions)[number] }[]>();
  for (const r of mod.withRegions) {
    for (const item of r.items) push(withs, item.expr, { span: item.span, region: r });
  }
  const acquires = new Map<string, LockInfo['span'][]>();
  for (const c of mod.acquireCalls) if (c.receiver) push(acquires, c.receiver, c.span);
  const infos: LockInfo[] = [];
  for (const b of bindings) {
    if (b.kind === 'local') continue;
    const info: LockInfo = {
      name: b.name,
      span: b.span,
      kind: b.kind,
      guards: [],
      uses: [...(acquires.get(b.name) ?? [])],
    };
    for (const { span, region } of withs.get(b.name) ?? []) {
      info.uses.push(span);
      for (const w of mod.writesByScope.get(region.scope) ?? []) {
        if (w.start < region.bodyStart || w.end > region.end) continue;
        for (const t of w.targets) {
          if (t.kind !== 'identifier' || mod.globals.get(w.scope)?.has(t.text))
            info.guards.push(t.kind === 'subscript' ? t.object! : t.text);
        }
      }
    }
    info.guards = [...new Set(info.guards)];
    infos.push(info);
  }
  return infos;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** One finding per rule and line: the first (most specific) one wins. */
function onePerLine(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const k = `${f.rule}:${f.span.line}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
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
    const existing = guardedBy.get(hit.state);
    const lock = existing ?? (hit.state.startsWith('self.') && hit.scope.parent >= 0 ? classLock : undefined);
    const cls = mod.model.scopes[hit.scope.parent];
    const owner = hit.state.startsWith('self.') && cls?.kind === 'class' ? cls.name : undefined;
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

function applyConfig(findings: Finding[], config: Config): Finding[] {
  const out: Finding[] = [];
  for (const f of findings) {
    const sev = config.rules[f.rule];
    if (sev === 'off') continue;
    // A configured severity overrides the rule's default; a finding the evidence made milder than that
    // (a library-mode free-threading hint, a blocking call in a one-shot entry coroutine) stays as mild
    // unless the configuration asks for milder still.
    // Set in place: the findings are this run's, and a copy would build their lazy fixes (fixes.ts).
    if (f.severity !== 'hint' && f.severity !== 'info') f.severity = sev;
    else if (f.severity === 'info' && sev === 'hint') f.severity = 'hint';
    out.push(f);
  }
  return out;
}

/** Classify any function (`name` or `Class.method`) the way thread targets are, for the benchmark's prediction. */
export function classifyFunction(
  models: ModuleModel[],
  path: string,
  name: string,
  config: Config,
): { classification: ThreadTarget['classification']; reasons: ThreadTarget['reasons'] } | undefined {
  const project = indexProject(models);
  const mod = project.modules.find((m) => m.model.path === path);
  if (!mod) return undefined;
  const [owner, method] = name.includes('.') ? name.split('.', 2) : [undefined, name];
  const scope = mod.model.scopes.find(
    (s) =>
      s.kind === 'function' &&
      s.name === method &&
      (owner ? mod.model.scopes[s.parent]?.name === owner : mod.model.scopes[s.parent]?.kind !== 'class'),
  );
  if (!scope) return undefined;
  const e = evidenceOf(newClassifyContext(project, config), { mod, scope });
  const classification = decide(e);
  return { classification, reasons: reasonsFor(e, classification) };
}
