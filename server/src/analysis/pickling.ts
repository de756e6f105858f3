/**
 * What cannot cross a process boundary: pickle stores functions by their
 * module-level name and copies every argument, so lambdas, closures, open
 * files, locks and the objects holding them never reach a worker. These
 * helpers read argument texts (the model keeps them without whitespace) and
 * the bindings behind names, and say in words what fails; the
 * process-pool-hazard rule decides where to ask.
 */
import type { Arg, Call } from '../model/types';
import { INHERIT_ONLY_FACTORIES, UNPICKLABLE_FACTORIES } from './knowledge';
import { classOfValue, valueCalleeOf } from './origins';
import { bindingInChain, localNames, type ModuleIndex, qualify, topLevelParts } from './resolve';
import { partialCall } from './targets';

export function unpicklableArg(mod: ModuleIndex, call: Call, arg: Arg, pool: boolean): string | undefined {
  if (arg.kind === 'lambda') return `the lambda \`${arg.text}\``;
  if (arg.kind === 'generator_expression') return 'a generator';
  if (arg.kind === 'call' && arg.callee && unpicklableFactory(qualify(mod, arg.callee), pool)) return `\`${arg.text}\``;
  // `partial(f, lambda: x)` pickles what it binds, so each bound argument must be picklable too.
  const inner = partialCall(mod, arg);
  if (inner) {
    for (const a of inner.args) {
      const what = a.kind === 'lambda' ? 'a lambda' : unpicklableArg(mod, inner, a, pool);
      if (what) return `${what}, bound by \`${arg.callee}\`,`;
    }
  }
  // A list or tuple of task arguments (`apply(f, (fh,))`, `map(f, [fh])`): each element is pickled.
  for (const element of arg.elements ?? []) {
    const what = unpicklableText(mod, call, element, 0, pool);
    if (what) return what;
  }
  if (arg.kind === 'identifier' || arg.kind === 'list_comprehension')
    return unpicklableText(mod, call, arg.text, 0, pool);
  return undefined;
}

/** Objects no task can carry; multiprocessing's queues and locks only reach a Process by inheritance. */
function unpicklableFactory(qualified: string, pool: boolean): boolean {
  return UNPICKLABLE_FACTORIES.has(qualified) || (pool && INHERIT_ONLY_FACTORIES.has(qualified));
}

/** Index just past the bracketed group opening at `from`, or -1 when it does not close. */
function groupEnd(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * The element expression of a list comprehension's text, which the model keeps without whitespace
 * (`[open(p)forpinpaths]` gives `open(p)`, `[(lock,p)forpinpaths]` gives `(lock,p)`). A bare name cannot
 * be told apart from the `for` after it, so only calls and bracketed elements are found.
 */
function comprehensionElement(text: string): string | undefined {
  const open = text[0];
  if (!(open === '[' && text.endsWith(']')) && !(open === '(' && text.endsWith(')'))) return undefined;
  let i = 1;
  if (text[i] === '(' || text[i] === '[') {
    i = groupEnd(text, i);
  } else {
    const name = /^[A-Za-z_][\w.]*/.exec(text.slice(i));
    if (!name || text[i + name[0].length] !== '(') return undefined;
    i = groupEnd(text, i + name[0].length);
  }
  if (i < 0 || !text.startsWith('for', i)) return undefined;
  return text.slice(1, i);
}

/**
 * What in an expression's text cannot be pickled: a name bound to a lambda or to an unpicklable factory's
 * result, such a call itself, or any element of a tuple, list or comprehension of them (`[open(p) for p in
 * paths]`, `[(lock, p) for p in paths]`), which `map` and `starmap` pickle item by item.
 */
function unpicklableText(mod: ModuleIndex, call: Call, text: string, depth: number, pool: boolean): string | undefined {
  if (depth > 3) return undefined;
  const t = text.trim();
  const element = comprehensionElement(t);
  if (element) return unpicklableText(mod, call, element, depth + 1, pool);
  if (/^[[(].*[\])]$/s.test(t)) {
    for (const p of topLevelParts(t.slice(1, -1))) {
      const what = unpicklableText(mod, call, p, depth + 1, pool);
      if (what) return what;
    }
    return undefined;
  }
  const callee = /^([A-Za-z_][\w.]*)\(/.exec(t)?.[1];
  if (callee) return unpicklableFactory(qualify(mod, callee), pool) ? `\`${t}\`` : undefined;
  if (!/^[A-Za-z_]\w*$/.test(t)) return undefined;
  const nested = nestedFunction(mod, call.scope, t);
  if (nested) return `\`${t}\` (a function defined inside \`${nested}\`)`;
  const bound = bindingInChain(mod, call.scope, t, call.start);
  if (!bound) return undefined;
  if (bound.valueKind === 'lambda') return `\`${t}\` (a lambda)`;
  if (bound.valueKind === 'generator_expression') return `\`${t}\` (a generator)`;
  if (bound.valueCallee && unpicklableFactory(valueCalleeOf(mod, bound) ?? bound.valueCallee, pool)) {
    return `\`${t}\` (made by \`${bound.valueCallee}(...)\`)`;
  }
  // An instance of a class of this module pickles its attributes: `self._lock = threading.Lock()` fails.
  const instance = bound.valueCallee ? unpicklableInstance(mod, call, t) : undefined;
  if (instance) return `\`${t}\`, whose ${instance} goes with it,`;
  if (bound.valueKind === 'list' || bound.valueKind === 'tuple' || bound.valueKind === 'list_comprehension') {
    const what = unpicklableText(mod, call, bound.value, depth + 1, pool);
    return what && `each item of \`${t}\` (${what})`;
  }
  return undefined;
}

/**
 * The function a name's `def` is nested in, when the nearest scope defining the name is a function: pickle
 * stores functions by module-level name, so such a closure cannot be loaded in the worker.
 */
function nestedFunction(mod: ModuleIndex, scopeId: number, name: string): string | undefined {
  for (let id = scopeId; id > 0; id = mod.model.scopes[id].parent) {
    const scope = mod.model.scopes[id];
    if (scope.kind === 'class') continue;
    if (mod.functionsIn.get(id)?.has(name)) return scope.kind === 'function' ? scope.name : undefined;
    if (localNames(mod, scope).has(name)) return undefined;
  }
  return undefined;
}

/** An attribute of `objectText`'s class (a class of this module) made by a factory whose objects cannot be pickled. */
export function unpicklableInstance(mod: ModuleIndex, call: Call, objectText: string): string | undefined {
  const cls = classOfValue(mod, call.scope, objectText);
  if (!cls) return undefined;
  for (const m of mod.children.get(cls.id) ?? []) {
    for (const w of mod.writesByScope.get(m.id) ?? []) {
      const t = w.targets[0];
      if (w.targets.length !== 1 || t.kind !== 'attribute' || t.object !== 'self' || !w.valueCallee) continue;
      const q = valueCalleeOf(mod, w) ?? w.valueCallee;
      if (UNPICKLABLE_FACTORIES.has(q)) return `\`${t.text}\` (made by \`${w.valueCallee}(...)\`)`;
    }
  }
  return undefined;
}

/** What among the items of an iterable handed to `map`/`starmap` cannot be pickled (the iterable itself is not sent). */
export function unpicklableItems(mod: ModuleIndex, call: Call, arg: Arg, pool: boolean): string | undefined {
  let text = arg.text;
  let name: string | undefined;
  if (arg.kind === 'identifier') {
    const bound = bindingInChain(mod, call.scope, arg.text, call.start);
    if (!bound || !ITERABLE_KINDS.has(bound.valueKind)) return undefined;
    text = bound.value;
    name = arg.text;
  } else if (!ITERABLE_KINDS.has(arg.kind)) {
    return undefined;
  }
  const element = comprehensionElement(text);
  const candidates = element ? [element] : /^[[(].*[\])]$/s.test(text) ? topLevelParts(text.slice(1, -1)) : [];
  for (const c of candidates) {
    const what = unpicklableText(mod, call, c, 1, pool);
    if (what) return name ? `each item of \`${name}\` (${what})` : what;
  }
  return undefined;
}

const ITERABLE_KINDS = new Set(['list', 'tuple', 'list_comprehension', 'generator_expression']);

/**
 * A task made by a function of this module that returns one of its own nested functions or a lambda
 * (`scorer = make_scorer(w)`, or `make_scorer(w)` inline): a closure, which pickle cannot find by name.
 */
export function madeByFactory(mod: ModuleIndex, call: Call, arg: Arg): string | undefined {
  let callee: string | undefined;
  let name = arg.text;
  if (arg.kind === 'call') callee = arg.callee;
  else if (arg.kind === 'identifier') {
    const bound = bindingInChain(mod, call.scope, arg.text, call.start);
    if (bound?.valueKind === 'call') callee = bound.valueCallee;
  }
  if (!callee || !/^[A-Za-z_]\w*$/.test(callee)) return undefined;
  const factory = mod.functionsIn.get(0)?.get(callee);
  if (!factory) return undefined;
  const nested = new Set((mod.children.get(factory.id) ?? []).filter((s) => s.kind === 'function').map((s) => s.name));
  // The factory's own `return` statements (a nested function's returns are its own).
  for (const flow of mod.flowsByScope.get(factory.id) ?? []) {
    if (flow.kind !== 'return') continue;
    const returned = flow.valueKind === 'lambda' ? 'lambda' : flow.valueKind === 'identifier' ? flow.value : '';
    if (returned === 'lambda' || nested.has(returned)) {
      if (arg.kind === 'call') name = `${callee}(...)`;
      const what = returned === 'lambda' ? 'a lambda' : `the nested function \`${returned}\``;
      return `\`${name}\` is ${what} made by \`${callee}\`; pickle finds functions by module-level name, so the worker cannot load it`;
    }
  }
  return undefined;
}
