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
import type { Scope } from '../model/types';
import { EXECUTOR_FACTORIES } from './knowledge';
import { type LockBinding, lockBindings } from './locks';
import type { Entry, Visit } from './reach';
import { type ModuleIndex, type ProjectIndex, qualify } from './resolve';
import type { SpawnSite } from './targets';
import type { Config } from './types';

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
const MAIN_GUARD = /__name__\s*==\s*['"]__main__['"]/;

export function isPublicMethod(name: string): boolean {
  return !CONSTRUCTION.has(name) && (!name.startsWith('_') || (name.startsWith('__') && name.endsWith('__')));
}

/** Why a class looks meant for concurrent use, or undefined when nothing says so. */
export function classIntent(mod: ModuleIndex, cls: Scope, locks: LockBinding[]): string | undefined {
  const methods = (mod.children.get(cls.id) ?? []).filter((m) => m.kind === 'function');
  const methodIds = new Set(methods.map((m) => m.id));
  const own = locks.find((b) => b.mutex && b.name.startsWith('self.') && methodIds.has(b.scope));
  if (own) return `\`${cls.name}\` holds \`${own.name}\`, so its methods are meant to be called from several threads`;
  const moduleLocks = locks.filter((b) => b.mutex && b.scope === 0).map((b) => b.name);
  for (const m of methods) {
    for (const r of mod.regionsByScope.get(m.id) ?? []) {
      const used = r.items.find((i) => moduleLocks.includes(i.expr));
      if (used)
        return `\`${cls.name}.${m.name}\` takes \`${used.expr}\`, so the class is meant to be used from several threads`;
    }
  }
  const isThread = cls.bases.some((b) => qualify(mod, b) === 'threading.Thread');
  if (!isThread) {
    for (const m of methods) {
      for (const call of mod.callsByScope.get(m.id) ?? []) {
        const q = qualify(mod, call.callee);
        if (q === 'threading.Thread' || q === 'threading.Timer' || EXECUTOR_FACTORIES.get(q) === 'thread-pool') {
          return `\`${cls.name}\` starts threads (\`${call.callee}\` in \`${m.name}\`), so its state is used from them and from callers`;
        }
      }
    }
  }
  const promises = /\bthread[- ]?safe\b(?!ty)/i.test(cls.docstring);
  const denies = /\b(not|no|non|never|isn'?t)\b[\s-]*(\w+[\s-]+)?thread[- ]?safe/i.test(cls.docstring);
  if (promises && !denies) {
    return `\`${cls.name}\`'s docstring says it is thread-safe`;
  }
  const localClass = [...mod.classes.values()]
    .flat()
    .find((c) => c.bases.some((b) => qualify(mod, b) === 'threading.local'));
  if (localClass && localClass.id !== cls.id)
    return `\`${cls.name}\` sits next to the \`threading.local\` subclass \`${localClass.name}\``;
  return undefined;
}

/** Does the module show that it expects threads? */
export function threadAware(mod: ModuleIndex, locks: LockBinding[], spawned: boolean): boolean {
  if (spawned || locks.some((b) => b.mutex)) return true;
  return [...mod.imports.values()].some((q) => /^(threading|_thread|concurrent\.futures|concurrent)(\.|$)/.test(q));
}

function calledFromMain(mod: ModuleIndex, name: string): boolean {
  return mod.model.calls.some(
    (c) =>
      c.callee === name &&
      c.regions.some((id) => mod.model.regions[id].kind === 'if' && MAIN_GUARD.test(mod.model.regions[id].expr)),
  );
}

function visit(mod: ModuleIndex, scope: Scope, entry: Entry, selfShared: boolean): Visit {
  return { ref: { mod, scope }, entry, ctx: { sharedParams: new Set(), selfShared, sharedAttrs: new Set() } };
}

export function libraryRoots(
  project: ProjectIndex,
  config: Config,
  sites: Map<ModuleIndex, SpawnSite[]>,
  locksOf: (mod: ModuleIndex) => LockBinding[],
): Visit[] {
  if (config.assumeThreads === 'never') return [];
  const always = config.assumeThreads === 'always';
  const roots: Visit[] = [];
  for (const mod of project.modules) {
    const locks = locksOf(mod);
    for (const cls of [...mod.classes.values()].flat()) {
      const intent = always
        ? `\`${cls.name}\` may be used from several threads (assume-threads = "always")`
        : classIntent(mod, cls, locks);
      if (!intent) continue;
      for (const m of mod.children.get(cls.id) ?? []) {
        if (m.kind !== 'function' || !isPublicMethod(m.name)) continue;
        roots.push(visit(mod, m, { name: `${cls.name}.${m.name}`, concurrent: true, because: intent }, true));
      }
    }
    const aware = threadAware(
      mod,
      locks,
      (sites.get(mod) ?? []).some((s) => s.runsIn === 'thread'),
    );
    for (const fn of mod.children.get(0) ?? []) {
      if (fn.kind !== 'function' || fn.name.startsWith('_') || fn.name === 'main' || calledFromMain(mod, fn.name))
        continue;
      const because = always
        ? 'is public API that may be called from several threads (assume-threads = "always")'
        : aware
          ? `is public API of a module that uses threads, so callers' threads may run it at once`
          : "is public API; under a free-threaded build (3.13t/3.14t) callers' threads can run it at the same time";
      const entry: Entry = {
        name: fn.name,
        concurrent: true,
        because,
        only: always ? undefined : MODULE_PATTERNS,
        hint: !always && !aware,
      };
      roots.push(visit(mod, fn, entry, false));
    }
  }
  return roots;
}

export { lockBindings };
