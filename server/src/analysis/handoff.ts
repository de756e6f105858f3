/**
 * Callables handed to a thread through a container: a scheduler's `schedule(delay, fn)` puts `fn` (or a
 * tuple holding it) into `self._queue`, and the scheduler's own thread takes tasks from that queue and
 * runs them (`task = self._queue.get()`, `fn, args = task`, `self._executor.submit(fn, *args)`). The
 * method that puts is then a spawn wrapper like `def spawn(fn): Thread(target=fn).start()`: its callers'
 * callables run on a thread. Only the class's own containers are followed, and only values that really
 * flow: a parameter put in the container directly, in a tuple, through a local, or through another
 * method of the class that puts its own parameter. What the consumer runs must be taken from that same
 * container (through unpacking and locals); a callable run in the caller's thread is no handoff.
 */
import type { Scope, Write } from '../model/types';
import { type ModuleIndex, mentions } from './resolve';

/** Methods that put an item in a container; `heappush(self.q, item)` is read separately. */
const PUTS = new Set(['put', 'put_nowait', 'append', 'appendleft', 'add', 'insert']);
/** `self.q.get(...)`, `self.q.pop()`, `heapq.heappop(self.q)`: an item taken from the class's container. */
const TAKEN = /^self\.(\w+)\.(?:get|get_nowait|pop|popleft)\(|^(?:heapq\.)?heappop\(self\.(\w+)[,)]/;

/** The latest assignment in `scope` before `offset` that binds `name`, also by unpacking. */
function lastBinding(mod: ModuleIndex, scope: Scope, name: string, offset: number): Write | undefined {
  let best: Write | undefined;
  for (const w of mod.writesByScope.get(scope.id) ?? []) {
    if (w.start >= offset) break;
    if (w.kind === 'assign' && w.targets.some((t) => t.kind === 'identifier' && t.text === name)) best = w;
  }
  return best;
}

/**
 * The container attribute (`self._queue`) whose item the local `name` holds at `offset`, following plain
 * names and unpacking back to the take; undefined when it is bound otherwise.
 */
export function takenFrom(mod: ModuleIndex, scope: Scope, name: string, offset: number): string | undefined {
  let current = name;
  let at = offset;
  for (let step = 0; step < 4; step++) {
    const w = lastBinding(mod, scope, current, at);
    if (!w) return undefined;
    const value = w.value.replace(/\s+/g, '');
    const taken = TAKEN.exec(value);
    if (taken) return `self.${taken[1] ?? taken[2]}`;
    const plain = /^([A-Za-z_]\w*)(\[[^\]]*\])?$/.exec(value);
    if (!plain) return undefined;
    current = plain[1];
    at = w.start;
  }
  return undefined;
}

/**
 * For each method of the class, which of its parameters reach `container` (by position among the
 * parameters, `self` included): put there directly or in a tuple, through a local bound from the
 * parameter, or passed to another method of the class whose parameter reaches it.
 */
export function paramsReaching(mod: ModuleIndex, cls: Scope, container: string): Map<Scope, Set<number>> {
  const methods = (mod.children.get(cls.id) ?? []).filter((m) => m.kind === 'function');
  const byName = new Map(methods.map((m) => [m.name, m]));
  const reaching = new Map<Scope, Set<number>>();
  // A fixed point over the class's methods: a method that passes its parameter to a putting method
  // reaches the container once that method is known to; three rounds cover the chains met in practice.
  for (let round = 0; round < 3; round++) {
    let changed = false;
    for (const m of methods) {
      const found = reaching.get(m) ?? new Set<number>();
      const before = found.size;
      const sources = paramSources(mod, m);
      for (const call of mod.callsByScope.get(m.id) ?? []) {
        let items: string[] = [];
        if (call.receiver === container && call.method && PUTS.has(call.method)) items = call.args.map((a) => a.text);
        else if (/^(heapq\.)?heappush$/.test(call.callee) && call.args[0]?.text === container)
          items = call.args.slice(1).map((a) => a.text);
        else if (call.receiver === 'self' && call.method) {
          const callee = byName.get(call.method);
          const reached = callee && reaching.get(callee);
          if (!reached) continue;
          call.args.forEach((a, i) => {
            if (!a.keyword && !a.splat && reached.has(i + 1)) items.push(a.text);
          });
        }
        for (const text of items) {
          for (const [name, index] of sources) if (mentions(text, name)) found.add(index);
        }
      }
      if (found.size > 0) reaching.set(m, found);
      changed ||= found.size !== before;
    }
    if (!changed) break;
  }
  return reaching;
}

/** A method's parameters (not `self`) and the locals bound from them, each with its parameter's position. */
function paramSources(mod: ModuleIndex, m: Scope): Map<string, number> {
  const sources = new Map<string, number>();
  m.params.forEach((p, i) => {
    if (i > 0 && !p.splat) sources.set(p.name, i);
  });
  for (const w of mod.writesByScope.get(m.id) ?? []) {
    if (w.kind !== 'assign' || w.targets.length !== 1 || w.targets[0].kind !== 'identifier') continue;
    for (const [name, index] of sources) {
      if (mentions(w.value, name)) {
        sources.set(w.targets[0].text, index);
        break;
      }
    }
  }
  return sources;
}
