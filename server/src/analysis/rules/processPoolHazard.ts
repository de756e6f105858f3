/**
 * Rule `process-pool-hazard`: work handed to a process pool that cannot cross
 * the process boundary, or a pool started at import time.
 *
 * Flagged: a lambda or a nested function as the task (pickle stores functions
 * by qualified name, so neither can be found in the worker); an argument that
 * cannot be pickled (an open file, a lock, a socket, a lambda); and a
 * ProcessPoolExecutor, multiprocessing.Pool or Process created at module level
 * outside `if __name__ == "__main__":` (with the spawn and forkserver start
 * methods every worker re-imports the module and would start a pool again).
 * Thread pools never get this rule.
 */
import type { Arg, Call } from '../../model/types';
import { mainGuardFix } from '../fixes';
import { EXECUTOR_FACTORIES, UNPICKLABLE_FACTORIES } from '../knowledge';
import { bindingInChain, calleeOf, classOfValue, type ModuleIndex, qualify, valueCalleeOf } from '../resolve';
import type { SpawnSite } from '../targets';
import type { Finding } from '../types';

const MAIN_GUARD = /__name__\s*==\s*['"]__main__['"]|['"]__main__['"]\s*==\s*__name__/;

function unpicklableArg(mod: ModuleIndex, call: Call, arg: Arg): string | undefined {
  if (arg.kind === 'lambda') return `the lambda \`${arg.text}\``;
  if (arg.kind === 'generator_expression') return 'a generator';
  if (arg.kind === 'call' && arg.callee && UNPICKLABLE_FACTORIES.has(qualify(mod, arg.callee)))
    return `\`${arg.text}\``;
  if (arg.kind === 'identifier') {
    const bound = bindingInChain(mod, call.scope, arg.text, call.start);
    if (bound?.valueKind === 'lambda') return `\`${arg.text}\` (a lambda)`;
    if (bound?.valueCallee && UNPICKLABLE_FACTORIES.has(qualify(mod, bound.valueCallee))) {
      return `\`${arg.text}\` (made by \`${bound.valueCallee}(...)\`)`;
    }
  }
  return undefined;
}

/** For `obj.method`: an attribute of obj's class made by a factory whose objects cannot be pickled. */
function unpicklableInstance(mod: ModuleIndex, call: Call, text: string): string | undefined {
  const dot = text.lastIndexOf('.');
  const cls = classOfValue(mod, call.scope, text.slice(0, dot));
  if (!cls) return undefined;
  for (const m of mod.children.get(cls.id) ?? []) {
    for (const w of mod.writesByScope.get(m.id) ?? []) {
      const t = w.targets[0];
      if (w.targets.length !== 1 || t.kind !== 'attribute' || t.object !== 'self' || !w.valueCallee) continue;
      const q = valueCalleeOf(mod, w) ?? w.valueCallee;
      if (UNPICKLABLE_FACTORIES.has(q))
        return `its \`${t.text}\` (made by \`${w.valueCallee}(...)\`) cannot be pickled`;
    }
  }
  return undefined;
}

function hazardOf(mod: ModuleIndex, site: SpawnSite): string | undefined {
  const t = site.targetArg;
  if (t?.kind === 'lambda') return 'a lambda cannot be pickled, so it never reaches the worker process';
  for (const ref of site.targets) {
    const parent = ref.mod.model.scopes[ref.scope.parent];
    if (ref.scope.kind === 'lambda') return `\`${t?.text}\` is a lambda, which cannot be pickled`;
    if (parent?.kind === 'function') {
      return `\`${ref.scope.name}\` is defined inside \`${parent.name}\`; pickle finds functions by module-level name, so the worker cannot load it`;
    }
  }
  const bound = t && t.kind === 'attribute' ? unpicklableInstance(mod, site.call, t.text) : undefined;
  if (bound) return `\`${t?.text}\` is a bound method: pickling it pickles the instance, and ${bound}`;
  for (const arg of site.taskArgs) {
    const what = unpicklableArg(mod, site.call, arg);
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
    const why = hazardOf(mod, site);
    if (!why) continue;
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
