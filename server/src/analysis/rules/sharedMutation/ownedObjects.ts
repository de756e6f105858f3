/**
 * Rule `shared-mutation`, objects a locked owner holds: a class that holds a lock and calls a method of
 * an object it keeps (`self._protocol.send_request(...)`) with that lock held, and another method of the
 * same object that changes the same state without it (`self._protocol.send_bytes()`), leaves that state
 * unguarded. The object's state is the owner's to guard: the owner's lock around one call of it says the
 * author knows threads reach it (RacerD's ownership and lock-set rule, one object deep). The object's own
 * class holding a lock of its own guards it instead, and then nothing is reported.
 *
 * As with the owner's own state written under its lock elsewhere (hits.ts lockChoiceOnly), no thread that
 * runs this code was seen: the finding is information that names the locked call.
 */
import type { Call, Scope } from '../../../model/types';
import { callerLocks, guardAt, guardsIn, type LockBinding } from '../../locks';
import { type ClassRef, instanceClass } from '../../origins';
import { type ModuleIndex, methodOf } from '../../resolve';
import type { Config, Finding } from '../../types';
import { TEARDOWN } from './hits';
import { inForkedChild, isConstruction, ownGuardsIn, ownLock, saysSafeFromThreads, selfWrites } from './library';

interface OwnedCall {
  method: Scope;
  call: Call;
  /** The object's state the called method changes (`self.x` in its class's terms). */
  changes: Set<string>;
  lock?: string;
}

export function unguardedOwnedCalls(
  mod: ModuleIndex,
  locks: LockBinding[],
  config: Config,
  locksOf: (mod: ModuleIndex) => LockBinding[],
): Finding[] {
  const project = mod.project;
  if (!project || config.assumeThreads === 'never') return [];
  const findings: Finding[] = [];
  for (const cls of [...mod.classes.values()].flat()) {
    if (!ownLock(mod, cls, locks)) continue;
    const methods = (mod.children.get(cls.id) ?? []).filter((m) => m.kind === 'function');
    const lockedByCallers = callerLocks(mod, cls, locks, config);
    const byAttr = new Map<string, OwnedCall[]>();
    for (const m of methods) {
      // A forked child's hook runs where the forking thread is the only one.
      if (isConstruction(m.name) || m.isAsync || inForkedChild(project, mod, m) || /fork/i.test(m.name)) continue;
      const guards = guardsIn(mod, m, locks, config);
      const mine = ownGuardsIn(mod, m, locks, config);
      for (const call of mod.callsByScope.get(m.id) ?? []) {
        if (!call.method || !call.receiver || !/^self\.\w+$/.test(call.receiver)) continue;
        const holder = instanceClass(project, mod, m, call.receiver);
        if (!holder || guardsItself(holder, locksOf)) continue;
        const callee = methodOf(holder.mod, holder.cls, call.method);
        if (!callee || isConstruction(callee.name)) continue;
        const changes = selfWrites(holder.mod, holder.cls, callee);
        if (changes.size === 0) continue;
        const held = guardAt(mine, call.start);
        const anyLock = guardAt(guards, call.start) !== undefined || lockedByCallers.has(m);
        const list = byAttr.get(call.receiver) ?? [];
        list.push({ method: m, call, changes, lock: held?.lock ?? (anyLock ? '' : undefined) });
        byAttr.set(call.receiver, list);
      }
    }
    for (const [attr, calls] of byAttr) {
      const locked = calls.filter((c) => c.lock);
      for (const bare of calls) {
        // Closing or cancelling twice is harmless: teardown calls are not the unguarded change.
        if (bare.lock !== undefined || TEARDOWN.test(bare.call.method ?? '')) continue;
        const rival = locked.find((l) => [...l.changes].some((s) => bare.changes.has(s)));
        if (!rival) continue;
        const state = [...rival.changes].find((s) => bare.changes.has(s))!;
        const held = `${attr}.${state.slice('self.'.length)}`;
        const lock = rival.lock!;
        const summary = `\`${attr}.${bare.call.method}()\` changes \`${held}\` without \`${lock}\`, which \`${cls.name}.${rival.method.name}\` holds around \`${attr}.${rival.call.method}()\`, a change of the same state.`;
        findings.push({
          rule: 'shared-mutation',
          severity: 'info',
          span: bare.call.span,
          message: `${summary} \`${cls.name}\` holds \`${lock}\`, so its methods are meant to be called from several threads, and the object it keeps is theirs too. Hold \`${lock}\` here too.`,
          summary,
          fixes: [],
          data: { state: held, lock, threads: [`${cls.name}.${bare.method.name}`] },
        });
      }
    }
  }
  return findings;
}

/**
 * Does the object's class guard its own state: it holds a lock of its own, or its docstring says it is
 * safe to use from other threads (a notifier that hands its work to a loop's thread-safe call)?
 */
function guardsItself(holder: ClassRef, locksOf: (mod: ModuleIndex) => LockBinding[]): boolean {
  return saysSafeFromThreads(holder.cls.docstring) || !!ownLock(holder.mod, holder.cls, locksOf(holder.mod));
}
