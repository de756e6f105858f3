/**
 * Rule `shared-mutation`, per-call state on a decorator object: a class whose `__call__(self, func)`
 * returns a wrapper that enters the object itself (`with self: return func(...)`) makes one object per
 * decoration, and every call of the decorated function enters that same object. A value its `__enter__`
 * keeps on `self` for its `__exit__` (`self.start = time()`, then `time() - self.start`) is per-call state
 * in a shared place: a call on another thread overwrites it in between, and the first call reads the
 * second's value. A context manager made afresh at each `with` is another matter and is not reported.
 */
import type { Scope } from '../../../model/types';
import type { LockBinding } from '../../locks';
import { type ModuleIndex, mentions, methodOf } from '../../resolve';
import type { Config, Finding } from '../../types';
import { threadAware } from './library';

export function decoratorObjectState(mod: ModuleIndex, locks: LockBinding[], config: Config): Finding[] {
  if (config.assumeThreads === 'never') return [];
  const findings: Finding[] = [];
  for (const cls of [...mod.classes.values()].flat()) {
    const call = methodOf(mod, cls, '__call__');
    const enter = methodOf(mod, cls, '__enter__');
    const exit = methodOf(mod, cls, '__exit__');
    if (!call || !enter || !exit || call.params.length < 2 || !entersSelf(mod, call)) continue;
    const aware = threadAware(mod, locks, false);
    for (const w of mod.writesByScope.get(enter.id) ?? []) {
      const t = w.targets[0];
      if (w.kind !== 'assign' || w.targets.length !== 1 || t.kind !== 'attribute' || t.object !== 'self') continue;
      if (!readsBack(mod, exit, t.text)) continue;
      const summary = `\`${t.text}\` is per-call state kept on the decorator object: every call of a function decorated with \`${cls.name}\` enters the same object, so a call on another thread can overwrite \`${t.text}\` before this call's \`__exit__\` reads it.`;
      findings.push({
        rule: 'shared-mutation',
        severity: aware || config.assumeThreads === 'always' ? 'warning' : 'hint',
        span: w.span,
        summary,
        message: `${summary} Keep it per call: in a local of the wrapper, or a stack in a \`threading.local\`, or make a fresh context manager for each call.`,
        fixes: [],
        data: {
          state: t.text,
          threads: [`${cls.name}.__call__`],
          sharedBecause: `every call of a function decorated with \`${cls.name}\` enters one object`,
        },
      });
    }
  }
  return findings;
}

/** Does `__call__` return a nested function that enters `self` (`with self:`)? */
function entersSelf(mod: ModuleIndex, call: Scope): boolean {
  const nested = (mod.children.get(call.id) ?? []).filter((s) => s.kind === 'function');
  const returned = new Set(
    (mod.flowsByScope.get(call.id) ?? []).filter((f) => f.kind === 'return').map((f) => f.value.trim()),
  );
  return nested.some(
    (fn) =>
      returned.has(fn.name) &&
      (mod.regionsByScope.get(fn.id) ?? []).some((r) => r.kind === 'with' && r.items.some((i) => i.expr === 'self')),
  );
}

/** Does the method read `state` (in a value, a call argument or a test)? */
function readsBack(mod: ModuleIndex, m: Scope, state: string): boolean {
  return (
    (mod.writesByScope.get(m.id) ?? []).some((w) => mentions(w.value, state)) ||
    (mod.callsByScope.get(m.id) ?? []).some((c) => c.args.some((a) => mentions(a.text, state))) ||
    (mod.regionsByScope.get(m.id) ?? []).some((r) => mentions(r.expr, state))
  );
}
