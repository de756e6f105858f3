/**
 * Rule `shared-mutation`, iteration while another method mutates: in a class
 * meant for concurrent use, a public method that iterates over `self.x`
 * without the lock, while another method adds to or removes from it, can fail
 * with "changed size during iteration" or see a half-updated container. The
 * fix is to iterate over a copy taken under the lock.
 */
import type { Scope } from '../../../model/types';
import { classIntent, isPublicMethod } from '../../library';
import { guardAt, guardsIn, type LockBinding } from '../../locks';
import { classAcross, isThreadClass } from '../../origins';
import { type ModuleIndex, originOf, selfAttrBindings, valueCalleeOf } from '../../resolve';
import type { Config, Finding } from '../../types';

const MUTATORS = new Set([
  'append',
  'add',
  'insert',
  'extend',
  'update',
  'pop',
  'popitem',
  'remove',
  'discard',
  'clear',
  'setdefault',
  'appendleft',
  'popleft',
]);
const ITERATED = /^(self\.\w+)(\.(items|values|keys)\(\))?$/;

/**
 * Methods reached from `from` through calls on `self` (construction-only helpers excepted): what callers
 * reach from the public methods, or what the class's own thread reaches from its target.
 */
function reachedFrom(mod: ModuleIndex, methods: Scope[], from: Scope[]): Scope[] {
  const byName = new Map(methods.map((m) => [m.name, m]));
  const reached = new Set(from);
  const queue = [...reached];
  while (queue.length > 0) {
    const m = queue.pop()!;
    for (const call of mod.callsByScope.get(m.id) ?? []) {
      const callee = call.receiver === 'self' && call.method ? byName.get(call.method) : undefined;
      if (callee && !reached.has(callee) && callee.name !== '__init__') {
        reached.add(callee);
        queue.push(callee);
      }
    }
  }
  return [...reached];
}

function mutatorsOf(mod: ModuleIndex, methods: Scope[], attr: string, except: number): Scope | undefined {
  return methods.find(
    (m) =>
      m.id !== except &&
      ((mod.callsByScope.get(m.id) ?? []).some((c) => c.receiver === attr && c.method && MUTATORS.has(c.method)) ||
        (mod.writesByScope.get(m.id) ?? []).some((w) =>
          w.targets.some((t) => t.kind === 'subscript' && t.object === attr),
        )),
  );
}

const SIZED_CALLS: Map<string, 'dictionary' | 'set' | 'deque'> = new Map([
  ['dict', 'dictionary'],
  ['collections.defaultdict', 'dictionary'],
  ['collections.OrderedDict', 'dictionary'],
  ['collections.Counter', 'dictionary'],
  ['weakref.WeakValueDictionary', 'dictionary'],
  ['weakref.WeakKeyDictionary', 'dictionary'],
  ['set', 'set'],
  ['weakref.WeakSet', 'set'],
  ['collections.deque', 'deque'],
]);

/** What every binding of `self.x` in the class makes, when that is a dict, a set or a deque. */
function containerKind(mod: ModuleIndex, cls: Scope, attr: string): 'dictionary' | 'set' | 'deque' | undefined {
  const writes = selfAttrBindings(mod, cls, attr);
  let kind: 'dictionary' | 'set' | 'deque' | undefined;
  for (const w of writes) {
    const made =
      w.valueKind === 'dictionary' || w.valueKind === 'dictionary_comprehension'
        ? 'dictionary'
        : w.valueKind === 'set' || w.valueKind === 'set_comprehension'
          ? 'set'
          : w.valueKind === 'call'
            ? SIZED_CALLS.get(valueCalleeOf(mod, w) ?? '')
            : undefined;
    if (!made || (kind && kind !== made)) return undefined;
    kind = made;
  }
  return kind;
}

/**
 * Does the method start a thread after `offset`: `start()` on a receiver made by `threading.Thread` or
 * `Timer`, or by a Thread subclass of the analysed files (`self._thread = Worker(...)`)?
 */
function startsLater(mod: ModuleIndex, m: Scope, offset: number): boolean {
  return (mod.callsByScope.get(m.id) ?? []).some((c) => {
    if (c.start < offset || c.method !== 'start' || !c.receiver) return false;
    const origin = originOf(mod, m.id, c.receiver);
    if (origin === 'threading.Thread' || origin === 'threading.Timer') return true;
    const made = origin ? classAcross(mod, origin) : undefined;
    return !!made && isThreadClass(made.mod, made.cls);
  });
}

export function iterationRaces(mod: ModuleIndex, locks: LockBinding[], config: Config): Finding[] {
  if (config.assumeThreads === 'never') return [];
  const findings: Finding[] = [];
  for (const cls of [...mod.classes.values()].flat()) {
    const found = config.assumeThreads === 'always' ? undefined : classIntent(mod, cls, locks, config);
    const intent = config.assumeThreads === 'always' ? 'assume-threads = "always"' : found?.because;
    if (!intent) continue;
    const methods = (mod.children.get(cls.id) ?? []).filter((m) => m.kind === 'function');
    const own = found?.ownTargets ? [...found.ownTargets] : [];
    const api = reachedFrom(
      mod,
      methods,
      methods.filter((m) => isPublicMethod(m.name) && !found?.ownTargets?.has(m)),
    );
    // What the class's own thread runs: its loops race with every caller-reached method that changes the
    // container, whatever the thread itself writes.
    const ownThread = new Set(reachedFrom(mod, methods, own).filter((m) => !api.includes(m)));
    const lock = locks.find(
      (b) => b.mutex && b.name.startsWith('self.') && methods.some((m) => m.id === b.scope),
    )?.name;
    for (const m of methods) {
      const onOwnThread = ownThread.has(m);
      if (!onOwnThread && (!isPublicMethod(m.name) || m.isAsync || found?.ownTargets?.has(m))) continue;
      const guards = guardsIn(mod, m, locks, config);
      for (const r of mod.regionsByScope.get(m.id) ?? []) {
        if (r.kind !== 'for' && r.kind !== 'comprehension') continue;
        const match = ITERATED.exec(r.expr);
        if (!match || guardAt(guards, r.start)) continue;
        // A loop that ends before this method starts the class's thread happens before the thread runs.
        if (!onOwnThread && startsLater(mod, m, r.end)) continue;
        // The own thread reads the container, so it is shared with callers whatever the intent's state is.
        if (!onOwnThread && found?.onlyState && !found.onlyState.has(match[1])) continue;
        // Only dicts, sets and deques fail when changed under a running loop; a list just moves on.
        const kind = containerKind(mod, cls, match[1]);
        if (!kind) continue;
        // Callers' loops race with the other callers and with the own thread; the own thread's with callers.
        const writer = mutatorsOf(mod, onOwnThread ? api : [...api, ...ownThread], match[1], m.id);
        if (!writer) continue;
        const copy = lock ? `with ${lock}: snapshot = list(${r.expr})` : `snapshot = list(${r.expr})`;
        findings.push({
          rule: 'shared-mutation',
          severity: 'warning',
          span: {
            line: r.span.line,
            col: r.span.col,
            endLine: r.span.line,
            endCol: mod.model.lines[r.span.line].length,
          },
          message: `\`${cls.name}.${m.name}\` iterates \`${match[1]}\`${lock ? ` without \`${lock}\`` : ''} while \`${writer.name}\` changes it (${intent}); the loop can fail with "${kind === 'deque' ? 'deque mutated during iteration' : `${kind} changed size during iteration`}". Iterate over a copy taken under the lock (\`${copy}\`).`,
          fixes: [],
          data: { state: match[1], lock },
        });
      }
    }
  }
  return findings;
}
