/**
 * Thread-target discovery: every callable handed to a thread, a pool, a
 * Timer, `asyncio.to_thread` or `run_in_executor`, and the `run` method of
 * Thread subclasses. For each spawn it records whether copies run at once
 * (loops, comprehensions, `map`, several sites) and which arguments every
 * copy shares, which the race analysis needs.
 */
import type { Arg, Call, Scope } from '../model/types';
import { resolveCallee } from './callGraph';
import { type CarryKey, carryKey, keepCarried, peekCarried, volatileCount } from './carry';
import { paramsReaching, takenFrom } from './handoff';
import { EXECUTOR_FACTORIES, POOL_METHODS } from './knowledge';
import {
  type ClassRef,
  calleeOf,
  classAcross,
  classOfValue,
  handedPoolMethod,
  instanceClass,
  isThreadClass,
  originOf,
  paramClass,
  returnedClosures,
} from './origins';
import { type ExecutorBinding, executorAt, lastCallAt } from './origins/bindings';
import {
  bindingInChain,
  type CarriedRef,
  calledParam,
  carryRef,
  enclosingClass,
  type FunctionRef,
  isModuleLevel,
  liveRefs,
  loopsOf,
  type ModuleIndex,
  mentions,
  methodOf,
  type ProjectIndex,
  paramNames,
  qualify,
  resolveFunction,
  slotFor,
} from './resolve';
import type { SpawnKind } from './types';

export interface SpawnSite {
  mod: ModuleIndex;
  call: Call;
  kind: SpawnKind;
  runsIn: 'thread' | 'process';
  /** The argument naming the callable (absent for Thread subclasses). */
  targetArg?: Arg;
  /** Resolved callables (a loop over a list of functions gives several). */
  targets: FunctionRef[];
  /** Copies run at the same time (loop, comprehension, map). */
  concurrent: boolean;
  /** Parameters of the target that receive the same object in every copy. */
  sharedParams: Set<string>;
  /** Parameters that receive the spawning loop's own variable: a different value in every copy. */
  ownParams?: Set<string>;
  /** For bound methods and Thread subclasses: the instance is shared between copies. */
  selfShared: boolean;
  /** Expressions passed as task arguments (for picklability checks). */
  taskArgs: Arg[];
  /** Executor binding name, for pool submissions. */
  executor?: string;
  /** The pool-creating call, when known (for the ProcessPoolExecutor fix). */
  executorCall?: Call;
  /** How a called parameter became a pool's method: the argument a caller hands it, and where. */
  handed?: string;
}

const THREAD_POOL_NAME = /executor|thread_?pool|workers$/i;

/** Resolve the callable an argument names into function or lambda scopes. */
export function resolveCallable(
  project: ProjectIndex,
  mod: ModuleIndex,
  scopeId: number,
  arg: Arg,
  call: Call,
  depth = 0,
): FunctionRef[] {
  if (depth > 3) return [];
  if (arg.kind === 'lambda') {
    const lam = mod.model.scopes.find(
      (s) => s.kind === 'lambda' && s.span.line === arg.span.line && s.span.col === arg.span.col,
    );
    return lam ? [{ mod, scope: lam }] : [];
  }
  if (arg.kind === 'call' && arg.callee && arg.firstArg && isPartial(mod, arg.callee)) {
    return resolveText(project, mod, scopeId, arg.firstArg, call, depth + 1);
  }
  if (arg.kind === 'identifier' || arg.kind === 'attribute')
    return resolveText(project, mod, scopeId, arg.text, call, depth);
  // `Thread(target=make_checker(jobs))`: the thread runs the closure the factory returns.
  if (arg.kind === 'call' && arg.callee) return closuresReturnedBy(project, mod, scopeId, arg.callee);
  return [];
}

/** The closures a call of a function of the analysed files hands back (origins.ts returnedClosures). */
function closuresReturnedBy(project: ProjectIndex, mod: ModuleIndex, scopeId: number, callee: string): FunctionRef[] {
  if (!/^[A-Za-z_]\w*$/.test(callee)) return [];
  const fn = resolveFunction(project, mod, scopeId, callee);
  return fn?.scope.kind === 'function' ? returnedClosures(fn) : [];
}

function resolveText(
  project: ProjectIndex,
  mod: ModuleIndex,
  scopeId: number,
  text: string,
  call: Call,
  depth: number,
): FunctionRef[] {
  const dot = text.lastIndexOf('.');
  if (dot > 0) {
    const objectText = text.slice(0, dot);
    const name = text.slice(dot + 1);
    // What the object is decides the method; an object that cannot be placed stays unknown (the module's
    // only `copy` method is not what `self.s3.meta.client.copy` runs).
    const scope = mod.model.scopes[scopeId];
    const own = classOfValue(mod, scopeId, objectText) ?? mod.classes.get(objectText)?.[0];
    // Failing the local answers, the resolver calls use (origins.ts instanceClass): `self.registry.refresh`
    // is the method of the class `self.registry` is bound to, a chain step by step.
    const cls = own
      ? { mod, cls: own }
      : scope.kind === 'function' && scope.params.some((p) => p.name === objectText)
        ? paramClass(project, mod, scope, objectText)
        : instanceClass(project, mod, scope, objectText);
    const m = cls ? methodOf(cls.mod, cls.cls, name) : undefined;
    return cls && m ? [{ mod: cls.mod, scope: m }] : [];
  }
  const fn = resolveFunction(project, mod, scopeId, text);
  if (fn) return [fn];
  // A loop variable over a list of functions: `for chore in chores: Thread(target=chore)`.
  for (const region of loopsOf(mod, call.regions, call.start)) {
    if (!region.vars.includes(text)) continue;
    const elements = listElements(mod, scopeId, region.expr);
    return elements.flatMap((e) => resolveText(project, mod, scopeId, e, call, depth + 1));
  }
  const bound = bindingInChain(mod, scopeId, text, call.start);
  if (bound && bound.valueKind === 'call' && bound.valueCallee && isPartial(mod, bound.valueCallee)) {
    const first = bound.value.slice(bound.value.indexOf('(') + 1).split(/[,)]/)[0];
    return resolveText(project, mod, scopeId, first, call, depth + 1);
  }
  if (bound && bound.valueKind === 'lambda') {
    const lam = mod.model.scopes.find((s) => s.kind === 'lambda' && s.start >= bound.start && s.end <= bound.end);
    if (lam) return [{ mod, scope: lam }];
  }
  if (bound && (bound.valueKind === 'identifier' || bound.valueKind === 'attribute') && bound.value !== text) {
    return resolveText(project, mod, scopeId, bound.value, call, depth + 1);
  }
  return [];
}

function listElements(mod: ModuleIndex, scopeId: number, expr: string): string[] {
  if (/^[[(].*[\])]$/.test(expr)) return splitTopLevel(expr.slice(1, -1));
  const bound = bindingInChain(mod, scopeId, expr);
  return bound?.valueElements ?? [];
}

function splitTopLevel(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => /^[A-Za-z_][\w.]*$/.test(s));
}

/** Is this callee text `functools.partial` (or a `partial` imported from elsewhere)? */
function isPartial(mod: ModuleIndex, callee: string): boolean {
  return /(^|\.)partial$/.test(qualify(mod, callee));
}

/** The `functools.partial(...)` call an argument is, when it is one. */
export function partialCall(mod: ModuleIndex, arg: Arg): Call | undefined {
  if (arg.kind !== 'call' || !arg.callee || !isPartial(mod, arg.callee)) return undefined;
  return lastCallAt(mod.model.calls, arg.span.line, arg.span.col);
}

/** Loop and comprehension variables around a call, within its own scope. */
function loopVars(mod: ModuleIndex, call: Call): string[] {
  const vars: string[] = [];
  if (call.regions.length === 0) return vars;
  for (const r of loopsOf(mod, call.regions, call.start)) {
    for (const v of r.vars) {
      if (v.includes(',')) vars.push(...v.split(','));
      else vars.push(v);
    }
  }
  return vars;
}

/** Which positional/keyword task arguments are the same object in every copy of the task. */
function sharedParamsOf(target: FunctionRef, args: Arg[], vars: string[]): Set<string> {
  const shared = new Set<string>();
  const params = paramNames(target.mod, target.scope);
  let position = 0;
  for (const arg of args) {
    if (arg.splat) return shared;
    const name = arg.keyword ?? params[position++];
    if (!name) continue;
    const perCopy = vars.some((v) => mentions(arg.text, v));
    const literal = /^(['"\d-]|None$|True$|False$)/.test(arg.text);
    // Only names and attributes can be the same mutable object in every copy; calls make fresh values.
    const named = arg.kind === 'identifier' || arg.kind === 'attribute';
    if (!perCopy && !literal && named) shared.add(name);
  }
  return shared;
}

/** Parameters whose argument is exactly a variable of the loop around the spawn (`args=(i,)`). */
function ownParamsOf(target: FunctionRef, args: Arg[], vars: string[]): Set<string> {
  const own = new Set<string>();
  const params = paramNames(target.mod, target.scope);
  let position = 0;
  for (const arg of args) {
    if (arg.splat) break;
    const name = arg.keyword ?? params[position++];
    if (name && vars.includes(arg.text)) own.add(name);
  }
  return own;
}

function positional(call: Call): Arg[] {
  return call.args.filter((a) => !a.keyword && !a.splat);
}

function keyword(call: Call, name: string): Arg | undefined {
  return call.args.find((a) => a.keyword === name);
}

/** Everything a spawn call hands to the target: `args=(...)` for threads, the rest for pools. */
function taskArgsOf(mod: ModuleIndex, call: Call, kind: SpawnKind, afterTarget: number): Arg[] {
  if (kind === 'initializer') {
    const init = initializerOf(call, calleeOf(mod, call));
    return init?.args ? tupleItems(init.args) : [];
  }
  if (kind === 'thread' || kind === 'timer' || kind === 'process') {
    return [...tupleItems(keyword(call, 'args')), ...call.args.filter((a) => a.keyword === 'kwargs')];
  }
  return call.args.filter(
    (a, i) => i > afterTarget && !['chunksize', 'timeout', 'callback', 'error_callback'].includes(a.keyword ?? ''),
  );
}

/** The items of an `args=(...)` tuple as arguments of their own. */
function tupleItems(args: Arg | undefined): Arg[] {
  return (args?.elements ?? []).map((text) => ({
    text,
    kind: /^[A-Za-z_][\w]*$/.test(text) ? 'identifier' : /^[A-Za-z_][\w.]*$/.test(text) ? 'attribute' : 'expression',
    span: args!.span,
  }));
}

interface Classified {
  kind: SpawnKind;
  runsIn: 'thread' | 'process';
  targetArg?: Arg;
  targetIndex: number;
  many: boolean;
  executor?: ExecutorBinding;
  handed?: string;
}

/** Could this call start a thread or process? Most calls are ruled out here, before anything is built. */
function maySpawn(mod: ModuleIndex, call: Call): boolean {
  if ((call.method && POOL_METHODS.has(call.method) && call.receiver) || call.method === 'run_in_executor') return true;
  if (call.calleeKind === 'identifier' && calledParam(mod, call)) return true;
  const q = calleeOf(mod, call);
  return (
    q === 'threading.Thread' ||
    q === 'threading.Timer' ||
    q === 'asyncio.to_thread' ||
    q === 'multiprocessing.Process' ||
    (EXECUTOR_FACTORIES.has(q) && initializerOf(call, q) !== undefined)
  );
}

/**
 * Where each pool constructor takes `initializer` positionally: `Pool(processes, initializer, initargs)`,
 * `ThreadPoolExecutor(max_workers, thread_name_prefix, initializer, initargs)`,
 * `ProcessPoolExecutor(max_workers, mp_context, initializer, initargs)`.
 */
function initializerIndex(qualified: string): number {
  return qualified.endsWith('Executor') ? 2 : 1;
}

/** The `initializer=` a pool constructor is given, which every worker runs once as it starts. */
function initializerOf(call: Call, qualified: string): { target: Arg; args?: Arg } | undefined {
  const index = initializerIndex(qualified);
  const pos = positional(call);
  const target = keyword(call, 'initializer') ?? pos[index];
  if (!target || target.text === 'None') return undefined;
  return { target, args: keyword(call, 'initargs') ?? pos[index + 1] };
}

function classifySpawn(mod: ModuleIndex, call: Call, bindings: ExecutorBinding[]): Classified | undefined {
  const q = calleeOf(mod, call);
  // calleeOf gives a context's Process (`get_context("spawn").Process`) as multiprocessing.Process.
  const processClass = q === 'multiprocessing.Process';
  const poolMethod = !!call.method && !!call.receiver && POOL_METHODS.has(call.method);
  const pos = positional(call);
  if (q === 'threading.Thread') {
    const targetArg = keyword(call, 'target') ?? pos[1];
    return targetArg ? { kind: 'thread', runsIn: 'thread', targetArg, targetIndex: -1, many: false } : undefined;
  }
  if (q === 'threading.Timer') {
    const targetArg = keyword(call, 'function') ?? pos[1];
    return targetArg ? { kind: 'timer', runsIn: 'thread', targetArg, targetIndex: -1, many: false } : undefined;
  }
  if (processClass) {
    const targetArg = keyword(call, 'target') ?? pos[1];
    return targetArg ? { kind: 'process', runsIn: 'process', targetArg, targetIndex: -1, many: false } : undefined;
  }
  const pool = EXECUTOR_FACTORIES.get(q);
  if (pool) {
    const init = initializerOf(call, q);
    if (!init) return undefined;
    const runsIn = pool === 'process-pool' ? 'process' : 'thread';
    // Every worker runs it as it starts, so in a thread pool several run at once.
    return { kind: 'initializer', runsIn, targetArg: init.target, targetIndex: -1, many: true };
  }
  if (q === 'asyncio.to_thread') {
    return pos[0] ? { kind: 'to-thread', runsIn: 'thread', targetArg: pos[0], targetIndex: 0, many: false } : undefined;
  }
  if (call.method === 'run_in_executor' && pos.length >= 2) {
    const ex = pos[0].text;
    const binding = ex === 'None' ? undefined : executorAt(mod, bindings, ex, call);
    const runsIn = binding?.kind === 'process-pool' ? 'process' : 'thread';
    return {
      kind: runsIn === 'process' ? 'process-pool' : 'run-in-executor',
      runsIn,
      targetArg: pos[1],
      targetIndex: 1,
      many: false,
      executor: binding,
    };
  }
  if (poolMethod && call.receiver && call.method && pos[0]) {
    let binding = executorAt(mod, bindings, call.receiver, call);
    if (!binding && call.receiverKind === 'call') {
      const inner = mod.model.calls.find(
        (c) => c.start === call.start && c.id !== call.id && EXECUTOR_FACTORIES.has(calleeOf(mod, c)),
      );
      if (inner)
        binding = {
          name: '',
          kind: EXECUTOR_FACTORIES.get(calleeOf(mod, inner))!,
          scope: call.scope,
          call: inner,
        };
    }
    const many = POOL_METHODS.get(call.method) ?? false;
    if (binding) {
      const runsIn = binding.kind === 'process-pool' ? 'process' : 'thread';
      return {
        kind: binding.kind,
        runsIn,
        targetArg: pos[0],
        targetIndex: call.args.indexOf(pos[0]),
        many,
        executor: binding,
      };
    }
    // A pool made elsewhere and handed in (`def stage(ex, xs): ex.map(crunch, xs)`, called with a thread
    // pool): what made it decides before any name does.
    const origin = originOf(mod, call.scope, call.receiver);
    const handed = origin ? EXECUTOR_FACTORIES.get(origin) : undefined;
    if (handed) {
      const runsIn = handed === 'process-pool' ? 'process' : 'thread';
      return { kind: handed, runsIn, targetArg: pos[0], targetIndex: call.args.indexOf(pos[0]), many };
    }
    // An executor we cannot see (an attribute set elsewhere, a parameter no call site shows): trust the name.
    // `map` is a common method name, so it needs a receiver actually called an executor.
    const executorNamed =
      call.method === 'submit' ? THREAD_POOL_NAME.test(call.receiver) : /executor/i.test(call.receiver);
    if ((call.method === 'submit' || call.method === 'map') && executorNamed && !/process/i.test(call.receiver)) {
      return { kind: 'thread-pool', runsIn: 'thread', targetArg: pos[0], targetIndex: call.args.indexOf(pos[0]), many };
    }
  }
  // `map(lambda c: ..., chunks)` where a caller hands the parameter `map` a pool's method (`map=Pool().map`).
  if (call.calleeKind === 'identifier' && pos[0] && mod.project && calledParam(mod, call)) {
    const scope = mod.model.scopes[call.scope];
    const handed = handedPoolMethod(mod.project, mod, scope, call.callee);
    if (handed) {
      const runsIn = handed.kind === 'process-pool' ? 'process' : 'thread';
      const where = `${handed.path.split('/').pop()}:${handed.line + 1}`;
      return {
        kind: handed.kind,
        runsIn,
        targetArg: pos[0],
        targetIndex: call.args.indexOf(pos[0]),
        many: true,
        handed: `\`${call.callee}\` is \`${handed.text}\`, a ${runsIn} pool's method, where \`${scope.name}\` is called at ${where}`,
      };
    }
  }
  return undefined;
}

const PROCESS_BASES = new Set(['multiprocessing.Process', 'multiprocessing.context.Process']);

/**
 * Classes deriving from threading.Thread or multiprocessing.Process, directly or through a class of the
 * same module, with where their `run` goes.
 */
function workerClasses(mod: ModuleIndex): { cls: Scope; runsIn: 'thread' | 'process' }[] {
  const out: { cls: Scope; runsIn: 'thread' | 'process' }[] = [];
  const baseOf = (cls: Scope, depth: number): 'thread' | 'process' | undefined => {
    if (depth >= 5) return undefined;
    for (const b of cls.bases) {
      const q = qualify(mod, b);
      if (q === 'threading.Thread' || q === 'threading.Timer') return 'thread';
      if (PROCESS_BASES.has(q)) return 'process';
      const base = mod.classes.get(b)?.[0];
      const via = base ? baseOf(base, depth + 1) : undefined;
      if (via) return via;
    }
    return undefined;
  };
  for (const list of mod.classes.values()) {
    for (const cls of list) {
      const runsIn = baseOf(cls, 0);
      if (runsIn) out.push({ cls, runsIn });
    }
  }
  return out;
}

/** Where a class of any analysed module runs its `run`: a Thread (through imported bases too) or a Process. */
function workerKind(made: ClassRef): 'thread' | 'process' | undefined {
  if (isThreadClass(made.mod, made.cls)) return 'thread';
  return workerClasses(made.mod).find((w) => w.cls === made.cls)?.runsIn;
}

/** A spawn site as carried in its call's slot (carry.ts): no ModuleIndex, functions by path and scope. */
interface CarriedSite {
  /** The site with its module and targets cleared (they belong to the run that found it). */
  site: Omit<SpawnSite, 'mod' | 'targets'> & { mod: undefined; targets: undefined };
  targets: CarriedRef[];
  /** The call's line: task arguments made from `args=(...)` hold spans of their own. */
  line: number;
}

/** The carried site of a spawn call, with this run's indexes; undefined when a function it names changed. */
function rebuilt(project: ProjectIndex, mod: ModuleIndex, carried: CarriedSite): SpawnSite | undefined {
  if (carried.line !== carried.site.call.span.line) return undefined;
  const executorCall = carried.site.executorCall;
  if (executorCall && mod.model.calls[executorCall.id] !== executorCall) return undefined;
  const targets = liveRefs(project, carried.targets);
  return targets && { ...carried.site, mod, targets };
}

/** A call's spawn site (null: the call spawns nothing), with its targets as carried references. */
const SPAWN: CarryKey<CarriedSite | null> = carryKey('spawn');

/**
 * Every spawn site of a module. `bindings` are its executor bindings (executorBindings). Sites are carried
 * in their call's slot while the functions they start and the executor they use are unchanged.
 */
export function findSpawns(project: ProjectIndex, mod: ModuleIndex, bindings: ExecutorBinding[]): SpawnSite[] {
  const sites: SpawnSite[] = [];
  for (const call of mod.spawnCalls) {
    if (!maySpawn(mod, call)) continue;
    const slot = slotFor(mod, call, call.scope);
    const carried = peekCarried(slot, SPAWN);
    if (carried === null) continue;
    const again = carried && rebuilt(project, mod, carried);
    if (again) {
      sites.push(again);
      continue;
    }
    const before = volatileCount();
    const site = spawnSite(project, mod, call, bindings);
    // A target named through a parameter (`Thread(target=worker.run)`, or `self.catalog.reload` where
    // `__init__` stored a parameter) resolves from other functions' statements (origins.ts): decided
    // afresh in every run, never carried.
    const scope = mod.model.scopes[call.scope];
    const viaParam =
      volatileCount() !== before || call.args.some((a) => scope.params.some((p) => a.text.startsWith(`${p.name}.`)));
    if (viaParam) {
      if (site) sites.push(site);
      continue;
    }
    keepCarried(
      slot,
      SPAWN,
      site
        ? {
            site: { ...site, mod: undefined, targets: undefined },
            targets: site.targets.map(carryRef),
            line: call.span.line,
          }
        : null,
    );
    if (site) sites.push(site);
  }
  const subclassSite = (call: Call, at: ModuleIndex, cls: Scope, runsIn: 'thread' | 'process', classVar?: string) => {
    const run = methodOf(at, cls, 'run');
    const init = methodOf(at, cls, '__init__');
    // The callables the constructor was given and `run` calls back (`PeriodicTimer(10, flush)`, whose
    // run calls `self.function()`) run on the new thread too.
    const held = runsIn === 'thread' ? heldCallables(project, mod, call, at, cls, run, init) : [];
    if (!run && held.length === 0) return;
    // A loop over classes (`for kind in (Reader, Writer)`) makes one instance of each, not several of one.
    const vars = loopVars(mod, call).filter((v) => v !== classVar);
    // A Process subclass's instance, with what its constructor was given, is what spawn pickles.
    const site: SpawnSite = {
      mod,
      call,
      kind: runsIn === 'thread' ? 'thread-subclass' : 'process',
      runsIn,
      targets: [...(run ? [{ mod: at, scope: run }] : []), ...held],
      concurrent: vars.length > 0,
      sharedParams: new Set(),
      selfShared: false,
      taskArgs: call.args,
    };
    if (init) site.sharedParams = sharedParamsOf({ mod: at, scope: init }, call.args, vars);
    sites.push(site);
  };
  for (const { cls, runsIn } of workerClasses(mod)) {
    for (const call of mod.model.calls) if (call.callee === cls.name) subclassSite(call, mod, cls, runsIn);
  }
  // A Thread or Process subclass another module of the project defines (`PeriodicTimer(10, flush)` with
  // `from .periodic_timer import PeriodicTimer`), made here.
  for (const call of mod.model.calls) {
    if (call.calleeKind !== 'identifier' && call.calleeKind !== 'attribute') continue;
    const last = call.callee.slice(call.callee.lastIndexOf('.') + 1);
    if (!/^[A-Z]/.test(last) || mod.classes.has(call.callee) || !mod.imports.has(call.callee.split('.')[0])) continue;
    const made = classAcross(mod, call.callee);
    if (!made || made.mod === mod) continue;
    const runsIn = workerKind(made);
    if (runsIn) subclassSite(call, made.mod, made.cls, runsIn);
  }
  // `[kind(board, 5.0) for kind in (Heartbeat, Reaper)]`: a call of a loop variable that walks a display of
  // classes constructs each of them, one instance per class.
  for (const call of mod.model.calls) {
    if (call.calleeKind !== 'identifier') continue;
    const loop = loopsOf(mod, call.regions, call.start).find((r) => r.vars.length === 1 && r.vars[0] === call.callee);
    const names =
      loop &&
      CLASS_DISPLAY.exec(loop.expr.trim())?.[1]
        .split(',')
        .map((n) => n.trim());
    for (const name of names ?? []) {
      const local = workerClasses(mod).find((w) => w.cls.name === name);
      const made = local ? { mod, cls: local.cls } : classAcross(mod, name);
      if (!made) continue;
      const runsIn = local?.runsIn ?? workerKind(made);
      if (runsIn) subclassSite(call, made.mod, made.cls, runsIn, call.callee);
    }
  }
  return sites;
}

/** A tuple or list display of names: `(Reader, Writer)`, `[Heartbeat, Reaper]`. */
const CLASS_DISPLAY = /^[([]\s*([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*,?\s*[)\]]$/;

/**
 * The callables a Thread subclass's constructor call hands over that the thread calls back: `run` calls
 * `self.function(...)` and `__init__` stored a parameter there (`self.function = function`), as
 * `threading.Timer` does; a Timer subclass that keeps Timer's own `__init__` (or `run`) holds
 * `function`, its second argument. Each is resolved where the constructor is called.
 */
function heldCallables(
  project: ProjectIndex,
  mod: ModuleIndex,
  call: Call,
  at: ModuleIndex,
  cls: Scope,
  run: Scope | undefined,
  init: Scope | undefined,
): FunctionRef[] {
  const timer = timerBased(at, cls);
  // Attribute name -> the constructor parameter it holds, with the parameter's position among the
  // arguments (`self` not counted).
  const holds = new Map<string, { name: string; index: number }>();
  if (init) {
    const params = init.params;
    for (const w of at.writesByScope.get(init.id) ?? []) {
      if (w.kind !== 'assign' || w.targets.length !== 1) continue;
      const t = w.targets[0];
      if (t.kind !== 'attribute' || t.object !== 'self' || !t.key) continue;
      const index = params.findIndex((p, i) => i > 0 && !p.splat && p.name === w.value.trim());
      if (index > 0) holds.set(t.key, { name: params[index].name, index: index - 1 });
    }
  } else if (timer) holds.set('function', { name: 'function', index: 1 });
  if (holds.size === 0) return [];
  const called = new Set<string>();
  if (run) {
    for (const c of at.callsByScope.get(run.id) ?? []) {
      if (c.receiver === 'self' && c.method && holds.has(c.method)) called.add(c.method);
    }
  } else if (timer && holds.has('function')) called.add('function');
  const out: FunctionRef[] = [];
  const pos = positional(call);
  for (const attr of called) {
    const p = holds.get(attr);
    if (!p) continue;
    const arg = keyword(call, p.name) ?? pos[p.index];
    if (!arg || arg.text === 'None') continue;
    for (const ref of resolveCallable(project, mod, call.scope, arg, call)) {
      if (!out.some((o) => o.mod === ref.mod && o.scope === ref.scope)) out.push(ref);
    }
  }
  return out;
}

/** Is this class `threading.Timer` or built on it (within its module)? */
function timerBased(mod: ModuleIndex, cls: Scope, depth = 0): boolean {
  if (depth > 4) return false;
  return cls.bases.some((b) => {
    if (qualify(mod, b) === 'threading.Timer') return true;
    const base = mod.classes.get(b)?.[0];
    return !!base && timerBased(mod, base, depth + 1);
  });
}

/** The spawn site a call is, if any. */
function spawnSite(
  project: ProjectIndex,
  mod: ModuleIndex,
  call: Call,
  bindings: ExecutorBinding[],
): SpawnSite | undefined {
  const c = classifySpawn(mod, call, bindings);
  if (!c?.targetArg) return undefined;
  const targets = resolveCallable(project, mod, call.scope, c.targetArg, call);
  const vars = loopVars(mod, call);
  const concurrent = c.many || vars.length > 0;
  const taskArgs = taskArgsOf(mod, call, c.kind, c.targetIndex);
  const site: SpawnSite = {
    mod,
    call,
    kind: c.kind,
    runsIn: c.runsIn,
    targetArg: c.targetArg,
    targets,
    concurrent,
    sharedParams: new Set(),
    selfShared: c.targetArg.kind === 'attribute' && concurrent,
    taskArgs,
    executor: c.executor?.name,
    executorCall: c.executor?.call,
    handed: c.handed,
  };
  // `map` hands each copy its own item; only submit/apply-style args can be shared.
  if (targets.length === 1 && !c.many) site.sharedParams = sharedParamsOf(targets[0], taskArgs, concurrent ? vars : []);
  if (targets.length === 1 && !c.many && vars.length > 0) site.ownParams = ownParamsOf(targets[0], taskArgs, vars);
  // `partial(self._head, timeout=5)` / `partial(fetch, tally)`: what the partial binds is the same
  // object in every copy, the instance of a bound method included.
  const bound = partialCall(mod, c.targetArg);
  if (bound && targets.length === 1) {
    const partialArgs = bound.args.slice(1);
    for (const p of sharedParamsOf(targets[0], partialArgs, concurrent ? vars : [])) site.sharedParams.add(p);
    if (bound.args[0]?.kind === 'attribute' && concurrent) site.selfShared = true;
  }
  return site;
}

/** Module-level functions (and methods of module-level classes) pickle by reference. */
export function isPicklableTarget(ref: FunctionRef): boolean {
  return ref.scope.kind === 'function' && ref.scope.parent === 0 && isModuleLevel(ref.mod, ref.scope);
}

/** A function that hands one of its own parameters to a thread or process (`def spawn(fn, *args)`). */
interface Wrapper {
  mod: ModuleIndex;
  scope: Scope;
  /** The parameter that becomes the target, and its position among the parameters. */
  param: string;
  index: number;
  /** The `*args` parameter the spawn forwards as the target's arguments, if any. */
  forwards?: string;
  site: SpawnSite;
  /** Hands the parameter over through a container (handoff.ts); only a callable argument makes a spawn. */
  handoff?: boolean;
}

/** The wrappers among a module's spawn sites: the target argument is a parameter of the spawning function. */
function wrappersIn(mod: ModuleIndex, sites: SpawnSite[]): Wrapper[] {
  const out: Wrapper[] = [];
  for (const site of sites) {
    const arg = site.targetArg;
    const scope = mod.model.scopes[site.call.scope];
    if (arg?.kind !== 'identifier' || scope.kind !== 'function' || site.targets.length > 0) continue;
    const index = scope.params.findIndex((p) => p.name === arg.text && !p.splat);
    if (index < 0) {
      out.push(...handoffWrappers(mod, scope, arg.text, site));
      continue;
    }
    // `Thread(target=fn, args=args)` or `pool.submit(fn, *args)` with `*args` a parameter: the wrapper's
    // callers' extra arguments are the target's.
    // The first splat parameter is `*args` (a `**kwargs` comes last).
    const star = scope.params.find((p) => p.splat)?.name.replace(/^\*+/, '');
    const forwarded =
      !!star &&
      site.call.args.some(
        (a) => (a.keyword === 'args' && a.text === star) || (a.splat === '*' && a.text.replace(/^\*+/, '') === star),
      );
    out.push({ mod, scope, param: arg.text, index, forwards: forwarded ? star : undefined, site });
  }
  return out;
}

/**
 * The methods that hand a callable to this spawn through one of the class's containers (handoff.ts): the
 * spawn runs `name`, an item the method `scope` took from `self._queue`, and each method whose parameter
 * reaches that container is a wrapper for that parameter.
 */
function handoffWrappers(mod: ModuleIndex, scope: Scope, name: string, site: SpawnSite): Wrapper[] {
  const cls = enclosingClass(mod, scope.id);
  const container = cls && takenFrom(mod, scope, name, site.call.start);
  if (!cls || !container) return [];
  const out: Wrapper[] = [];
  for (const [method, indices] of paramsReaching(mod, cls, container)) {
    if (method === scope) continue;
    for (const index of indices)
      out.push({ mod, scope: method, param: method.params[index].name, index, site, handoff: true });
  }
  return out;
}

/**
 * Calls of spawn wrappers, as spawn sites of their own: `spawn(work, 10)` after `def spawn(fn, *args):
 * Thread(target=fn, args=args).start()` starts `work` on a thread, with `10` as its argument. Wrappers
 * are found once per run over every module (a wrapper's callers may live in any module), one level deep:
 * a wrapper of a wrapper is not followed. Decided afresh in every run, never carried.
 */
export function wrapperSpawns(project: ProjectIndex, sites: Map<ModuleIndex, SpawnSite[]>): void {
  // A handoff method can pass on more than one parameter (`schedule(delay, fn)`): each is a wrapper.
  const wrappers = new Map<Scope, Wrapper[]>();
  for (const [mod, list] of sites) {
    for (const w of wrappersIn(mod, list)) {
      const same = (wrappers.get(w.scope) ?? []).filter((o) => o.index !== w.index);
      wrappers.set(w.scope, [...same, w]);
    }
  }
  if (wrappers.size === 0) return;
  const names = new Set([...wrappers.keys()].map((scope) => scope.name));
  for (const mod of project.modules) {
    const found: SpawnSite[] = [];
    for (const call of mod.model.calls) {
      const name = call.calleeKind === 'identifier' ? call.callee : call.method;
      if (!name || !names.has(name)) continue;
      let fn: Scope | undefined;
      let shift = 0;
      if (call.calleeKind === 'identifier') {
        const ref = resolveFunction(project, mod, call.scope, name);
        fn = ref?.scope;
      } else if (call.receiver === 'self') {
        const cls = enclosingClass(mod, call.scope);
        fn = cls ? methodOf(mod, cls, name) : undefined;
        shift = 1;
      } else {
        // A method of another object (`self._cluster.scheduler.schedule(0, fn)`): the receiver's class decides.
        fn = resolveCallee(project, mod, mod.model.scopes[call.scope], call)?.scope;
        shift = 1;
      }
      for (const w of (fn && wrappers.get(fn)) || []) {
        if (w.site.call.scope === call.scope) continue;
        const positionalArgs = call.args.filter((a) => !a.keyword);
        if (positionalArgs.some((a, i) => a.splat && i <= w.index - shift)) continue;
        const arg = call.args.find((a) => a.keyword === w.param) ?? positionalArgs[w.index - shift];
        if (!arg || arg.splat) continue;
        const targets = resolveCallable(project, mod, call.scope, arg, call);
        if (w.handoff && targets.length === 0) continue;
        const vars = loopVars(mod, call);
        const concurrent = w.site.concurrent || vars.length > 0;
        const taskArgs = w.forwards ? positionalArgs.slice(w.index - shift + 1) : [];
        const site: SpawnSite = {
          mod,
          call,
          kind: w.site.kind,
          runsIn: w.site.runsIn,
          targetArg: arg,
          targets,
          concurrent,
          sharedParams: new Set(),
          selfShared: arg.kind === 'attribute' && concurrent,
          taskArgs,
          executor: w.site.executor,
          executorCall: w.site.executorCall,
        };
        if (targets.length === 1) site.sharedParams = sharedParamsOf(targets[0], taskArgs, concurrent ? vars : []);
        found.push(site);
      }
    }
    if (found.length > 0) sites.set(mod, [...(sites.get(mod) ?? []), ...found]);
  }
}
