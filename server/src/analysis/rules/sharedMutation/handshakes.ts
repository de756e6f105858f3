/**
 * Rule `shared-mutation`, a lost hand-off between a result and its callback. A caller's method tests a
 * result attribute and, finding none, registers a callback (`if self._result is not NOT_SET: fn(...)`
 * / `else: self._callback = fn`), while the method that completes the object stores the result and then
 * reads the callback (`self._result = r; if self._callback: ...`). With no lock around both steps, the
 * completing thread can read the callback before the caller stores it, after the caller found no result:
 * the callback never runs. Each side is correct alone; only the order between two threads breaks it.
 *
 * The two sides run on different threads when the class shows thread intent (library.ts classIntent) or
 * keeps a `threading.Event` it waits on: completion is what another thread signals.
 */
import type { Scope } from '../../../model/types';
import { guardAt, guardsIn, type LockBinding } from '../../locks';
import { valueCalleeOf } from '../../origins';
import { type ModuleIndex, mentions } from '../../resolve';
import type { Config, Finding } from '../../types';
import { restOfLine } from './iteration';
import { classIntent, isConstruction, isPublicMethod } from './library';

const SELF_ATTR = /\bself\.(\w+)/g;

function attrsIn(text: string): Set<string> {
  return new Set([...text.matchAll(SELF_ATTR)].map((m) => m[1]));
}

/** Does a stored value mention one of the method's parameters (not `self`)? */
function passes(m: Scope, value: string): boolean {
  return m.params.slice(1).some((p) => {
    const name = p.name.replace(/^\*+/, '');
    return name !== '' && mentions(value, name);
  });
}

/** Does the class keep a `threading.Event` that one of its methods waits on? */
function waitsOnEvent(mod: ModuleIndex, methods: Scope[]): boolean {
  const events = new Set<string>();
  for (const m of methods) {
    for (const w of mod.writesByScope.get(m.id) ?? []) {
      const t = w.targets[0];
      if (
        w.targets.length === 1 &&
        t.kind === 'attribute' &&
        t.object === 'self' &&
        valueCalleeOf(mod, w) === 'threading.Event'
      )
        events.add(t.text);
    }
  }
  if (events.size === 0) return false;
  return methods.some((m) =>
    (mod.callsByScope.get(m.id) ?? []).some((c) => c.method === 'wait' && !!c.receiver && events.has(c.receiver)),
  );
}

export function lostHandshakes(mod: ModuleIndex, locks: LockBinding[], config: Config): Finding[] {
  if (config.assumeThreads === 'never') return [];
  const findings: Finding[] = [];
  for (const cls of [...mod.classes.values()].flat()) {
    const methods = (mod.children.get(cls.id) ?? []).filter((m) => m.kind === 'function' && !m.isAsync);
    if (methods.length < 2) continue;
    // Cheap shape test first: some public method stores an attribute inside an `if` on another one.
    const registrations: { m: Scope; tested: string; stored: string; span: { line: number; col: number } }[] = [];
    for (const a of methods) {
      if (!isPublicMethod(a.name) || isConstruction(a.name)) continue;
      const ifs = (mod.regionsByScope.get(a.id) ?? []).filter((r) => r.kind === 'if');
      if (ifs.length === 0) continue;
      const guards = guardsIn(mod, a, locks, config);
      for (const w of mod.writesByScope.get(a.id) ?? []) {
        const t = w.targets[0];
        if (w.op !== '=' || w.targets.length !== 1 || t.kind !== 'attribute' || t.object !== 'self' || !t.key) continue;
        // What is registered is what the caller passed (`self._callback = fn`, `(fn, args, kwargs)`); a
        // store of anything else is state of the object's own (`self._sock = None` in a teardown).
        if (guardAt(guards, w.start) || !passes(a, w.value)) continue;
        for (const r of ifs) {
          if (!w.regions.includes(r.id)) continue;
          for (const tested of attrsIn(r.expr)) {
            if (tested !== t.key) registrations.push({ m: a, tested, stored: t.key, span: w.span });
          }
        }
      }
    }
    if (registrations.length === 0) continue;
    const intent = classIntent(mod, cls, locks, config);
    const evidence =
      intent?.because ??
      (waitsOnEvent(mod, methods) ? `\`${cls.name}\` waits on an event that another thread sets` : undefined);
    if (!evidence) continue;
    for (const reg of registrations) {
      // The completing side: stores the tested attribute, then tests the stored one, both without a lock.
      const completer = methods.find((b) => {
        if (b === reg.m || isConstruction(b.name)) return false;
        const guards = guardsIn(mod, b, locks, config);
        // The completion stores a result it was given (`self._result = response`), not a reset.
        const store = (mod.writesByScope.get(b.id) ?? []).find(
          (w) =>
            w.op === '=' &&
            !guardAt(guards, w.start) &&
            passes(b, w.value) &&
            w.targets.some((t) => t.text === `self.${reg.tested}`),
        );
        if (!store) return false;
        return (mod.regionsByScope.get(b.id) ?? []).some(
          (r) =>
            r.kind === 'if' && r.start > store.start && !guardAt(guards, r.start) && attrsIn(r.expr).has(reg.stored),
        );
      });
      if (!completer) continue;
      findings.push({
        rule: 'shared-mutation',
        severity: 'warning',
        span: restOfLine(mod.model.lines, reg.span.line, reg.span.col),
        message: `\`${cls.name}.${reg.m.name}\` tests \`self.${reg.tested}\` and then stores \`self.${reg.stored}\`, while \`${completer.name}\` stores \`self.${reg.tested}\` and then tests \`self.${reg.stored}\` (${evidence}): if \`${completer.name}\` reads \`self.${reg.stored}\` between this test and this store, neither side sees the other's write, and what is stored here is never used (a callback that never runs). Do the test and the store under one lock that \`${completer.name}\` also holds.`,
        fixes: [],
        data: { state: `self.${reg.stored}` },
      });
    }
  }
  return findings;
}
