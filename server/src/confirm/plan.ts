/**
 * Decides what a confirmation runs, from the analysis alone (nothing runs
 * here). It looks for the `shared-mutation` finding on the named line and,
 * without `--call`, for the function that starts the threads reaching the
 * statement: the enclosing top-level function of a spawn site of a thread
 * target that reaches it, or a caller of that function, which must take no
 * required arguments (`main()`). A line without a finding is allowed: a user
 * may want to see that the guarded twin of a race shows nothing, and its
 * threads are found the same way, by which targets reach the statement.
 */
import type { Config, FileReport, Finding, ThreadTarget } from '../analysis/types';
import { checkSources, modelOf, type Syntax } from '../engine';
import type { ModuleModel, Scope } from '../model/types';
import type { ConfirmEntry, ConfirmError } from './types';

export interface Plan {
  finding: Finding | undefined;
  /** The function to call with no arguments; absent when the caller gave `--call` or none was found. */
  entry?: ConfirmEntry;
  /** Why nothing can run: no assignment on the line, or no function that starts its threads. */
  problem?: ConfirmError;
}

/** How far calls are followed from a thread target to the statement, and from a spawner to its callers. */
const MAX_DEPTH = 4;

/** Analyses the file and plans the run; `line` is 1-based. */
export function planConfirm(
  syntax: Syntax,
  file: { path: string; text: string },
  line: number,
  config: Config,
  call?: string,
): Plan {
  const model = modelOf(syntax, file);
  // The Python side decides exactly which assignments it can split; this only catches lines with none.
  if (!model.writes.some((w) => w.span.line <= line - 1 && line - 1 <= w.span.endLine)) {
    return {
      finding: undefined,
      problem: { kind: 'no-statement', message: `line ${line} holds no assignment to confirm` },
    };
  }
  const [report] = checkSources(syntax, [file], config);
  const finding = report.findings.find(
    (f) => f.rule === 'shared-mutation' && f.span.line <= line - 1 && line - 1 <= f.span.endLine,
  );
  if (call !== undefined) return { finding };
  const found = findEntry(model, report, line - 1, finding);
  return {
    finding,
    entry: found.entry,
    problem: found.problem ? { kind: 'no-entry', message: found.problem } : undefined,
  };
}

function findEntry(
  model: ModuleModel,
  report: FileReport,
  line: number,
  finding: Finding | undefined,
): { entry?: ConfirmEntry; problem?: string } {
  const home = innermostFunction(model, line);
  if (!home) return { problem: `line ${line + 1} is not inside a function, so no thread runs it` };
  const named = new Set((finding?.data?.threads ?? []).map((name) => name.replace(/ \(.*\)$/, '')));
  const targets = report.threadTargets.filter(
    (t) => t.runsIn === 'thread' && (named.has(t.name) || reaches(model, scopeOfTarget(model, t), home)),
  );
  if (targets.length === 0) {
    return {
      problem: `no thread start in this file reaches line ${line + 1}; name the call to run with --call`,
    };
  }
  const entries = targets.flatMap((target) => spawnerEntries(model, target));
  const best = entries.find((e) => e.call === 'main()') ?? entries[0];
  if (best) return { entry: best };
  return { problem: noEntryProblem(model, targets) };
}

/** Entries that start `target`: the top-level function around each spawn site, or a no-argument caller of it. */
function spawnerEntries(model: ModuleModel, target: ThreadTarget): ConfirmEntry[] {
  const entries: ConfirmEntry[] = [];
  for (const spawn of target.spawns) {
    const spawner = topLevelFunction(model, innermostScope(model, spawn.span.line));
    if (!spawner) continue;
    const where = `(line ${spawn.span.line + 1})`;
    const caller = noArgumentCaller(model, spawner, 0);
    if (caller === spawner) {
      entries.push({
        kind: 'spawner',
        call: `${spawner.name}()`,
        why: `starts the threads that run \`${target.name}\` ${where}`,
      });
    } else if (caller) {
      entries.push({
        kind: 'spawner',
        call: `${caller.name}()`,
        why: `calls \`${spawner.name}\`, which starts the threads that run \`${target.name}\` ${where}`,
      });
    }
  }
  return entries;
}

function noEntryProblem(model: ModuleModel, targets: ThreadTarget[]): string {
  const spawn = targets[0].spawns[0];
  const spawner = spawn && topLevelFunction(model, innermostScope(model, spawn.span.line));
  const name = targets[0].name;
  if (!spawner) {
    const at = spawn ? ` at line ${spawn.span.line + 1}` : '';
    return `the threads that run \`${name}\` are started by module-level code${at}, which confirm does not run; name the call to run with --call`;
  }
  return `\`${spawner.name}\` starts the threads that run \`${name}\`, but it needs arguments and no function without required arguments calls it; name the call to run with --call`;
}

/** The function itself when it needs no arguments, else the nearest top-level caller that needs none. */
function noArgumentCaller(model: ModuleModel, fn: Scope, depth: number): Scope | undefined {
  if (requiredParams(fn) === 0 && !fn.isAsync) return fn;
  if (depth >= MAX_DEPTH) return undefined;
  for (const call of model.calls) {
    if (call.callee !== fn.name) continue;
    const caller = topLevelFunction(model, model.scopes[call.scope]);
    if (!caller || caller === fn) continue;
    const found = noArgumentCaller(model, caller, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function requiredParams(fn: Scope): number {
  return fn.params.filter((p) => p.defaultText === undefined && !p.splat).length;
}

/** The innermost scope whose span holds the (0-based) line. */
function innermostScope(model: ModuleModel, line: number): Scope {
  let best = model.scopes[0];
  for (const scope of model.scopes) {
    if (scope.span.line <= line && line <= scope.span.endLine && scope.start >= best.start) best = scope;
  }
  return best;
}

function innermostFunction(model: ModuleModel, line: number): Scope | undefined {
  let scope: Scope | undefined = innermostScope(model, line);
  while (scope && scope.kind !== 'function') scope = model.scopes[scope.parent];
  return scope;
}

/** The module-level function a scope is in; undefined at module level or inside a class (a method needs an instance). */
function topLevelFunction(model: ModuleModel, scope: Scope | undefined): Scope | undefined {
  let current = scope;
  while (current && current.parent >= 0) {
    const parent = model.scopes[current.parent];
    if (parent.kind === 'module') return current.kind === 'function' ? current : undefined;
    current = parent;
  }
  return undefined;
}

function scopeOfTarget(model: ModuleModel, target: ThreadTarget): Scope | undefined {
  return model.scopes.find(
    (s) =>
      (s.kind === 'function' || s.kind === 'lambda') &&
      (s.nameSpan.line === target.span.line || s.span.line === target.span.line),
  );
}

/** Does `from` call its way to `to` (or contain it) within a few calls, by function name? */
function reaches(model: ModuleModel, from: Scope | undefined, to: Scope): boolean {
  const seen = new Set<number>();
  let frontier = from ? [from] : [];
  for (let depth = 0; depth <= MAX_DEPTH && frontier.length > 0; depth++) {
    const next: Scope[] = [];
    for (const scope of frontier) {
      if (scope.start <= to.start && to.end <= scope.end) return true;
      if (seen.has(scope.id)) continue;
      seen.add(scope.id);
      next.push(...callees(model, scope));
    }
    frontier = next;
  }
  return false;
}

/** Functions of this module named by the calls made directly in a scope (`f()`, `self.f()`). */
function callees(model: ModuleModel, scope: Scope): Scope[] {
  const names = new Set(
    model.calls.filter((c) => c.scope === scope.id).map((c) => c.method ?? c.callee.split('.').pop() ?? ''),
  );
  return model.scopes.filter((s) => s.kind === 'function' && names.has(s.name));
}
