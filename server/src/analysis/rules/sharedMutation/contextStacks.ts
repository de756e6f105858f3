/**
 * Rule `shared-mutation`, a stack of callers' contexts on a shared object: a class that pushes onto a list
 * (`push(self, conn)`: `self.stack.append(conn)`) and pops the last entry back off in another method, and
 * uses the stack as "the current one" (reads its top, `self.stack[-1]`, or pops without using what it
 * took), keeps each caller's context between a push and its pop. On one object that several threads use
 * (a module singleton, a class that holds a lock) a thread's pop takes the entry another thread pushed,
 * and its top is another thread's context. A stack whose popped items are used (a free list of
 * connections) is a pool, where any item will do, and is not reported; nor is a pop under a lock, where
 * the author made each step whole and which entry goes is the design.
 */
import type { Scope } from '../../../model/types';
import { guardAt, guardsIn, type LockBinding } from '../../locks';
import type { ModuleIndex } from '../../resolve';
import type { Config, Finding } from '../../types';
import { classIntent, isConstruction, isPublicMethod, singletonMade, singletons, threadAware } from './library';

export function contextStacks(mod: ModuleIndex, locks: LockBinding[], config: Config): Finding[] {
  const project = mod.project;
  if (!project || config.assumeThreads === 'never') return [];
  const findings: Finding[] = [];
  for (const cls of [...mod.classes.values()].flat()) {
    const methods = (mod.children.get(cls.id) ?? []).filter(
      (m) => m.kind === 'function' && !isConstruction(m.name) && !m.isAsync,
    );
    const pushes = new Map<string, Scope>();
    const pops = new Map<string, { m: Scope; span: Finding['span']; used: boolean }>();
    for (const m of methods) {
      for (const c of mod.callsByScope.get(m.id) ?? []) {
        if (!c.receiver || !/^self\.\w+$/.test(c.receiver)) continue;
        const param = c.args.length === 1 && m.params.some((p) => p.name === c.args[0].text);
        if (c.method === 'append' && param && isPublicMethod(m.name)) pushes.set(c.receiver, m);
        // A pop under a lock is the author's: each push and pop is whole, and which entry goes is by design.
        const locked = guardAt(guardsIn(mod, m, locks, config), c.start) !== undefined;
        if (c.method === 'pop' && c.args.length === 0 && isPublicMethod(m.name) && !locked) {
          const used =
            !!c.assignedTo || (mod.flowsByScope.get(m.id) ?? []).some((f) => f.start <= c.start && f.end >= c.end);
          pops.set(c.receiver, { m, span: c.span, used });
        }
      }
    }
    for (const [stack, push] of pushes) {
      const pop = pops.get(stack);
      if (!pop || pop.m === push) continue;
      const top = new RegExp(`${stack.replace('.', '\\.')}\\[\\s*-1\\s*\\]`);
      const topRead = methods.some((m) =>
        [...(mod.flowsByScope.get(m.id) ?? []), ...(mod.writesByScope.get(m.id) ?? [])].some((x) => top.test(x.value)),
      );
      if (!topRead && pop.used) continue;
      const shared = sharedBy(mod, cls, locks, config);
      if (!shared) continue;
      const aware = threadAware(mod, locks, false) || shared.aware;
      const summary = `\`${stack}\` is a stack of callers' contexts (\`${cls.name}.${push.name}\` pushes, \`${cls.name}.${pop.m.name}\` pops) on one object that several threads use (${shared.because}): a thread's pop can take the entry another thread pushed${topRead ? ", and the top it reads as current can be another thread's" : ''}.`;
      findings.push({
        rule: 'shared-mutation',
        severity: aware || config.assumeThreads === 'always' ? 'warning' : 'hint',
        span: pop.span,
        summary,
        message: `${summary} Keep the stack per thread (a \`threading.local\`) or per task (\`contextvars\`).`,
        fixes: [],
        data: {
          state: stack,
          threads: [`${cls.name}.${push.name}`, `${cls.name}.${pop.m.name}`],
          sharedBecause: shared.because,
        },
      });
    }
  }
  return findings;
}

/** Why one instance of the class is used by several threads: a module singleton or a class's thread intent. */
function sharedBy(
  mod: ModuleIndex,
  cls: Scope,
  locks: LockBinding[],
  config: Config,
): { because: string; aware: boolean } | undefined {
  const single = mod.project ? singletons(mod.project).get(cls) : undefined;
  if (single) {
    return { because: singletonMade(single, cls), aware: false };
  }
  const intent = classIntent(mod, cls, locks, config);
  return intent ? { because: intent.because, aware: true } : undefined;
}
