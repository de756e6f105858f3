/**
 * What an expression denotes, the one place every analysis asks: the qualified callee of a call
 * (`np.sum` is `numpy.sum`; a name the function binds itself shadows an import), the factory a receiver
 * was made by (`sess = requests.Session()`), and which class of the analysed files an expression is an
 * instance of (`instanceClass`): `self`, a local bound to a constructor, an attribute chain, what a
 * function returns, or a parameter, read from every place the function is called or handed to a thread.
 * `def serve(stats, keys): stats.record(k)` started as `Thread(target=serve, args=(stats, b))` after
 * `stats = Stats()` calls `Stats.record`. Sites are direct calls, `Thread`/`Timer`/`Process` `target=`
 * with `args=`, and the callable-first APIs (`submit`, `to_thread`, `functools.partial`,
 * `run_in_executor`, `apply_async`). A parameter's class is known only when every site in the module
 * passes an instance of the same class; any other use of the function (a callback handed elsewhere, a
 * site that passes something else or nothing) leaves it unknown, and unknown stays unknown: no name
 * guess stands in for it. Factories follow the same sites (`paramOrigin`: `def stage(ex, xs)` called with
 * the thread pool a `with` opened) and what the analysed files' functions return (`inbox = make_inbox()`,
 * which returns `queue.Queue()`).
 *
 * The answers are per run (memoised on the module index) and never carried
 * between keystrokes: they depend on statements far from the call they
 * resolve (classify.ts and reach.ts skip carrying facts that used them).
 */
import type { Arg, Call, Scope, Write } from '../../model/types';
import { noteVolatile } from '../carry';
import { CONTEXT_MEMBERS, EXECUTOR_FACTORIES, type PoolKind } from '../knowledge';
import { type MemoKey, memoKey, memo as memoOf } from '../memo';
import type { FunctionRef, ProjectIndex } from '../resolve';
import {
  bindingInChain,
  bindingOf,
  bindingsIn,
  enclosingClass,
  exactLists,
  headOf,
  LOCAL_MARK,
  localNames,
  type ModuleIndex,
  methodOf,
  paramNames,
  qualify,
  resolveFunction,
  topLevelParts,
} from '../resolve';

const MAX_DEPTH = 3;

/** A class together with the module that defines it. */
export interface ClassRef {
  mod: ModuleIndex;
  cls: Scope;
}

/** Callable-first APIs: the index of the callable, the rest of the positional arguments are its own. */
const CALLABLE_FIRST: Map<string, number> = new Map([
  ['submit', 0],
  ['to_thread', 0],
  ['partial', 0],
  ['apply_async', 0],
  ['apply', 0],
  ['run_in_executor', 1],
  ['start_new_thread', 0],
]);

/** Keyword `target=` spawners: the arguments come from `args=(...)`. */
const TARGET_SPAWNERS = /(^|\.)(Thread|Timer|Process)$/;

interface Site {
  call: Call;
  /** Positional arguments in the order they bind the function's parameters. */
  positional: Arg[];
  keywords: Map<string, Arg>;
  /** The site passes arguments the engine cannot list (`*args`, `args=some_tuple`). */
  opaque: boolean;
  /** The site passes `**kwargs`, which may bind any parameter no other argument binds. */
  keywordSplat?: boolean;
}

/** The class each `fnId:param` holds at every site (null: unknown), for the run. */
const PARAM_CLASSES: MemoKey<Map<string, ClassRef | null>> = memoKey('paramClasses');

/** The class a parameter of `fn` holds at every site that calls or spawns it, or undefined. */
export function paramClass(
  project: ProjectIndex,
  mod: ModuleIndex,
  fn: Scope,
  param: string,
  depth = 0,
): ClassRef | undefined {
  // What the parameter holds is read from other functions' statements: whatever depends on it is not carried.
  noteVolatile();
  const memo = memoOf(mod, PARAM_CLASSES, () => new Map());
  const key = `${fn.id}:${param}`;
  if (memo.has(key)) return memo.get(key) ?? undefined;
  // Recursion through a cycle of calls gives no answer rather than a guess.
  memo.set(key, null);
  const found = depth > MAX_DEPTH ? undefined : paramClassUncached(project, mod, fn, param, depth);
  memo.set(key, found ?? null);
  return found;
}

function paramClassUncached(
  project: ProjectIndex,
  mod: ModuleIndex,
  fn: Scope,
  param: string,
  depth: number,
): ClassRef | undefined {
  const parent = mod.model.scopes[fn.parent];
  if (fn.kind !== 'function' || !parent) return undefined;
  // `__init__` is called through the class's constructions, other methods through instances the module
  // places on the class; their arguments bind the parameters after `self` (paramNames leaves it out).
  const construction = parent.kind === 'class' && fn.name === '__init__';
  const params = paramNames(mod, fn);
  const index = params.indexOf(param);
  if (index < 0) return undefined;
  const sites = construction
    ? constructionsOf(mod, parent)
    : parent.kind === 'class'
      ? methodSitesOf(project, mod, fn)
      : sitesOf(project, mod, fn);
  return agreed(
    sites,
    param,
    index,
    (site, arg) => classOfArg(project, mod, site.call.scope, arg, depth),
    (a, b) => a.cls === b.cls,
  );
}

/**
 * What the argument for one parameter is, the same at every site: `argValue` reads one site's argument.
 * No sites, a site whose arguments cannot be listed, one that leaves the parameter to its default, or two
 * sites that disagree, and there is no answer.
 */
function agreed<T>(
  sites: Site[] | undefined,
  param: string,
  index: number,
  argValue: (site: Site, arg: Arg) => T | undefined,
  same: (a: T, b: T) => boolean,
): T | undefined {
  if (!sites || sites.length === 0) return undefined;
  let found: T | undefined;
  for (const site of sites) {
    if (site.opaque) return undefined;
    const arg = site.keywords.get(param) ?? site.positional[index];
    if (!arg && site.keywordSplat) return undefined;
    const here = arg ? argValue(site, arg) : undefined;
    if (here === undefined || (found !== undefined && !same(found, here))) return undefined;
    found = here;
  }
  return found;
}

/** A pool's methods that take the callable first: what a caller may hand in place of `map` or `submit`. */
const POOL_CALLABLE = /^(map|imap|imap_unordered|starmap|map_async|starmap_async|apply|apply_async|submit)$/;

/** A pool's method that a caller hands to a parameter: the pool's kind, the argument as written, and where. */
export interface HandedPoolMethod {
  kind: PoolKind;
  text: string;
  path: string;
  line: number;
}

const HANDED_POOL_METHODS: MemoKey<Map<string, HandedPoolMethod | null>> = memoKey('handedPoolMethods');
const CALLS_BY_CALLEE: MemoKey<Map<string, { mod: ModuleIndex; call: Call }[]>> = memoKey('callsByCallee');

/**
 * A pool's method that some call in the project hands to a parameter of `fn`: `fold(add, xs,
 * map=Pool().map)`, where `fold` calls `map(lambda c: ..., chunks)`. Unlike paramOrigin, one site is
 * enough: that caller's pool runs whatever `fn` passes to the parameter, and other callers' plain `map`
 * does not make it safe for this one.
 */
export function handedPoolMethod(
  project: ProjectIndex,
  mod: ModuleIndex,
  fn: Scope,
  param: string,
): HandedPoolMethod | undefined {
  noteVolatile();
  const memo = memoOf(mod, HANDED_POOL_METHODS, () => new Map());
  const key = `${fn.id}:${param}`;
  if (memo.has(key)) return memo.get(key) ?? undefined;
  let found: HandedPoolMethod | undefined;
  const index = paramNames(mod, fn).indexOf(param);
  const byCallee = memoOf(project, CALLS_BY_CALLEE, () => {
    const out = new Map<string, { mod: ModuleIndex; call: Call }[]>();
    for (const m of project.modules) {
      for (const call of m.model.calls) {
        if (call.calleeKind !== 'identifier' || call.args.length === 0) continue;
        const list = out.get(call.callee) ?? [];
        list.push({ mod: m, call });
        out.set(call.callee, list);
      }
    }
    return exactLists(out);
  });
  // A name that is no plain parameter of `fn` (`*args`, `self`) is handed nothing by position or keyword.
  for (const { mod: at, call } of index < 0 ? [] : (byCallee.get(fn.name) ?? [])) {
    if (resolveFunction(project, at, call.scope, call.callee)?.scope !== fn) continue;
    const site = siteOf(call, call.args);
    const arg = site.keywords.get(param) ?? (site.opaque ? undefined : site.positional[index]);
    const m = arg?.kind === 'attribute' ? /^(.+)\.(\w+)$/.exec(arg.text) : null;
    if (!arg || !m || !POOL_CALLABLE.test(m[2])) continue;
    const made = calledName(m[1]);
    const origin = made ? callOrigin(project, at, call.scope, made, 0) : valueOrigin(project, at, call.scope, m[1], 0);
    const kind = origin ? EXECUTOR_FACTORIES.get(origin) : undefined;
    if (kind) {
      found = { kind, text: arg.text, path: at.model.path, line: arg.span.line };
      if (kind === 'process-pool') break;
    }
  }
  memo.set(key, found ?? null);
  return found;
}

/** The qualified factory each `fnId:param` holds at every site (null: unknown), for the run. */
const PARAM_ORIGINS: MemoKey<Map<string, string | null>> = memoKey('paramOrigins');

/**
 * The factory that made what a parameter of `fn` holds at every site that calls or spawns it:
 * `def stage(ex, xs): ex.map(crunch, xs)` called as `stage(pool, xs)` after `with ThreadPoolExecutor() as
 * pool` gives `concurrent.futures.ThreadPoolExecutor`, and `async def pump(q)` given `make_inbox()`, which
 * returns `queue.Queue(...)`, gives `queue.Queue`. Undefined unless every site agrees.
 */
export function paramOrigin(
  project: ProjectIndex,
  mod: ModuleIndex,
  fn: Scope,
  param: string,
  depth = 0,
): string | undefined {
  noteVolatile();
  const memo = memoOf(mod, PARAM_ORIGINS, () => new Map());
  const key = `${fn.id}:${param}`;
  if (memo.has(key)) return memo.get(key) ?? undefined;
  memo.set(key, null);
  const parent = mod.model.scopes[fn.parent];
  const index = paramNames(mod, fn).indexOf(param);
  let found: string | undefined;
  if (depth <= MAX_DEPTH && fn.kind === 'function' && parent && index >= 0 && fn.name !== '__init__') {
    const sites = parent.kind === 'class' ? methodSitesOf(project, mod, fn) : sitesOf(project, mod, fn);
    found = agreed(
      sites,
      param,
      index,
      (site, arg) => argOrigin(project, mod, site.call.scope, arg, depth + 1),
      (a, b) => a === b,
    );
  }
  memo.set(key, found ?? null);
  return found;
}

function argOrigin(project: ProjectIndex, mod: ModuleIndex, scopeId: number, arg: Arg, depth: number) {
  if (arg.splat) return undefined;
  if (arg.kind === 'call' && arg.callee) return callOrigin(project, mod, scopeId, arg.callee, depth);
  if (arg.kind === 'identifier' || arg.kind === 'attribute') return valueOrigin(project, mod, scopeId, arg.text, depth);
  return undefined;
}

/**
 * The factory a call's value comes from: a function of the analysed files hands back what its returns
 * agree on (`def make_inbox(): return queue.Queue()`); anything else is its own qualified name.
 */
function callOrigin(project: ProjectIndex, mod: ModuleIndex, scopeId: number, callee: string, depth: number) {
  const fn = /^[A-Za-z_]\w*$/.test(callee) ? resolveFunction(project, mod, scopeId, callee) : undefined;
  if (fn?.scope.kind === 'function') {
    // What it returns is read from another function's statements.
    noteVolatile();
    return depth <= MAX_DEPTH ? returnOrigin(project, fn, depth + 1) : undefined;
  }
  return qualify(mod, callee);
}

/** The factory every `return` of each function agrees on, per module and run (null: none). */
const RETURN_ORIGINS: MemoKey<Map<number, string | null>> = memoKey('returnOrigins');

function returnOrigin(project: ProjectIndex, fn: FunctionRef, depth: number): string | undefined {
  const memo = memoOf(fn.mod, RETURN_ORIGINS, () => new Map());
  const known = memo.get(fn.scope.id);
  if (known !== undefined) return known ?? undefined;
  memo.set(fn.scope.id, null);
  let found: string | undefined;
  for (const flow of fn.mod.flowsByScope.get(fn.scope.id) ?? []) {
    // A generator hands back a generator, whatever it yields.
    if (flow.kind !== 'return') {
      found = undefined;
      break;
    }
    const value = flow.value.trim();
    const here =
      flow.valueKind === 'call' && flow.valueCallee
        ? callOrigin(project, fn.mod, fn.scope.id, flow.valueCallee, depth)
        : flow.valueKind === 'identifier' || flow.valueKind === 'attribute'
          ? valueOrigin(project, fn.mod, fn.scope.id, value, depth)
          : undefined;
    if (here === undefined || (found !== undefined && found !== here)) {
      found = undefined;
      break;
    }
    found = here;
  }
  memo.set(fn.scope.id, found ?? null);
  return found;
}

/**
 * The factory a name or `self.x` was made by in a scope: a binding (`conn = sqlite3.connect(p)`, one
 * element of `a, b = f(), g()`), a `with F() as x`, a declared type, or what the enclosing function's
 * callers pass for it.
 */
function valueOrigin(
  project: ProjectIndex,
  mod: ModuleIndex,
  scopeId: number,
  name: string,
  depth: number,
): string | undefined {
  const made = madeBy(mod, scopeId, name, depth);
  if (made) return made;
  const declared = declaredType(mod, scopeId, name);
  if (declared) return qualify(mod, declared);
  if (!/^[A-Za-z_]\w*$/.test(name)) return undefined;
  for (let id = scopeId; id >= 0; id = mod.model.scopes[id].parent) {
    const scope = mod.model.scopes[id];
    if (scope.kind === 'class' && id !== scopeId) continue;
    const alias = withAlias(mod, id, name);
    if (alias) return alias;
    if (scope.kind === 'function' && paramNames(mod, scope).includes(name))
      return paramOrigin(project, mod, scope, name, depth);
    if (scope.kind !== 'module' && localNames(mod, scope).has(name)) return undefined;
  }
  return undefined;
}

/** `with F(...) as name` in the scope: the qualified `F`. */
function withAlias(mod: ModuleIndex, scopeId: number, name: string): string | undefined {
  for (const r of mod.regionsByScope.get(scopeId) ?? []) {
    if (r.kind !== 'with') continue;
    for (const item of r.items) {
      if (item.alias === name && item.isCall) return qualify(mod, item.expr.slice(0, item.expr.indexOf('(')));
    }
  }
  return undefined;
}

/** The class an argument's value is an instance of: `Stats()`, a name bound to one, or a parameter that holds one. */
function classOfArg(
  project: ProjectIndex,
  mod: ModuleIndex,
  scopeId: number,
  arg: Arg,
  depth: number,
): ClassRef | undefined {
  if (arg.splat) return undefined;
  if (arg.kind === 'call' && arg.callee) return classAcross(mod, arg.callee);
  // `self.session.cluster.control_connection`: the chain's class, attribute by attribute.
  if (arg.kind === 'attribute' && /^[\w.]+$/.test(arg.text))
    return instanceClass(project, mod, mod.model.scopes[scopeId], arg.text);
  if (arg.kind !== 'identifier') return undefined;
  // `ControlConnection(self, ...)` in a method hands over the instance of the method's class.
  if (arg.text === 'self') {
    const owner = enclosingClass(mod, scopeId);
    return owner ? { mod, cls: owner } : undefined;
  }
  const w = bindingOrElement(mod, scopeId, arg.text);
  if (w) {
    const callee = boundCallee(w, arg.text);
    return callee ? classAcross(mod, callee) : undefined;
  }
  const scope = mod.model.scopes[scopeId];
  if (scope.kind === 'function' && paramNames(mod, scope).includes(arg.text))
    return paramClass(project, mod, scope, arg.text, depth + 1);
  return undefined;
}

/**
 * Every place of the module that names `fn`: as the callee, as a spawn target or as the callable of a
 * callable-first API. Undefined when the function is also used in a way whose arguments are unknown.
 */
function sitesOf(project: ProjectIndex, mod: ModuleIndex, fn: Scope): Site[] | undefined {
  const sites: Site[] = [];
  const names = (c: Call, text: string) =>
    text === fn.name && resolveFunction(project, mod, c.scope, text)?.scope === fn;
  for (const call of mod.model.calls) {
    if (call.calleeKind === 'identifier' && names(call, call.callee)) {
      sites.push(siteOf(call, call.args));
      continue;
    }
    const at = call.args.findIndex((a) => a.kind === 'identifier' && names(call, a.text));
    if (at < 0) continue;
    const arg = call.args[at];
    if (arg.keyword === 'target' && TARGET_SPAWNERS.test(call.callee)) {
      const args = call.args.find((a) => a.keyword === 'args');
      const kwargs = call.args.find((a) => a.keyword === 'kwargs');
      if (kwargs || (args && !args.elements)) return undefined;
      const site = siteOf(call, []);
      site.positional = (args?.elements ?? []).map((text) => elementArg(text, args!));
      sites.push(site);
      continue;
    }
    const first = call.method ? CALLABLE_FIRST.get(call.method) : CALLABLE_FIRST.get(call.callee);
    if (first === undefined || at !== first || arg.keyword) return undefined;
    sites.push(siteOf(call, call.args.slice(at + 1)));
  }
  return sites;
}

/**
 * The module's calls of a method through a receiver placed on its class (`registry.remove(name)`,
 * `self.ExpireTask.run(self)`, instanceClass). Calls of the same name on receivers of other classes, or
 * that cannot be placed, are not its sites. Undefined when the bound method is handed on
 * (`callback=self.remove`): whoever calls it then passes arguments this cannot see.
 */
function methodSitesOf(project: ProjectIndex, mod: ModuleIndex, fn: Scope): Site[] | undefined {
  const sites: Site[] = [];
  const suffix = `.${fn.name}`;
  for (const call of mod.model.calls) {
    const handed = call.args.find((a) => a.kind === 'attribute' && a.text.endsWith(suffix));
    if (handed) {
      const holder = instanceClass(project, mod, mod.model.scopes[call.scope], handed.text.slice(0, -suffix.length));
      if (holder && methodOf(holder.mod, holder.cls, fn.name) === fn) return undefined;
    }
    if (call.method !== fn.name || !call.receiver) continue;
    const owner = instanceClass(project, mod, mod.model.scopes[call.scope], call.receiver);
    if (owner && methodOf(owner.mod, owner.cls, fn.name) === fn) sites.push(siteOf(call, call.args));
  }
  return sites;
}

/**
 * The module's calls that construct `cls` by its name (`Pool(self, 4)`): the sites of its `__init__`.
 * Constructions in other modules are not read: in the study, the objects they made placed thread targets
 * the classifier could not read and promoted a benign teardown race to a warning.
 */
function constructionsOf(mod: ModuleIndex, cls: Scope): Site[] {
  // A class the module's name does not denote (a second class of that name) is not what its calls make.
  if (mod.classes.get(cls.name)?.[0] !== cls) return [];
  const sites: Site[] = [];
  for (const call of mod.model.calls) {
    if (call.calleeKind === 'identifier' && call.callee === cls.name) sites.push(siteOf(call, call.args));
  }
  return sites;
}

function siteOf(call: Call, args: Arg[]): Site {
  const site: Site = { call, positional: [], keywords: new Map(), opaque: false };
  for (const a of args) {
    // A `**kwargs` splat binds only the parameters the other arguments leave free (any other would be a
    // TypeError); a `*args` splat shifts every position after it.
    if (a.splat === '**') site.keywordSplat = true;
    else if (a.splat) site.opaque = true;
    else if (a.keyword) site.keywords.set(a.keyword, a);
    else site.positional.push(a);
  }
  return site;
}

/** An element of an `args=(...)` tuple as an argument of its own (only its text and shape are known). */
function elementArg(text: string, tuple: Arg): Arg {
  const kind = /^[A-Za-z_]\w*$/.test(text) ? 'identifier' : 'expression';
  return { text, kind, span: tuple.span, splat: text.startsWith('*') ? '*' : undefined };
}

/** A class a name denotes in a module: its own, or one of another analysed module it imports (re-exports followed). */
export function classAcross(mod: ModuleIndex, name: string, depth = 0): ClassRef | undefined {
  const own = name.includes('.') ? undefined : mod.classes.get(name)?.[0];
  if (own) return { mod, cls: own };
  const q = qualify(mod, name);
  const dot = q.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const other = mod.project?.byName.get(q.slice(0, dot).replace(/^\.+/, ''));
  if (!other || other === mod) return undefined;
  const last = q.slice(dot + 1);
  const cls = other.classes.get(last)?.[0];
  if (cls) return { mod: other, cls };
  return depth < 3 && other.imports.has(last) ? classAcross(other, last, depth + 1) : undefined;
}

/** Does the class derive from threading.Thread, through bases in any analysed module? */
export function isThreadClass(mod: ModuleIndex, cls: Scope, depth = 0): boolean {
  for (const base of cls.bases) {
    // A Timer is a Thread that calls its function once the interval passes.
    const q = qualify(mod, base);
    if (q === 'threading.Thread' || q === 'threading.Timer') return true;
    const found = depth < 5 ? classAcross(mod, base) : undefined;
    if (found && found.cls !== cls && isThreadClass(found.mod, found.cls, depth + 1)) return true;
  }
  return false;
}

/**
 * The one answer to "which class is this expression an instance of" (or, for a class's own name, which
 * class it is, for classmethod calls). In order: `self` and names bound in the function's scope chain to a
 * class of this module; a class of this module by name; a parameter every site hands one class
 * (paramClass); a name bound to a class of another analysed module; `self.x` bound to a class in a method
 * of the enclosing class; a chain `a.b.c`, step by step, each attribute as its holder's class binds it.
 * `self.x` bound only to other values, and anything else, is unknown.
 */
/** How many local aliases (`client = self.client`) instanceClass is following at once. */
let aliasDepth = 0;

export function instanceClass(
  project: ProjectIndex,
  mod: ModuleIndex,
  scope: Scope,
  expr: string,
): ClassRef | undefined {
  const own = classOfValue(mod, scope.id, expr) ?? mod.classes.get(expr)?.[0];
  if (own) return { mod, cls: own };
  const plain = /^[A-Za-z_]\w*$/.test(expr);
  if (plain && scope.kind === 'function' && scope.params.some((p) => p.name === expr))
    return paramClass(project, mod, scope, expr) ?? declaredClass(mod, scope.id, expr);
  if (plain) {
    const w = bindingOrElement(mod, scope.id, expr);
    const callee = w && boundCallee(w, expr);
    if (w && callee && !mod.classes.has(callee))
      return (
        classAcross(mod, callee) ?? returnedBy(project, mod, w.scope, callee) ?? declaredClass(mod, scope.id, expr)
      );
    // `client = self.client`: the class of the chain the name was bound to.
    // A rebinding through itself (`node = node.parent`) says nothing, and chains of aliases stop at four.
    if (w && w.valueKind === 'attribute' && /^[\w.]+$/.test(w.value) && headOf(w.value) !== expr && aliasDepth < 4) {
      aliasDepth++;
      try {
        return instanceClass(project, mod, mod.model.scopes[w.scope], w.value) ?? declaredClass(mod, scope.id, expr);
      } finally {
        aliasDepth--;
      }
    }
    return (w ? undefined : loopElementClass(project, mod, scope, expr)) ?? declaredClass(mod, scope.id, expr);
  }
  if (expr.startsWith('self.') && /^self\.\w+$/.test(expr)) {
    const owner = enclosingClass(mod, scope.id);
    return owner
      ? (attrClass(project, { mod, cls: owner }, expr.slice(5)) ?? declaredClass(mod, scope.id, expr))
      : undefined;
  }
  // A call used in place (`Registry().touch()`, `make_client().send()`): the class made, or returned.
  const made = calledName(expr);
  if (made) return classAcross(mod, made) ?? returnedBy(project, mod, scope.id, made);
  // A chain (`self._topology._session_pool`, `client.pool`): the class of its head, then of each attribute
  // as that class's methods bind it. Any step that cannot be placed leaves the whole chain unknown.
  const m = /^(.+)\.(\w+)$/.exec(expr);
  if (!m || !/^[\w.]+$/.test(m[1]) || m[1].split('.').length > 4 || mod.classes.has(m[1])) return undefined;
  const holder = instanceClass(project, mod, scope, m[1]);
  return holder ? attrClass(project, holder, m[2]) : undefined;
}

/**
 * The nested functions a function returns by name (`def make_checker(jobs): def check(): ...; return
 * check`): what a call of it hands back. A decorator's wrapper and a factory's closure are both this.
 */
export function returnedClosures(fn: FunctionRef): FunctionRef[] {
  const nested = (fn.mod.children.get(fn.scope.id) ?? []).filter((c) => c.kind === 'function');
  const out: FunctionRef[] = [];
  for (const flow of fn.mod.flowsByScope.get(fn.scope.id) ?? []) {
    const closure = flow.kind === 'return' ? nested.find((c) => c.name === flow.value.trim()) : undefined;
    if (closure && !out.some((r) => r.scope === closure)) out.push({ mod: fn.mod, scope: closure });
  }
  return out;
}

/** `name` of `name(...)` or `pkg.name(...)` when the whole text is that one call, else undefined. */
export function calledName(expr: string): string | undefined {
  const m = /^([A-Za-z_][\w.]*)\(/.exec(expr);
  if (!m || !expr.endsWith(')')) return undefined;
  let depth = 0;
  for (let i = m[1].length; i < expr.length; i++) {
    const c = expr[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    // The call's own parenthesis closes before the end: `a(x).b(y)` is a chain, not one call.
    if (depth === 0 && i < expr.length - 1) return undefined;
  }
  return m[1];
}

/**
 * The class `self.<attr>` holds, from the first binding of it to a class in the methods of `owner`, or
 * else from its annotation.
 */
function attrClass(project: ProjectIndex, owner: ClassRef, attr: string): ClassRef | undefined {
  for (const w of selfAttrBindings(owner.mod, owner.cls, `self.${attr}`)) {
    const found = w.valueCallee ? classAcross(owner.mod, w.valueCallee) : undefined;
    if (found) return found;
    const fallback = w.valueCallee ? defaultClass(owner.mod, w) : undefined;
    if (fallback) return fallback;
    const held = heldParamClass(project, owner.mod, w);
    if (held) return held;
  }
  // A class defined in the class body (`self.ExpireTask.run(self)` calls the nested class's static method).
  const nested = (owner.mod.children.get(owner.cls.id) ?? []).find((c) => c.kind === 'class' && c.name === attr);
  if (nested) return { mod: owner.mod, cls: nested };
  const field = bindingsIn(owner.mod, owner.cls.id)
    .get(attr)
    ?.find((w) => w.annotation);
  const name = declaredName(
    field?.annotation ?? selfAttrBindings(owner.mod, owner.cls, `self.${attr}`).find((w) => w.annotation)?.annotation,
  );
  return name ? classAcross(owner.mod, name) : undefined;
}

/**
 * `self.packetizer = (packetizer_class or Packetizer)(sock)`: a class the caller may replace through a
 * parameter, and otherwise the project's own, which is the class the project's own code assumes.
 */
function defaultClass(mod: ModuleIndex, w: Write): ClassRef | undefined {
  const m = /^\(\s*([A-Za-z_]\w*)\s+or\s+([A-Za-z_][\w.]*)\s*\)$/.exec(w.valueCallee ?? '');
  const scope = mod.model.scopes[w.scope];
  if (!m || scope?.kind !== 'function' || !scope.params.some((p) => p.name === m[1])) return undefined;
  return classAcross(mod, m[2]);
}

/**
 * `self._cluster = cluster` (or `weakref.proxy(cluster)`, which forwards every attribute to the object) in
 * `__init__`: the class every construction hands that parameter (paramClass).
 */
function heldParamClass(project: ProjectIndex, mod: ModuleIndex, w: Write): ClassRef | undefined {
  const scope = mod.model.scopes[w.scope];
  if (scope?.name !== '__init__') return undefined;
  const m = /^(?:weakref\.proxy\(([A-Za-z_]\w*)\)|([A-Za-z_]\w*))$/.exec(w.value.replace(/\s+/g, ''));
  const name = m?.[1] ?? m?.[2];
  return name && scope.params.some((p) => p.name === name) ? paramClass(project, mod, scope, name) : undefined;
}

/**
 * The class a loop variable holds: `for lane in self._lanes` where `self._lanes = [self._a, self._b]` (or a
 * list display in the loop itself), and every element is an instance of one class. A loop over anything
 * else, or over elements of different or unknown classes, gives nothing.
 */
function loopElementClass(project: ProjectIndex, mod: ModuleIndex, scope: Scope, name: string): ClassRef | undefined {
  const loop = (mod.regionsByScope.get(scope.id) ?? []).find(
    (r) => r.kind === 'for' && r.vars.length === 1 && r.vars[0] === name,
  );
  if (!loop) return undefined;
  const expr = loop.expr.trim();
  if (!/^[A-Za-z_][\w.]*$/.test(expr)) return undefined;
  let bound: Write | undefined;
  if (expr.startsWith('self.')) {
    // `self._lanes` counts when the class binds it once.
    const cls = enclosingClass(mod, scope.id);
    const writes = cls ? selfAttrBindings(mod, cls, expr) : [];
    bound = writes.length === 1 ? writes[0] : undefined;
  } else {
    bound = bindingInChain(mod, scope.id, expr, loop.start);
  }
  const elements = bound?.valueElements;
  if (!elements || elements.length === 0 || elements.length > 8) return undefined;
  let found: ClassRef | undefined;
  for (const e of elements) {
    if (e === name) return undefined;
    const here = instanceClass(project, mod, scope, e);
    if (!here || (found && here.cls !== found.cls)) return undefined;
    found = here;
  }
  return found;
}

/** The analysed class a name's annotation declares (declaredType), if any. */
function declaredClass(mod: ModuleIndex, scopeId: number, expr: string): ClassRef | undefined {
  const name = declaredType(mod, scopeId, expr);
  return name ? classAcross(mod, name) : undefined;
}

/**
 * The class of what a call of a function of the analysed files returns (`limiter = make_limiter()`,
 * `client = self._make_client()`): the callee is a function visible from the scope or a method of the
 * enclosing class, and every one of its `return` statements hands back an instance of one class,
 * `return Client(url)` or a local bound to one. A generator, a bare `return`, `return None` or any
 * other value leaves it unknown.
 */
function returnedBy(project: ProjectIndex, mod: ModuleIndex, scopeId: number, callee: string): ClassRef | undefined {
  let fn: { mod: ModuleIndex; scope: Scope } | undefined;
  if (/^[A-Za-z_]\w*$/.test(callee)) fn = resolveFunction(project, mod, scopeId, callee);
  else if (/^self\.\w+$/.test(callee)) {
    const owner = enclosingClass(mod, scopeId);
    const m = owner ? methodOf(mod, owner, callee.slice(5)) : undefined;
    if (m) fn = { mod, scope: m };
  }
  if (!fn) return undefined;
  const flows = fn.mod.flowsByScope.get(fn.scope.id) ?? [];
  if (flows.length === 0) return undefined;
  let found: ClassRef | undefined;
  for (const f of flows) {
    if (f.kind !== 'return') return undefined;
    let made = f.valueCallee;
    if (!made && f.valueKind === 'identifier')
      made = bindingInChain(fn.mod, fn.scope.id, f.value, f.start)?.valueCallee;
    const here = made ? classAcross(fn.mod, made) : undefined;
    if (!here || (found && here.cls !== found.cls)) return undefined;
    found = here;
  }
  return found;
}

/**
 * `qualify(mod, call.callee)`, remembered by call id: every analysis asks it of the same calls. A
 * multiprocessing context's members are the module's own (`multiprocessing.get_context("spawn").Pool`
 * and `ctx.Pool` with `ctx = multiprocessing.get_context(...)` are `multiprocessing.Pool`).
 */
export function calleeOf(mod: ModuleIndex, call: Call): string {
  let q = mod.callees[call.id];
  if (q === undefined) {
    // A name the function binds itself (a parameter, `requests = []`) shadows a module import of that
    // name: its calls are marked local so that no table of library calls matches them.
    const scope = mod.model.scopes[call.scope];
    const head = headOf(call.callee);
    // A dotted name whose head is not imported at all (`requests.append` on a list called `requests`)
    // is no library call either.
    const shadowed = scope.kind !== 'module' && mod.imports.has(head) && localNames(mod, scope).has(head);
    const unimported = head !== call.callee && !mod.imports.has(head);
    q = shadowed || unimported ? `${LOCAL_MARK}${call.callee}` : qualify(mod, call.callee);
    const held = unimported ? moduleHeldByClass(mod, call) : undefined;
    if (held) q = held;
    const aliased = !shadowed && !unimported ? aliasedCallable(mod, call) : undefined;
    if (aliased) q = aliased;
    const inline = /^multiprocessing\.get_context\(.*\)\.(\w+)$/.exec(q);
    if (inline) q = `multiprocessing.${inline[1]}`;
    else if (
      call.receiver &&
      call.method &&
      CONTEXT_MEMBERS.has(call.method) &&
      !mod.imports.has(call.receiver) &&
      originOf(mod, call.scope, call.receiver) === 'multiprocessing.get_context'
    )
      q = `multiprocessing.${call.method}`;
    mod.callees[call.id] = q;
  }
  return q;
}

/**
 * A module-level name bound once to another callable: `ProcPool = functools.partial(ProcessPoolExecutor,
 * max_workers=4)` or `Pool = concurrent.futures.ThreadPoolExecutor`. Calling it calls that callable (with
 * the bound arguments first), so `ProcPool()` makes a process pool. A name the calling scope binds itself
 * is its own.
 */
function aliasedCallable(mod: ModuleIndex, call: Call): string | undefined {
  if (call.calleeKind !== 'identifier' || mod.imports.has(call.callee)) return undefined;
  const scope = mod.model.scopes[call.scope];
  if (scope.kind !== 'module' && localNames(mod, scope).has(call.callee)) return undefined;
  const bound = bindingsIn(mod, 0).get(call.callee);
  if (bound?.length !== 1) return undefined;
  const w = bound[0];
  let target: string | undefined;
  if (w.valueKind === 'call' && w.valueCallee && qualify(mod, w.valueCallee) === 'functools.partial') {
    target = /^(?:functools\.)?partial\(\s*([A-Za-z_][\w.]*)\s*[,)]/.exec(w.value)?.[1];
  } else if ((w.valueKind === 'attribute' || w.valueKind === 'identifier') && /^[A-Za-z_][\w.]*$/.test(w.value)) {
    target = w.value;
  }
  return target && mod.imports.has(headOf(target)) ? qualify(mod, target) : undefined;
}

/**
 * `self._time.sleep(0.2)` where the class body says `_time = time` (a module kept as a class attribute so
 * that tests can swap it) and no method rebinds `self._time`: the module's own `time.sleep`.
 */
function moduleHeldByClass(mod: ModuleIndex, call: Call): string | undefined {
  const m = /^self\.(\w+)\.([\w.]+)$/.exec(call.callee);
  const cls = m ? enclosingClass(mod, call.scope) : undefined;
  if (!m || !cls) return undefined;
  const bound = bindingsIn(mod, cls.id).get(m[1]);
  const name = bound?.length === 1 ? bound[0].value.trim() : '';
  if (!/^[A-Za-z_][\w.]*$/.test(name) || !mod.imports.has(headOf(name))) return undefined;
  if (selfAttrBindings(mod, cls, `self.${m[1]}`).length > 0) return undefined;
  return qualify(mod, `${name}.${m[2]}`);
}

/** The qualified callee a write's value is a call of (`lock = threading.Lock()`), remembered by write id. */
export function valueCalleeOf(mod: ModuleIndex, w: Write): string | undefined {
  // A tuple element shares its statement's id, which the per-id cache cannot tell apart.
  if (TUPLE_ELEMENTS.has(w)) return w.valueCallee ? qualify(mod, w.valueCallee) : undefined;
  let q = mod.valueCallees[w.id];
  if (q === undefined) {
    q = w.valueCallee ? qualify(mod, w.valueCallee) : null;
    mod.valueCallees[w.id] = q;
  }
  return q ?? undefined;
}

/** The class an expression's value is an instance of, when it was bound to `ClassName(...)`. */
export function classOfValue(mod: ModuleIndex, scopeId: number, expr: string): Scope | undefined {
  if (expr === 'self') return enclosingClass(mod, scopeId);
  const w = bindingOrElement(mod, scopeId, expr);
  const callee = w && boundCallee(w, expr);
  return callee ? mod.classes.get(callee)?.[0] : undefined;
}

/**
 * The write that binds `name` in the scope chain: a plain binding (bindingInChain), or else one element of
 * a tuple assignment (`box, stop = Box(), threading.Event()`), which plain bindings leave out.
 */
export function bindingOrElement(mod: ModuleIndex, scopeId: number, name: string): Write | undefined {
  const plain = bindingInChain(mod, scopeId, name);
  if (plain || !/^[A-Za-z_]\w*$/.test(name)) return plain;
  for (let id = scopeId; id >= 0; id = mod.model.scopes[id].parent) {
    const scope = mod.model.scopes[id];
    if (scope.kind === 'class') continue;
    let found: Write | undefined;
    for (const w of mod.writesByScope.get(id) ?? []) {
      if (w.kind !== 'assign' || w.valueKind !== 'expression_list' || w.targets.length < 2) continue;
      if (w.targets.some((t) => t.kind === 'identifier' && t.text === name)) found = w;
    }
    if (found) return found;
    if (scope.kind !== 'module' && localNames(mod, scope).has(name)) return undefined;
  }
  return undefined;
}

/**
 * The callee whose result a binding gives `name`: the call of `x = make()`, or for `a, b = make(), Other()`
 * the call in the name's place (when the two sides have as many items).
 */
export function boundCallee(w: Write, name: string): string | undefined {
  if (w.valueCallee) return w.targets.length === 1 ? w.valueCallee : undefined;
  if (w.valueKind !== 'expression_list' || w.targets.length < 2) return undefined;
  const at = w.targets.findIndex((t) => t.kind === 'identifier' && t.text === name);
  const parts = topLevelParts(w.value);
  return at >= 0 && parts.length === w.targets.length ? calledName(parts[at]) : undefined;
}

/**
 * Every binding of `self.x` (`attr` is the whole `self.x` text) in the methods of `cls`, method by method:
 * plain ones, and the element in its place of a tuple assignment (`self.registry, self.stop = registry,
 * threading.Event()`), given as a one-target write of that element.
 */
export function selfAttrBindings(mod: ModuleIndex, cls: Scope, attr: string): Write[] {
  const out: Write[] = [];
  for (const m of mod.children.get(cls.id) ?? []) {
    const writes = bindingsIn(mod, m.id).get(attr);
    if (writes) out.push(...writes);
    for (const w of tupleAttrBindings(mod, m.id).get(attr) ?? []) out.push(w);
  }
  return out;
}

const TUPLE_ATTRS: MemoKey<Map<number, Map<string, Write[]>>> = memoKey('tupleAttrBindings');
const TUPLE_ELEMENT_WRITES: MemoKey<Write[]> = memoKey('tupleElements');
/** The one-target writes made for tuple elements: they keep their statement's id, so no per-id cache may hold them. */
const TUPLE_ELEMENTS = new WeakSet<Write>();

/**
 * Each element of the module's tuple assignments (`self.lock, self.count = threading.Lock(), 0`, `box,
 * done = Box(), threading.Event()`) as a one-target write of the value in its place, when the two sides
 * have as many items; computed once per module and run.
 */
export function tupleElements(mod: ModuleIndex): Write[] {
  return memoOf(mod, TUPLE_ELEMENT_WRITES, () => {
    const out: Write[] = [];
    for (const w of mod.model.writes) {
      if (w.kind !== 'assign' || w.valueKind !== 'expression_list' || w.targets.length < 2) continue;
      const parts = topLevelParts(w.value);
      if (parts.length !== w.targets.length) continue;
      w.targets.forEach((t, i) => {
        const value = parts[i].trim();
        const callee = calledName(value);
        const element: Write = {
          ...w,
          targets: [t],
          value,
          valueKind: callee ? 'call' : /^[A-Za-z_]\w*$/.test(value) ? 'identifier' : 'expression',
          valueCallee: callee,
          valueStart: undefined,
          valueElements: undefined,
        };
        TUPLE_ELEMENTS.add(element);
        out.push(element);
      });
    }
    return out;
  });
}

/** A method's tuple assignments to `self.` attributes, element by element, computed once per method and run. */
function tupleAttrBindings(mod: ModuleIndex, scopeId: number): Map<string, Write[]> {
  const perMod = memoOf(mod, TUPLE_ATTRS, () => {
    const byScope = new Map<number, Map<string, Write[]>>();
    for (const e of tupleElements(mod)) {
      const t = e.targets[0];
      if (t.kind !== 'attribute' || t.object !== 'self') continue;
      const byAttr = byScope.get(e.scope) ?? new Map<string, Write[]>();
      const list = byAttr.get(t.text) ?? [];
      list.push(e);
      byAttr.set(t.text, list);
      byScope.set(e.scope, byAttr);
    }
    return byScope;
  });
  return perMod.get(scopeId) ?? EMPTY_BINDINGS;
}

const EMPTY_BINDINGS: Map<string, Write[]> = new Map();

/**
 * The qualified factory a receiver was made by: `sess` bound to `requests.Session()` in this function,
 * an enclosing one or at module level, or `self.conn` bound to `sqlite3.connect(...)` in a method of the class.
 */
export function originOf(mod: ModuleIndex, scopeId: number, receiver: string): string | undefined {
  if (mod.project) return valueOrigin(mod.project, mod, scopeId, receiver, 0);
  const made = madeBy(mod, scopeId, receiver, 0);
  if (made) return made;
  const declared = declaredType(mod, scopeId, receiver);
  return declared ? qualify(mod, declared) : undefined;
}

function madeBy(mod: ModuleIndex, scopeId: number, receiver: string, depth: number): string | undefined {
  const made = (at: number, callee: string) =>
    mod.project ? callOrigin(mod.project, mod, at, callee, depth) : qualify(mod, callee);
  if (receiver.startsWith('self.')) {
    const cls = enclosingClass(mod, scopeId);
    for (const m of cls ? (mod.children.get(cls.id) ?? []) : []) {
      const callee = bindingOf(mod, m.id, receiver)?.valueCallee;
      if (callee) return made(m.id, callee);
    }
    return undefined;
  }
  const bound = bindingOrElement(mod, scopeId, receiver);
  // `inbox, out = make_inbox(), asyncio.Queue()`: the element in the name's place.
  if (bound?.valueKind === 'expression_list') {
    const callee = boundCallee(bound, receiver);
    return callee ? made(bound.scope, callee) : undefined;
  }
  // `ex = self._executors.pop(key, None)`: an item of a container whose declared type names its items.
  const item = bound && takenItem(bound);
  if (item) {
    const held = elementType(declaredContainer(mod, bound.scope, item));
    if (held) return qualify(mod, held);
  }
  if (bound?.valueCallee) return made(bound.scope, bound.valueCallee);
  // An alias of an imported module's member (`kernel32 = ctypes.windll.kernel32`) is that member.
  if (bound?.valueKind === 'attribute' && mod.imports.has(headOf(bound.value))) return qualify(mod, bound.value);
  return undefined;
}

/**
 * The one class an annotation names, as written: `Client`, `db.Client`, `"Client"`, `Optional[Client]` and
 * `Client | None` give `Client`; a union of classes, a generic (`list[Client]`) or anything else gives
 * nothing.
 */
/** Calls that take one item out of a container: `d.pop(k)`, `d.get(k)`, `q.popleft()`. */
const ITEM_TAKERS = /^(.+)\.(pop|get|setdefault|popleft|popitem)$/;

/** The container an item is taken from (`self._executors` of `self._executors.pop(key)` or `self._executors[key]`). */
function takenItem(w: Write): string | undefined {
  if (w.valueKind === 'call' && w.valueCallee) return ITEM_TAKERS.exec(w.valueCallee)?.[1];
  if (w.valueKind === 'subscript') return /^([A-Za-z_][\w.]*)\[/.exec(w.value)?.[1];
  return undefined;
}

/**
 * The annotation a container was declared with: `self.x` or `Cls.x` from the class's field (or an
 * annotated binding in its methods), a bare name from the scope chain.
 */
function declaredContainer(mod: ModuleIndex, scopeId: number, container: string): string | undefined {
  const attr = /^([A-Za-z_]\w*)\.(\w+)$/.exec(container);
  if (!attr || attr[1] === 'self') return annotationOf(mod, scopeId, container);
  // `SyncToAsync.context_to_thread_executor`: a class of this module and its field.
  const cls = mod.classes.get(attr[1])?.[0];
  return cls
    ? bindingsIn(mod, cls.id)
        .get(attr[2])
        ?.find((w) => w.annotation)?.annotation
    : undefined;
}

const MAPPINGS =
  /^(?:typing\.|weakref\.|collections\.)?(Dict|dict|Mapping|MutableMapping|WeakKeyDictionary|WeakValueDictionary|defaultdict|OrderedDict)\[(.+)\]$/;
const SEQUENCES = /^(?:typing\.|collections\.)?(List|list|Deque|deque|Set|set|Sequence|MutableSequence)\[(.+)\]$/;

/**
 * What a container annotation says its items are: the value type of a mapping (`dict[str, Executor]`,
 * `WeakKeyDictionary[Ctx, ThreadPoolExecutor]`), the item type of a sequence or set. One class or nothing.
 */
export function elementType(annotation: string | undefined): string | undefined {
  if (!annotation) return undefined;
  const t = annotation.replace(/^(['"])(.*)\1$/, '$2').replace(/\s+/g, '');
  const mapping = MAPPINGS.exec(t);
  if (mapping) {
    const parts = topLevelParts(mapping[2]);
    return parts.length === 2 ? declaredName(parts[1]) : undefined;
  }
  const sequence = SEQUENCES.exec(t);
  return sequence ? declaredName(sequence[2]) : undefined;
}

export function declaredName(annotation: string | undefined): string | undefined {
  if (!annotation) return undefined;
  let t = annotation.replace(/^(['"])(.*)\1$/, '$2');
  const optional = /^(?:typing\.)?Optional\[(.+)\]$/.exec(t);
  if (optional) t = optional[1];
  const parts = t.split('|').filter((part) => part !== 'None');
  if (parts.length !== 1) return undefined;
  t = parts[0].replace(/^(['"])(.*)\1$/, '$2');
  return /^[A-Za-z_][\w.]*$/.test(t) ? t : undefined;
}

/**
 * What a receiver is declared to be, by its annotation: a parameter's (`def f(sock: socket.socket)`), an
 * annotated binding's (`client: Client = make()`) in the scope that owns the name, or for `self.x` an
 * annotated `self.x: T = ...` in a method or a class-body field `x: T` (dataclasses, attrs). The class
 * name as written; callers qualify it or look it up among the analysed classes.
 */
export function declaredType(mod: ModuleIndex, scopeId: number, receiver: string): string | undefined {
  return declaredName(annotationOf(mod, scopeId, receiver));
}

/**
 * The annotation a name or `self.x` was declared with: a parameter's or an annotated binding's in the scope
 * chain, and for `self.x` the class's field or an annotated binding in one of its methods.
 */
function annotationOf(mod: ModuleIndex, scopeId: number, receiver: string): string | undefined {
  const attr = /^self\.(\w+)$/.exec(receiver);
  if (attr) {
    const cls = enclosingClass(mod, scopeId);
    if (!cls) return undefined;
    const field = bindingsIn(mod, cls.id)
      .get(attr[1])
      ?.find((w) => w.annotation);
    if (field) return field.annotation;
    return selfAttrBindings(mod, cls, receiver).find((w) => w.annotation)?.annotation;
  }
  if (!/^[A-Za-z_]\w*$/.test(receiver)) return undefined;
  for (let id = scopeId; id >= 0; id = mod.model.scopes[id].parent) {
    const scope = mod.model.scopes[id];
    if (scope.kind === 'class' && id !== scopeId) continue;
    const param = scope.params.find((p) => p.name === receiver);
    if (param) return param.annotation;
    const bound = bindingsIn(mod, id).get(receiver);
    if (bound) return bound.find((w) => w.annotation)?.annotation;
    if (scope.kind !== 'module' && localNames(mod, scope).has(receiver)) return undefined;
  }
  return undefined;
}
