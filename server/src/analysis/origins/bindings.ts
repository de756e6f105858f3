/**
 * What the names a function binds denote, read from its bindings: which names hold an executor (and which
 * of them a receiver means at a call), which receivers were made by a call (`with urlopen(u) as resp`),
 * which names or `self` attributes always hold a list, and which attributes `__init__` stores from given
 * parameters. Part of the one resolver (origins/): rules and the classifier ask here instead of keeping
 * their own copies, and an unknown answer stays unknown.
 */
import type { Call, Scope, Write, WriteTarget } from '../../model/types';
import { EXECUTOR_FACTORIES, type PoolKind } from '../knowledge';
import { bindingsIn, enclosingClass, localNames, type ModuleIndex, mentions, qualify } from '../resolve';
import { calleeOf, selfAttrBindings, valueCalleeOf } from './index';

/** A name bound to a new thread or process pool, and the call that made it. */
export interface ExecutorBinding {
  name: string;
  kind: PoolKind;
  scope: number;
  call: Call;
}

/** Every executor a module binds: `ex = ThreadPoolExecutor()` and `with ProcessPoolExecutor() as ex`. */
export function executorBindings(mod: ModuleIndex): ExecutorBinding[] {
  const out: ExecutorBinding[] = [];
  for (const call of mod.assignedCalls) {
    const kind = EXECUTOR_FACTORIES.get(calleeOf(mod, call));
    if (kind && call.assignedTo) out.push({ name: call.assignedTo, kind, scope: call.scope, call });
  }
  for (const region of mod.withRegions) {
    for (const item of region.items) {
      if (!item.alias || !item.isCall) continue;
      const call = lastCallAt(mod.model.calls, item.span.line, item.span.col);
      const kind = call && EXECUTOR_FACTORIES.get(calleeOf(mod, call));
      if (call && kind) out.push({ name: item.alias, kind, scope: region.scope, call });
    }
  }
  return out;
}

/**
 * The last call starting at `line`:`col`. Calls are in document order, so a binary search finds it; of
 * nested calls sharing a start, the last is the innermost.
 */
export function lastCallAt(calls: Call[], line: number, col: number): Call | undefined {
  let lo = 0;
  let hi = calls.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const s = calls[mid].span;
    if (s.line < line || (s.line === line && s.col <= col)) lo = mid + 1;
    else hi = mid;
  }
  const call = calls[lo - 1];
  return call && call.span.line === line && call.span.col === col ? call : undefined;
}

/**
 * The executor binding a name means at a call: the nearest binding in the call's scope chain (made before
 * the call in its own scope), or for `self.x` one made in a method of the same class. A name the chain
 * binds to something else (`with DelegatingExecutor() as executor`, a parameter) is not another scope's
 * executor of the same name.
 */
export function executorAt(
  mod: ModuleIndex,
  bindings: ExecutorBinding[],
  receiver: string,
  call: Call,
): ExecutorBinding | undefined {
  const candidates = bindings.filter((b) => b.name === receiver);
  if (candidates.length === 0) return undefined;
  if (receiver.startsWith('self.')) {
    const cls = enclosingClass(mod, call.scope);
    return candidates.find((b) => cls && enclosingClass(mod, b.scope) === cls);
  }
  for (let id = call.scope; id >= 0; id = mod.model.scopes[id].parent) {
    const scope = mod.model.scopes[id];
    if (scope.kind === 'class') continue;
    const here = candidates.filter((b) => b.scope === id && (id !== call.scope || b.call.start <= call.start));
    if (here.length > 0) return here[here.length - 1];
    if (localNames(mod, scope).has(receiver)) return undefined;
  }
  return undefined;
}

/** Receivers bound to calls in this function, with the qualified factory: `with urlopen(u) as resp`, `sha = hashlib.sha256()`. */
export function boundReceivers(mod: ModuleIndex, scope: Scope): Map<string, string> {
  const origins = new Map<string, string>();
  for (const r of mod.regionsByScope.get(scope.id) ?? []) {
    if (r.kind !== 'with') continue;
    for (const item of r.items) {
      if (item.alias && item.isCall) origins.set(item.alias, qualify(mod, item.expr.slice(0, item.expr.indexOf('('))));
    }
  }
  for (const w of mod.writesByScope.get(scope.id) ?? []) {
    if (w.valueCallee && w.targets.length === 1) origins.set(w.targets[0].text, valueCalleeOf(mod, w) ?? w.valueCallee);
  }
  return origins;
}

const LIST_KINDS = new Set(['list', 'list_comprehension']);

/** A write that makes a list: `[]`, `[... for ...]`, `list(...)`. */
function makesList(w: Write): boolean {
  return LIST_KINDS.has(w.valueKind) || (w.valueKind === 'call' && w.valueCallee === 'list');
}

/**
 * Is every binding of this name or `self` attribute a list? Names are looked up at module level, `self.x`
 * in the methods of the class. A name with no binding there counts as not a list.
 */
export function boundToList(mod: ModuleIndex, scope: Scope, t: WriteTarget): boolean {
  let writes: Write[] = [];
  if (t.kind === 'identifier') {
    writes = bindingsIn(mod, 0).get(t.text) ?? [];
  } else if (t.kind === 'attribute' && t.object === 'self') {
    const cls = mod.model.scopes[scope.parent];
    if (cls?.kind !== 'class') return false;
    writes = selfAttrBindings(mod, cls, t.text);
  }
  return writes.length > 0 && writes.every(makesList);
}

/** Attributes `__init__` stores from the given parameters: `self.seen = seen`. */
export function attrsFromParams(mod: ModuleIndex, init: Scope, params: Set<string>): Set<string> {
  const attrs = new Set<string>();
  for (const w of mod.writesByScope.get(init.id) ?? []) {
    for (const t of w.targets) {
      if (t.kind === 'attribute' && t.object === 'self' && t.key && [...params].some((p) => mentions(w.value, p)))
        attrs.add(t.key);
    }
  }
  return attrs;
}
