/**
 * Rule `blocking-in-async`: a blocking call made directly in the body of an
 * `async def` (including async generators and `__aenter__`) stalls the event
 * loop and every other coroutine with it. Examples: `time.sleep`,
 * `requests.get`, `open(...).read()`, `subprocess.run`. Code in a nested
 * `def` or `lambda` runs wherever it is called (usually a worker thread via
 * `asyncio.to_thread`), so it is not flagged.
 *
 * In a one-shot entry coroutine (only ever run as `asyncio.run(main())`, or a test coroutine that its
 * runner runs alone on a fresh loop), a blocking call made before it schedules other coroutines is
 * `info`: nothing else waits on the loop yet.
 *
 * An object whose methods the class itself runs in a worker thread (`await to_thread.run_sync(
 * self.original.get_schedules)`) is one the author knows to wait: a direct call of another of its methods,
 * one the class never hands to a thread, in a coroutine of the same class (`self.original.__enter__()`)
 * blocks the loop by the author's own account.
 *
 * Advice: the async counterpart, or `await asyncio.to_thread(...)`. Fixes:
 * `time.sleep(x)` → `await asyncio.sleep(x)` (preferred), and any other call
 * → `await asyncio.to_thread(f, args...)`.
 */
import type { Call } from '../../model/types';
import { importEdit, textOf } from '../fixes';
import {
  BLOCKING_IN_ASYNC,
  BLOCKING_METHODS,
  BLOCKING_ORIGINS,
  OFFLOADERS,
  ORIGIN_WAITS,
  SCHEDULES,
} from '../knowledge';
import { calleeOf, originOf } from '../origins';
import { enclosingClass, isDead, lookup, type ModuleIndex } from '../resolve';
import type { Finding, Fix } from '../types';
import type { Rule } from './registry';

/** The text between the call's own parentheses: scan back from the closing one, counting depth. */
function argsText(mod: ModuleIndex, call: Call): string {
  const text = textOf(mod.model, call.span);
  const close = text.lastIndexOf(')');
  let depth = 0;
  for (let i = close; i >= 0; i--) {
    if (text[i] === ')') depth++;
    else if (text[i] === '(' && --depth === 0) return text.slice(i + 1, close);
  }
  return '';
}

function fixesFor(mod: ModuleIndex, call: Call, q: string): Fix[] {
  const args = argsText(mod, call).trim();
  const after = mod.model.lines[call.span.endLine]?.[call.span.endCol] ?? '';
  const chained = after === '.' || after === '[';
  const imp = importEdit(mod.model, 'asyncio');
  const wrap = (text: string) => (chained ? `(${text})` : text);
  const fixes: Fix[] = [];
  if (q === 'time.sleep') {
    fixes.push({
      title: 'Use `await asyncio.sleep(...)`',
      isPreferred: true,
      edits: [...(imp ? [imp] : []), { span: call.span, newText: wrap(`await asyncio.sleep(${args})`) }],
    });
    return fixes;
  }
  const callee = textOf(mod.model, {
    ...call.span,
    endLine: call.span.line,
    endCol: call.span.col + call.callee.length,
  });
  if (callee.replace(/\s+/g, '') !== call.callee) return fixes;
  fixes.push({
    title: `Run \`${call.callee}\` in a worker thread with \`await asyncio.to_thread(...)\``,
    isPreferred: true,
    edits: [
      ...(imp ? [imp] : []),
      { span: call.span, newText: wrap(`await asyncio.to_thread(${call.callee}${args ? `, ${args}` : ''})`) },
    ],
  });
  return fixes;
}

const PATH_IO_METHODS = new Set(['read_text', 'read_bytes', 'write_text', 'write_bytes']);
/** Method names of ORIGIN_WAITS, to decide cheaply whether a receiver's origin is worth looking up. */
const SYNC_WAITS = new Set([...ORIGIN_WAITS.keys()].map((k) => k.slice(k.lastIndexOf('.') + 1)));

/**
 * Calls that cannot block because of their arguments: `time.sleep(0)` returns at once, and
 * `getaddrinfo` with `AI_NUMERICHOST` parses a numeric address without asking a resolver.
 */
function cannotBlock(q: string, call: Call): boolean {
  if (q === 'time.sleep') return /^0*(\.0*)?$/.test(call.args[0]?.text ?? '');
  if (q === 'socket.getaddrinfo') return call.args.some((a) => a.text.includes('AI_NUMERICHOST'));
  // `executor.shutdown(wait=False)` (or `shutdown(False)`) returns without waiting for the pool.
  if (call.method === 'shutdown')
    return call.args.some((a) => (a.keyword === 'wait' || !a.keyword) && a.text === 'False');
  return false;
}

/**
 * Coroutines the module only ever runs as the whole program (`asyncio.run(main())`): until they schedule
 * other work, nothing else is waiting on the loop, so a blocking call there stalls nobody yet.
 */
function entryCoroutines(mod: ModuleIndex): Set<string> {
  const entries = new Set<string>();
  for (const c of mod.model.calls) {
    if (c.method !== 'run' || calleeOf(mod, c) !== 'asyncio.run' || c.args[0]?.kind !== 'call' || !c.args[0].callee)
      continue;
    if (/^[A-Za-z_]\w*$/.test(c.args[0].callee)) entries.add(c.args[0].callee);
  }
  // Awaited or scheduled from other coroutines as well: not a one-shot entry.
  for (const c of mod.model.calls) {
    if (entries.has(c.callee) && mod.model.scopes[c.scope]?.isAsync) entries.delete(c.callee);
  }
  return entries;
}

/** A module a test runner collects (`test_*.py`, `*_test.py`, or a file under a `test`/`tests` folder). */
export function isTestModule(file: string): boolean {
  const parts = file.split(/[\\/]/);
  const base = parts[parts.length - 1] ?? '';
  return /^test_.*\.py$|_test\.py$/.test(base) || parts.slice(0, -1).some((p) => p === 'test' || p === 'tests');
}

/**
 * A test coroutine (`async def test_*` in a test module, at module level or in a test class) is run by
 * its runner (pytest-asyncio, IsolatedAsyncioTestCase) as the one coroutine of its loop: an entry
 * coroutine like `asyncio.run(main())`'s, unless the module awaits it from other coroutines.
 */
function isTestCoroutine(mod: ModuleIndex, name: string, parent: number): boolean {
  if (!name.startsWith('test') || !isTestModule(mod.model.path)) return false;
  const owner = mod.model.scopes[parent];
  if (parent !== 0 && (owner?.kind !== 'class' || owner.parent !== 0)) return false;
  return !mod.model.calls.some(
    (c) => c.method === undefined && c.callee === name && mod.model.scopes[c.scope]?.isAsync,
  );
}

/** A call that puts other coroutines on the loop; `x.wait` only when it is `asyncio.wait` (an Event's blocks). */
function schedules(mod: ModuleIndex, call: Call): boolean {
  return SCHEDULES.test(call.callee) && (call.method !== 'wait' || calleeOf(mod, call) === 'asyncio.wait');
}

/**
 * The `self.x` receivers whose methods a class hands to a worker thread (OFFLOADERS, or the callable of
 * `run_in_executor`), by class id, with the line of the first hand-off: `self.original` for
 * `await to_thread.run_sync(self.original.get_schedules, ids)`.
 */
/** Where a class first hands a receiver's method to a worker thread, and which methods it hands. */
interface Offloaded {
  line: number;
  methods: Set<string>;
}

/** The last names of the calls that hand a callable to a worker thread, to skip the rest without qualifying. */
const OFFLOADER_NAMES = new Set([
  ...[...OFFLOADERS.keys()].map((k) => k.slice(k.lastIndexOf('.') + 1)),
  'run_in_executor',
]);

function offloadedReceivers(mod: ModuleIndex): Map<number, Map<string, Offloaded>> {
  const out = new Map<number, Map<string, Offloaded>>();
  for (const c of mod.model.calls) {
    const last = c.method ?? c.callee;
    if (!OFFLOADER_NAMES.has(last) || c.args.length === 0) continue;
    const at = last === 'run_in_executor' ? 1 : OFFLOADERS.get(calleeOf(mod, c));
    const arg = at === undefined ? undefined : c.args.filter((a) => !a.keyword)[at];
    const m = arg && /^(self\.\w+)\.(\w+)$/.exec(arg.text);
    const cls = m && enclosingClass(mod, c.scope);
    if (!m || !cls) continue;
    const byReceiver = out.get(cls.id) ?? new Map<string, Offloaded>();
    const known = byReceiver.get(m[1]) ?? { line: c.span.line, methods: new Set<string>() };
    known.methods.add(m[2]);
    byReceiver.set(m[1], known);
    out.set(cls.id, byReceiver);
  }
  return out;
}

export function blockingInAsync(mod: ModuleIndex): Finding[] {
  const findings: Finding[] = [];
  const entries = entryCoroutines(mod);
  const offloaded = offloadedReceivers(mod);
  for (const scope of mod.model.scopes) {
    if (scope.kind !== 'function' || !scope.isAsync) continue;
    const lines = new Set<number>();
    const entry = (entries.has(scope.name) && scope.parent === 0) || isTestCoroutine(mod, scope.name, scope.parent);
    const firstSchedule = entry
      ? (mod.callsByScope.get(scope.id) ?? []).find((c) => schedules(mod, c))?.start
      : undefined;
    for (const call of mod.callsByScope.get(scope.id) ?? []) {
      if (call.start < scope.bodyStart || call.awaited || isDead(mod, call.start)) continue;
      // `Path(p).read_text()` and friends do file I/O whatever made the receiver.
      const pathIo =
        call.method && PATH_IO_METHODS.has(call.method)
          ? 'await asyncio.to_thread(...) for the file access'
          : undefined;
      // Otherwise a method on a call's result (`requests.get(u).json()`) is not the blocking call itself.
      if (!pathIo && call.callee.includes('(')) continue;
      const q = calleeOf(mod, call);
      const origin =
        call.receiver && call.method && (BLOCKING_METHODS.has(call.method) || SYNC_WAITS.has(call.method))
          ? originOf(mod, scope.id, call.receiver)
          : undefined;
      // A threading Event's or a queue.Queue's wait blocks the whole loop; asyncio's own are awaited.
      const syncWait =
        origin && ORIGIN_WAITS.has(`${origin}.${call.method}`)
          ? call.method === 'shutdown'
            ? `await asyncio.to_thread(${call.callee}), or \`${call.callee}(wait=False)\` when nothing needs the pool's work finished first`
            : `an asyncio counterpart (asyncio.Event, asyncio.Queue) or await asyncio.to_thread(...)`
          : undefined;
      // The class runs this receiver's other methods in a worker thread: they wait, by the author's account.
      const handedOff =
        call.receiver && call.method
          ? offloadedAt(mod, offloaded, scope.parent, call.receiver, call.method)
          : undefined;
      const counterpart =
        lookup(BLOCKING_IN_ASYNC, q) ??
        (origin ? BLOCKING_ORIGINS.get(origin) : undefined) ??
        syncWait ??
        pathIo ??
        (handedOff !== undefined
          ? `await asyncio.to_thread(...), as this class already does for \`${call.receiver}\`'s other methods (line ${handedOff + 1})`
          : undefined);
      if (!counterpart || lines.has(call.span.line) || cannotBlock(q, call)) continue;
      lines.add(call.span.line);
      // In a one-shot entry coroutine, before it schedules anything, the loop has nothing else to run.
      const early = entry && (firstSchedule === undefined || call.start < firstSchedule);
      const stall = early
        ? `runs before \`${scope.name}\` schedules any other coroutine, so nothing waits on the loop yet, but it blocks the loop all the same`
        : 'the event loop and every other coroutine stall until it returns';
      findings.push({
        rule: 'blocking-in-async',
        severity: early ? 'info' : 'warning',
        span: call.span,
        message: `\`${call.callee}\` blocks inside \`async def ${scope.name}\`: ${stall}. Use ${counterpart}.`,
        fixes: fixesFor(mod, call, q),
      });
    }
  }
  return findings;
}

/**
 * The line where the class owning `parent` first hands a method of `receiver` to a worker thread, when
 * it never hands `method` itself: a method the class runs in a thread in one branch and inline in another
 * (`self.file.read` while the spooled file is still in memory) is the author's choice per case.
 */
function offloadedAt(
  mod: ModuleIndex,
  offloaded: Map<number, Map<string, Offloaded>>,
  parent: number,
  receiver: string,
  method: string,
): number | undefined {
  if (offloaded.size === 0 || !receiver.startsWith('self.')) return undefined;
  const cls = mod.model.scopes[parent];
  const known = cls?.kind === 'class' ? offloaded.get(cls.id)?.get(receiver) : undefined;
  return known && !known.methods.has(method) ? known.line : undefined;
}

export const blockingInAsyncRule: Rule = {
  id: 'blocking-in-async',
  title: 'Blocking calls inside `async def`, which stall the event loop',
  description:
    'A blocking call (time.sleep, requests.get, open().read ...) runs on the event loop and stalls every ' +
    'other coroutine. Use await asyncio.sleep, asyncio.to_thread, or an async client.',
  run: () => (m) => blockingInAsync(m.mod),
};
