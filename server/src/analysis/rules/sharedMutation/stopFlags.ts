/**
 * Rule `shared-mutation`, a lost stop: the method a class runs on its own thread sets a flag when the thread
 * starts (`self._terminate = False`), the loops it runs test that flag, and a caller's method sets it the
 * other way to stop the thread (`loop_stop(): self._terminate = True; self._thread.join()`). Starting a
 * thread does not run it: a stop that lands between `start()` and the thread's first line is overwritten,
 * and the thread, and the caller's `join()`, never end. The fix is to reset the flag before `start()`, in
 * the caller's thread, so the thread's first line has nothing to overwrite.
 */
import type { Scope, Write } from '../../../model/types';
import type { LockBinding } from '../../locks';
import type { ModuleIndex } from '../../resolve';
import type { Config, Finding } from '../../types';
import { reachedFrom, restOfLine } from './iteration';
import { classIntent, isPublicMethod } from './library';

const LITERAL = /^(True|False|None|0|1)$/;

/** `self.x = <literal>` stores of a method, by attribute. */
function flagStores(mod: ModuleIndex, m: Scope): Write[] {
  return (mod.writesByScope.get(m.id) ?? []).filter(
    (w) =>
      w.op === '=' &&
      w.targets.length === 1 &&
      w.targets[0].kind === 'attribute' &&
      w.targets[0].text.startsWith('self.') &&
      LITERAL.test(w.value.trim()),
  );
}

export function lostStops(mod: ModuleIndex, locks: LockBinding[], config: Config): Finding[] {
  if (config.assumeThreads === 'never') return [];
  const findings: Finding[] = [];
  for (const cls of [...mod.classes.values()].flat()) {
    const intent = classIntent(mod, cls, locks, config);
    if (!intent?.ownTargets) continue;
    const methods = (mod.children.get(cls.id) ?? []).filter((m) => m.kind === 'function');
    for (const target of intent.ownTargets) {
      const onThread = new Set(reachedFrom(mod, methods, [target]));
      const callers = methods.filter((m) => isPublicMethod(m.name) && !onThread.has(m) && !m.isAsync);
      // The thread's first stores, before any loop or call of its own: what it sets as it starts.
      const firstStep = Math.min(
        ...(mod.regionsByScope.get(target.id) ?? []).filter((r) => r.kind !== 'if').map((r) => r.start),
        ...(mod.callsByScope.get(target.id) ?? []).map((c) => c.start),
        target.end,
      );
      for (const reset of flagStores(mod, target)) {
        if (reset.start > firstStep) continue;
        const flag = reset.targets[0].text;
        const value = reset.value.trim();
        // The flag must steer the thread: a loop or branch condition it runs tests it.
        const tested = [...onThread].some((m) =>
          (mod.regionsByScope.get(m.id) ?? []).some(
            (r) =>
              (r.kind === 'while' || r.kind === 'if') && new RegExp(`\\b${flag.replace('.', '\\.')}\\b`).test(r.expr),
          ),
        );
        if (!tested) continue;
        const stopper = callers.find((m) =>
          flagStores(mod, m).some((w) => w.targets[0].text === flag && w.value.trim() !== value),
        );
        if (!stopper) continue;
        findings.push({
          rule: 'shared-mutation',
          severity: 'warning',
          span: restOfLine(mod.model.lines, reset.span.line, reset.span.col),
          message: `\`${cls.name}.${target.name}\` sets \`${flag}\` when its thread starts, and \`${stopper.name}\` sets it to stop the thread (${intent.because}): a \`${stopper.name}\` that runs before the thread's first line is overwritten, and the thread does not stop. Set \`${flag} = ${value}\` before \`start()\`, in the thread that starts it.`,
          fixes: [],
          data: { state: flag },
        });
      }
    }
  }
  return findings;
}
