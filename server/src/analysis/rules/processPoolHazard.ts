/**
 * Rule `process-pool-hazard`: work handed to a process pool that cannot cross
 * the process boundary, or a pool started at import time.
 *
 * Flagged: a lambda or a nested function as the task (pickle stores functions
 * by qualified name, so neither can be found in the worker); an argument that
 * cannot be pickled (an open file, a lock, a socket, a lambda, a nested
 * function), also inside an `args` tuple, bound by `functools.partial` or
 * among the items `map` and `starmap` send one by one; a pool's `initializer`
 * and a Process subclass's instance (pickled when the worker starts, except
 * under fork), including a subclass defined inside a function; and a
 * ProcessPoolExecutor, multiprocessing.Pool or Process (a context's too) created at module level
 * outside `if __name__ == "__main__":` (with the spawn and forkserver start
 * methods every worker re-imports the module and would start a pool again).
 * Thread pools never get this rule.
 */
import type { Call } from '../../model/types';
import { mainGuardFix } from '../fixes';
import { EXECUTOR_FACTORIES, MAIN_GUARD, POOL_METHODS } from '../knowledge';
import { calleeOf } from '../origins';
import { madeByFactory, unpicklableArg, unpicklableInstance, unpicklableItems } from '../pickling';
import { bindingInChain, type ModuleIndex } from '../resolve';
import type { SpawnSite } from '../targets';
import type { Finding } from '../types';
import type { Rule } from './registry';

const FORK_CONTEXT = /get_context\(\s*['"]fork['"]\s*\)/;

/** A Process from `get_context("fork")` inherits its target and arguments: nothing is pickled. */
function forked(mod: ModuleIndex, call: Call): boolean {
  if (FORK_CONTEXT.test(call.callee)) return true;
  const bound = call.receiver ? bindingInChain(mod, call.scope, call.receiver, call.start) : undefined;
  return !!bound && FORK_CONTEXT.test(bound.value);
}

/**
 * A Process's target and arguments, and a pool's initializer with its `initargs`, are handed over as the
 * worker starts: multiprocessing's queues and locks may go that way, and a forked worker inherits them.
 */
function startsWorker(site: SpawnSite): boolean {
  return site.kind === 'process' || site.kind === 'initializer';
}

function hazardOf(mod: ModuleIndex, site: SpawnSite): string | undefined {
  if (site.kind === 'process' && forked(mod, site.call)) return undefined;
  const t = site.targetArg;
  if (t?.kind === 'lambda') return 'a lambda cannot be pickled, so it never reaches the worker process';
  for (const ref of site.targets) {
    const parent = ref.mod.model.scopes[ref.scope.parent];
    if (ref.scope.kind === 'lambda') return `\`${t?.text}\` is a lambda, which cannot be pickled`;
    if (parent?.kind === 'function') {
      return `\`${ref.scope.name}\` is defined inside \`${parent.name}\`; pickle finds functions by module-level name, so the worker cannot load it`;
    }
    // A method of a class defined inside a function: its instances cannot be pickled either.
    const outer = parent?.kind === 'class' ? ref.mod.model.scopes[parent.parent] : undefined;
    if (outer?.kind === 'function') {
      return `\`${parent!.name}\` is defined inside \`${outer.name}\`; pickle finds classes by module-level name, so the worker cannot load its instances`;
    }
  }
  // What a `functools.partial` target binds travels with it.
  const bound0 = t?.kind === 'call' ? unpicklableArg(mod, site.call, t, !startsWorker(site)) : undefined;
  if (bound0) return `${bound0} cannot be pickled to send to a worker process`;
  const made = t ? madeByFactory(mod, site.call, t) : undefined;
  if (made) return made;
  const bound =
    t && t.kind === 'attribute'
      ? unpicklableInstance(mod, site.call, t.text.slice(0, t.text.lastIndexOf('.')))
      : undefined;
  if (bound)
    return `\`${t?.text}\` is a bound method: pickling it pickles the instance, and its ${bound} cannot be pickled`;
  // `map` and `starmap` iterate their iterables here and pickle the items; other methods pickle each argument.
  const items = !!site.call.method && POOL_METHODS.get(site.call.method) === true;
  for (const arg of site.taskArgs) {
    const pool = !startsWorker(site);
    const what = items ? unpicklableItems(mod, site.call, arg, pool) : unpicklableArg(mod, site.call, arg, pool);
    if (what) return `${what} cannot be pickled to send to a worker process`;
  }
  return undefined;
}

function inMainGuard(mod: ModuleIndex, call: Call): boolean {
  return call.regions.some((id) => {
    const r = mod.model.regions[id];
    return r.kind === 'if' && MAIN_GUARD.test(r.expr);
  });
}

export function processPoolHazard(mod: ModuleIndex, sites: SpawnSite[]): Finding[] {
  const findings: Finding[] = [];
  for (const site of sites) {
    if (site.runsIn !== 'process') continue;
    const hazard = hazardOf(mod, site);
    if (!hazard) continue;
    const found = site.handed ? `${hazard} (${site.handed})` : hazard;
    // A Process and a pool's initializer are handed over when the worker starts: a forked worker
    // inherits them, the other start methods pickle them.
    const why = startsWorker(site)
      ? `${found}, when the worker starts with spawn or forkserver (the defaults on macOS and Windows, and on Linux from Python 3.14; a forked worker inherits it instead)`
      : found;
    findings.push({
      rule: 'process-pool-hazard',
      severity: 'error',
      span: site.call.span,
      message: `${why}. Pass a module-level function (use functools.partial for extra arguments) and picklable arguments, such as a path instead of an open file.`,
      fixes: [],
      data: { target: site.targets[0]?.scope.name ?? site.targetArg?.text },
    });
  }
  for (const call of mod.callsByScope.get(0) ?? []) {
    const q = calleeOf(mod, call);
    const isPool = EXECUTOR_FACTORIES.get(q) === 'process-pool' || q === 'multiprocessing.Process';
    if (!isPool || inMainGuard(mod, call)) continue;
    const fix = mainGuardFix(mod.model, call.span.line);
    findings.push({
      rule: 'process-pool-hazard',
      severity: 'error',
      span: call.span,
      message: `\`${call.callee}\` is created when the module is imported. With the spawn and forkserver start methods each worker re-imports this module and tries to start the pool again. Create it under \`if __name__ == "__main__":\` or inside a function called from there.`,
      fixes: fix ? [{ ...fix, isPreferred: true }] : [],
    });
  }
  return findings;
}

export const processPoolHazardRule: Rule = {
  id: 'process-pool-hazard',
  title: 'Process pools that cannot work: unpicklable targets, a missing `__main__` guard',
  description:
    'A lambda, nested function or unpicklable argument is handed to a process pool, or a pool is created ' +
    'at import time without an `if __name__ == "__main__":` guard. Pass module-level functions and ' +
    'picklable data, and create pools under the main guard.',
  run: () => (m) => processPoolHazard(m.mod, m.sites),
};
