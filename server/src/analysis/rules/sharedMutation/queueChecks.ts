/**
 * Rule `shared-mutation`, a queue's state checked, then a blocking call on it: `if not q.empty():
 * q.get()`, `while not q.empty(): q.get()`, `if q.full(): ... q.put(x)`. A `queue.Queue` exists to be shared
 * between threads, and its `empty()`, `full()` and `qsize()` answers are stale by the next line, as the
 * queue module's documentation warns: another thread can take the last item (or fill the last slot) in
 * between, and the blocking call then waits until some other thread acts, forever if none does. The fix
 * is to ask and act in one call: `get_nowait()` / `put_nowait()` with `queue.Empty` / `queue.Full`, or a
 * timeout.
 */
import type { Call, Region, Scope } from '../../../model/types';
import { guardAt, guardsIn, type LockBinding } from '../../locks';
import { originOf } from '../../origins';
import { enclosingClass, type ModuleIndex, moduleNames } from '../../resolve';
import type { Config, Finding } from '../../types';
import { restOfLine } from './iteration';

/** Factories of queues shared between threads (`Queue.Queue` is Python 2's spelling, still met). */
const THREAD_QUEUES = new Set([
  'queue.Queue',
  'queue.LifoQueue',
  'queue.PriorityQueue',
  'Queue.Queue',
  'Queue.LifoQueue',
  'Queue.PriorityQueue',
  'multiprocessing.Queue',
  'multiprocessing.JoinableQueue',
]);

/** Does a `get`/`put` call block without a timeout? (`get(False)`, `block=False` and `timeout=` do not.) */
function blocksForever(call: Call, act: 'get' | 'put'): boolean {
  const positional = call.args.filter((a) => !a.keyword && !a.splat);
  const blockArg = call.args.find((a) => a.keyword === 'block') ?? positional[act === 'get' ? 0 : 1];
  if (blockArg && blockArg.text !== 'True') return false;
  return !call.args.some((a) => a.keyword === 'timeout') && positional.length < (act === 'get' ? 2 : 3);
}

const CHECK_CALL = /(\bnot\s+)?([A-Za-z_][\w.]*)\.(empty|qsize|full)\(\)/g;

interface Check {
  receiver: string;
  act: 'get' | 'put';
  what: string;
  /** True when the condition holds while the queue can be acted on (`not q.empty()`, `q.qsize() > 0`). */
  enables: boolean;
}

/** The queue checks in a condition: `not q.empty() and ready` gives `q`, enabling a `get`. */
function checksIn(expr: string): Check[] {
  const out: Check[] = [];
  for (const m of expr.matchAll(CHECK_CALL)) {
    const act = m[3] === 'full' ? 'put' : 'get';
    const what = act === 'get' ? 'take the last item' : 'fill the last free slot';
    // `q.qsize()` is truthy when items wait; `q.empty()` and `q.full()` are true when the act would block.
    const enables = m[3] === 'qsize' ? !m[1] : !!m[1];
    // An enabling check speaks for the body only when every part of the condition must hold; a disabling
    // one speaks for what follows only when it is the whole condition (`if stop and q.empty(): return`
    // followed by `q.get()` is a worker waiting for work, as meant).
    if (enables ? /\bor\b/.test(expr) : expr.trim() !== m[0]) continue;
    out.push({ receiver: m[2], act, what, enables });
  }
  return out;
}

/**
 * Does another function take from (or put into) the same queue? A drain after `join()`, with one consumer
 * left, cannot lose the race: only a queue held by the object or the module, and acted on from two
 * functions, has a competitor.
 */
function competed(mod: ModuleIndex, scope: Scope, receiver: string, act: 'get' | 'put'): boolean {
  const owner = receiver.startsWith('self.') ? enclosingClass(mod, scope.id) : undefined;
  if (receiver.startsWith('self.') ? !owner : !moduleNames(mod).has(receiver.split('.')[0])) return false;
  const acts = new Set([act, `${act}_nowait`]);
  return mod.model.calls.some(
    (c) =>
      c.scope !== scope.id &&
      c.receiver === receiver &&
      !!c.method &&
      acts.has(c.method) &&
      (!owner || enclosingClass(mod, c.scope) === owner),
  );
}

export function queueChecks(mod: ModuleIndex, locks: LockBinding[], config: Config): Finding[] {
  if (config.assumeThreads === 'never') return [];
  const findings: Finding[] = [];
  for (const r of mod.model.regions) {
    if ((r.kind !== 'if' && r.kind !== 'while') || !/\.(empty|qsize|full)\(\)/.test(r.expr)) continue;
    const scope = mod.model.scopes[r.scope];
    for (const check of checksIn(r.expr)) {
      const origin = originOf(mod, r.scope, check.receiver);
      if (!origin || !THREAD_QUEUES.has(origin)) continue;
      const act = actAfter(mod, scope, r, check);
      if (!act || !competed(mod, scope, check.receiver, check.act)) continue;
      // Under a lock every taker holds, the answer stays true; the analysis does not try to prove that.
      const guards = guardsIn(mod, scope, locks, config);
      if (guardAt(guards, r.start) && guardAt(guards, act.start)) continue;
      findings.push({
        rule: 'shared-mutation',
        severity: 'warning',
        span: restOfLine(mod.model.lines, act.span.line, act.span.col),
        message: `\`${check.receiver}.${check.act}()\` blocks on the answer of \`${r.expr}\` (line ${r.span.line + 1}), which another thread can make stale in between: it can ${check.what}, and this call then waits until some other thread acts, forever if none does. Ask and act in one call: \`${check.receiver}.${check.act}_nowait()\` catching \`queue.${check.act === 'get' ? 'Empty' : 'Full'}\`, or pass a timeout.`,
        fixes: [],
        data: { state: check.receiver },
      });
    }
  }
  return findings;
}

/**
 * The blocking `receiver.get()`/`put()` the check speaks for: in the loop or branch a check that enables
 * it guards (`if not q.empty(): q.get()`), or, after a check that would make it block, in the `else` or
 * after a branch that leaves (`if q.empty(): return ...` then `q.get()`). A blocking call elsewhere is
 * meant to wait, whatever the queue held.
 */
function actAfter(mod: ModuleIndex, scope: Scope, r: Region, check: Check): Call | undefined {
  const body = mod.model.lines.slice(r.span.line, r.span.endLine + 1).join('\n');
  const leaves = /\b(return|raise|continue|break)\b/.test(body);
  return (mod.callsByScope.get(scope.id) ?? []).find((c) => {
    if (c.start < r.bodyStart || c.receiver !== check.receiver || c.method !== check.act) return false;
    if (!blocksForever(c, check.act)) return false;
    const inside = c.start < r.end;
    if (check.enables) return inside;
    return inside ? r.kind === 'if' : leaves && r.kind === 'if';
  });
}
