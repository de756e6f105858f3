/**
 * Rule `cpu-bound-thread`: a CPU-bound target handed to threads so that two
 * or more run at once (a loop or comprehension of spawns, a pool's `map`,
 * several submissions). Pure-Python bytecode holds the GIL, so the threads
 * take turns and the work gets no faster. One CPU-bound thread beside a thread
 * that waits on I/O is information: it delays that thread's responses (the
 * convoy effect), though nothing is serialised.
 *
 * Advice, in order of fit: ProcessPoolExecutor when the target (a module-level
 * function) and its arguments can be pickled; NumPy when it is a numeric loop;
 * a free-threaded build (3.13t/3.14t) when the threads must share large state;
 * never asyncio, which does not run CPU work in parallel. The structured fix
 * rewrites `ThreadPoolExecutor` to `ProcessPoolExecutor`, with the import,
 * when that is safe.
 */
import { importEdit, mainGuardFix, swapFromImport, withLazyFixes } from '../fixes';
import { MAIN_GUARD } from '../knowledge';
import { threadLoopRewrite } from '../loopRewrite';
import { calleeOf } from '../origins';
import { funcKey, type ModuleIndex } from '../resolve';
import { isPicklableTarget, type SpawnSite } from '../targets';
import type { Finding, Fix, ThreadTarget } from '../types';
import type { Rule } from './registry';

/** A numeric loop: arithmetic updates inside a loop over `range` or a list. */
function looksNumeric(site: SpawnSite): boolean {
  return site.targets.some((ref) =>
    (ref.mod.writesByScope.get(ref.scope.id) ?? []).some(
      (w) => w.kind === 'augmented' && /[-+*/]=/.test(w.op) && w.regions.length > 0,
    ),
  );
}

function picklableArgs(site: SpawnSite): boolean {
  return site.taskArgs.every((a) => a.kind !== 'lambda' && a.kind !== 'generator_expression');
}

function processPoolFix(mod: ModuleIndex, site: SpawnSite): Fix[] {
  const creation = site.executorCall;
  if (!creation || !site.targets.every(isPicklableTarget) || !picklableArgs(site)) return [];
  const q = calleeOf(mod, creation);
  if (q !== 'concurrent.futures.ThreadPoolExecutor') return [];
  const col = creation.span.col + creation.callee.lastIndexOf('ThreadPoolExecutor');
  const edits = [
    {
      span: { line: creation.span.line, col, endLine: creation.span.line, endCol: col + 'ThreadPoolExecutor'.length },
      newText: 'ProcessPoolExecutor',
    },
  ];
  if (creation.callee === 'ThreadPoolExecutor' || !creation.callee.includes('.')) {
    const imp = swapFromImport(mod.model, 'concurrent.futures', 'ThreadPoolExecutor', 'ProcessPoolExecutor');
    if (imp) edits.push(imp);
  } else if (!creation.callee.startsWith('futures.')) {
    // `concurrent.futures.ThreadPoolExecutor` needs the module imported; `from concurrent import futures` already gives it.
    const imp = importEdit(mod.model, 'concurrent.futures');
    if (imp) edits.push(imp);
  }
  const fixes: Fix[] = [{ title: 'Use ProcessPoolExecutor (the target is picklable)', edits, isPreferred: true }];
  if (creation.scope === 0 && !creation.regions.some((id) => MAIN_GUARD.test(mod.model.regions[id].expr))) {
    const guard = mainGuardFix(mod.model, creation.span.line);
    if (guard) fixes.push(guard);
  }
  return fixes;
}

export function cpuBoundThread(
  mod: ModuleIndex,
  sites: SpawnSite[],
  targets: Map<string, ThreadTarget>,
  keyOf: (s: SpawnSite) => string[],
): Finding[] {
  const findings: Finding[] = [];
  const threadSitesByScope = new Map<number, number>();
  // Sibling CPU-bound spawns in one scope run together (an awaited spawn finishes before the next
  // statement runs, so it overlaps nothing); a CPU thread next to an I/O thread is not serialised work,
  // only a convoy (convoyFinding).
  // Each thread site's first CPU-bound target (with its index among the site's targets), found once.
  const cpuTargets = new Map<SpawnSite, { index: number; target: ThreadTarget }>();
  for (const s of sites) {
    // A pool's initializer is each worker's one-off set-up: the pool's tasks, not it, are what the
    // threads are for, and they are judged at their own submit or map.
    if (s.runsIn !== 'thread' || s.kind === 'initializer') continue;
    const keys = keyOf(s);
    for (let index = 0; index < keys.length; index++) {
      const target = targets.get(keys[index]);
      if (target?.classification !== 'cpu') continue;
      cpuTargets.set(s, { index, target });
      if (!s.call.awaited) threadSitesByScope.set(s.call.scope, (threadSitesByScope.get(s.call.scope) ?? 0) + 1);
      break;
    }
  }
  for (const site of sites) {
    const cpu = cpuTargets.get(site);
    if (!cpu) continue;
    const { index, target } = cpu;
    const siblings = !site.call.awaited && (threadSitesByScope.get(site.call.scope) ?? 0) > 1;
    const together = site.concurrent || target.spawns.length > 1 || siblings;
    if (!together) {
      const waiter = site.call.awaited ? undefined : waitingSibling(site, sites, targets, keyOf);
      if (waiter) findings.push(convoyFinding(site, target, waiter));
      continue;
    }
    const picklable = isPicklableTarget(site.targets[index]);
    const advice = [
      picklable
        ? 'Use ProcessPoolExecutor (the target is a module-level function, so it can be pickled)'
        : 'Move the work to a module-level function and use ProcessPoolExecutor',
      looksNumeric(site) ? 'or vectorise the numeric loop with NumPy' : undefined,
      'or run on a free-threaded build (3.13t/3.14t) if the threads must share large state. asyncio will not help: it does not run CPU work in parallel',
    ]
      .filter(Boolean)
      .join(', ');
    const why = target.reasons.find((r) => r.kind === 'cpu')?.text ?? 'it runs pure-Python code';
    const summary = `\`${target.name}\` is CPU-bound (${why}); its threads run one at a time under the GIL, so they give no speed-up.`;
    const finding: Omit<Finding, 'fixes'> = {
      rule: 'cpu-bound-thread',
      severity: 'warning',
      span: site.call.span,
      message: `${summary} ${advice}.`,
      summary,
      data: { target: target.name, targetLine: target.span.line, picklable },
    };
    findings.push(
      withLazyFixes(
        finding,
        () =>
          site.kind === 'thread'
            ? [threadLoopRewrite(mod, site)].filter((f) => f !== undefined)
            : processPoolFix(mod, site),
        mod.token.carry,
      ),
    );
  }
  return findings;
}

/**
 * The I/O-bound target of another thread the same function starts (not awaited): it runs beside the CPU
 * thread, so it waits for the GIL each time its I/O completes.
 */
function waitingSibling(
  site: SpawnSite,
  sites: SpawnSite[],
  targets: Map<string, ThreadTarget>,
  keyOf: (s: SpawnSite) => string[],
): ThreadTarget | undefined {
  for (const other of sites) {
    if (other === site || other.runsIn !== 'thread' || other.call.awaited || other.call.scope !== site.call.scope)
      continue;
    for (const key of keyOf(other)) {
      const t = targets.get(key);
      if (t?.classification === 'io') return t;
    }
  }
  return undefined;
}

/**
 * One CPU-bound thread beside a thread that waits on I/O: no work is serialised, but the waiting thread
 * is slowed. CPython hands the GIL to a thread whose I/O completed only when the CPU thread reaches its
 * switch interval (5 ms by default), so every response the I/O thread handles waits up to that long: the
 * convoy effect. Information, since the program may not care about that latency.
 */
function convoyFinding(site: SpawnSite, target: ThreadTarget, waiter: ThreadTarget): Finding {
  const why = target.reasons.find((r) => r.kind === 'cpu')?.text ?? 'it runs pure-Python code';
  const summary = `\`${target.name}\` is CPU-bound (${why}) and runs beside \`${waiter.name}\`, which waits on I/O: each time its I/O completes, that thread waits for the GIL until the switch interval (5 ms by default) makes this one let go, so its responses lag.`;
  return {
    rule: 'cpu-bound-thread',
    severity: 'info',
    span: site.call.span,
    message: `${summary} Run the CPU work in a process (ProcessPoolExecutor or multiprocessing), or on a free-threaded build (3.13t/3.14t).`,
    summary,
    fixes: [],
    data: { target: target.name, targetLine: target.span.line },
  };
}

export const cpuBoundThreadRule: Rule = {
  id: 'cpu-bound-thread',
  title: 'CPU-bound pure-Python work run in threads, which the GIL serialises',
  description:
    'The thread target spends its time in pure-Python computation, which the GIL serialises, so extra ' +
    'threads add overhead without speed. Use ProcessPoolExecutor, vectorise with NumPy, or run on a ' +
    'free-threaded CPython build (3.13t/3.14t).',
  run:
    ({ targets }) =>
    (m) =>
      cpuBoundThread(m.mod, m.sites, targets, (s) => s.targets.map(funcKey)),
};
