/**
 * The analysis pipeline: indexes a set of module models analysed together (so
 * calls between files resolve), gathers the facts every rule shares (lock
 * bindings, spawn sites, classified thread targets), runs the rules of the
 * registry (rules/registry.ts) and gathers per-file reports: thread targets,
 * findings with fixes, and lock facts for hovers. Pure: no LSP, fs or
 * child_process.
 */
import type { ModuleModel } from '../model/types';
import { epochOf, noteTable } from './carry';
import { decide, type Evidence, newClassifyContext, reasonsFor, targetEvidence } from './classify';
import { type LockBinding, lockBindings } from './locks';
import { executorBindings } from './origins/bindings';
import { funcKey, indexProject, type ModuleIndex, type ProjectIndex } from './resolve';
import { type ModuleFacts, RULES, type Rule } from './rules/registry';
import { applySuppressions } from './suppress';
import { findSpawns, isPicklableTarget, type SpawnSite, wrapperSpawns } from './targets';
import type { Config, FileReport, Finding, LockInfo, ThreadTarget } from './types';

/**
 * `carry` lets this run reuse facts from the previous run over the same files (carry.ts): the language
 * server's keystrokes do; one-shot runs need not pay for keeping them.
 */
export function analyzeProject(
  models: ModuleModel[],
  config: Config,
  focus?: Set<string>,
  carry = false,
  rules: readonly Rule[] = RULES,
): FileReport[] {
  const epoch = epochOf(models, config, carry);
  const project = indexProject(models, epoch);
  const cctx = newClassifyContext(project, config);
  const locks = new Map<ModuleIndex, LockBinding[]>();
  for (const mod of project.modules) {
    const bindings = lockBindings(mod, config);
    locks.set(mod, bindings);
    // Facts carried about `with x:` blocks hold while the names bound to locks keep their meaning.
    noteTable(
      epoch,
      `locks:${mod.model.path}`,
      bindings.map((b) => [
        b.name,
        `${b.kind} ${b.mutex} ${b.perCall} ${b.canonical} ${mod.model.scopes[b.scope]?.name ?? ''}`,
      ]),
    );
  }
  const locksOf = (mod: ModuleIndex) => locks.get(mod) ?? [];
  const executors = new Map(project.modules.map((mod) => [mod, executorBindings(mod)]));
  for (const [mod, list] of executors) {
    // Carried spawn sites hold while the names bound to executors keep their meaning.
    const entries = list.map((b): [string, string] => [b.name, `${b.kind} ${mod.model.scopes[b.scope]?.name ?? ''}`]);
    noteTable(epoch, `executors:${mod.model.path}`, entries);
  }
  const sites = new Map<ModuleIndex, SpawnSite[]>();
  for (const mod of project.modules) sites.set(mod, findSpawns(project, mod, executors.get(mod) ?? []));
  wrapperSpawns(project, sites);
  const targetsByMod = new Map<ModuleIndex, ThreadTarget[]>();
  const targets = buildTargets(project, sites, cctx, targetsByMod);
  // Each rule does its project-wide work once, in registry order, and returns its per-module check.
  const facts = { project, config, cctx, locksOf, sites, targets };
  // A rule that fails, project-wide or on one file, is a defect of ours: it loses that rule's findings
  // there and is reported as such, while every other rule and file is still checked.
  const checks = rules.map((rule): { id: string; check: (m: ModuleFacts) => Finding[] } => {
    try {
      return { id: rule.id, check: rule.run(facts) };
    } catch (error) {
      return {
        id: rule.id,
        check: () => {
          throw error;
        },
      };
    }
  });
  const reports: FileReport[] = [];
  for (const mod of project.modules) {
    if (focus && !focus.has(mod.model.path)) continue;
    const bindings = locksOf(mod);
    const m = { mod, locks: bindings, lockInfos: lockInfo(mod, bindings), sites: sites.get(mod) ?? [] };
    const internalErrors: string[] = [];
    let findings: Finding[] = checks.flatMap(({ id, check }) => {
      try {
        return check(m);
      } catch (error) {
        internalErrors.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
        return [];
      }
    });
    findings = applyConfig(applySuppressions(mod.model, onePerLine(findings)), config);
    findings.sort((a, b) => a.span.line - b.span.line || a.span.col - b.span.col || a.rule.localeCompare(b.rule));
    const threadTargets = (targetsByMod.get(mod) ?? []).sort((a, b) => a.span.line - b.span.line);
    const report: FileReport = { path: mod.model.path, findings, threadTargets, locks: m.lockInfos };
    if (internalErrors.length > 0) report.internalErrors = internalErrors;
    reports.push(report);
  }
  return reports;
}

function buildTargets(
  project: ProjectIndex,
  sites: Map<ModuleIndex, SpawnSite[]>,
  cctx: ReturnType<typeof newClassifyContext>,
  byMod: Map<ModuleIndex, ThreadTarget[]>,
): Map<string, ThreadTarget> {
  const targets = new Map<string, ThreadTarget>();
  for (const mod of project.modules) {
    for (const site of sites.get(mod) ?? []) {
      if (site.runsIn !== 'thread') continue;
      for (const ref of site.targets) {
        const k = funcKey(ref);
        let t = targets.get(k);
        if (!t) {
          const e = site.kind === 'timer' ? timerWait(targetEvidence(cctx, ref), site) : targetEvidence(cctx, ref);
          const classification = decide(e);
          const cls = ref.mod.model.scopes[ref.scope.parent];
          t = {
            name: cls?.kind === 'class' ? `${cls.name}.${ref.scope.name}` : ref.scope.name,
            span: ref.scope.span,
            spawns: [],
            classification,
            reasons: reasonsFor(e, classification),
            concurrent: false,
            picklable: isPicklableTarget(ref),
            runsIn: 'thread',
          };
          targets.set(k, t);
          const list = byMod.get(ref.mod);
          if (list) list.push(t);
          else byMod.set(ref.mod, [t]);
        }
        t.spawns.push({
          kind: site.kind,
          span: site.call.span,
          api: site.call.callee,
          concurrent: site.concurrent,
          executor: site.executor,
        });
        t.concurrent ||= site.concurrent || t.spawns.length > 1;
      }
    }
  }
  return targets;
}

/**
 * A Timer's thread waits out its interval before it calls the function, so a Timer target is a wait on
 * top of whatever the function does. A new evidence object: the function's own is memoised and carried.
 */
function timerWait(e: Evidence, site: SpawnSite): Evidence {
  const line = site.call.span.line;
  return {
    ...e,
    io: e.io + 2,
    reasons: [
      ...e.reasons,
      { text: `line ${line + 1}: the Timer's thread sleeps for its interval first`, line, kind: 'io' },
    ],
  };
}

function lockInfo(mod: ModuleIndex, bindings: LockBinding[]): LockInfo[] {
  // One pass over regions and calls, then per lock only its own with-blocks.
  const withs = new Map<string, { span: LockInfo['span']; region: (typeof mod.model.regions)[number] }[]>();
  for (const r of mod.withRegions) {
    for (const item of r.items) push(withs, item.expr, { span: item.span, region: r });
  }
  const acquires = new Map<string, LockInfo['span'][]>();
  for (const c of mod.acquireCalls) if (c.receiver) push(acquires, c.receiver, c.span);
  const infos: LockInfo[] = [];
  for (const b of bindings) {
    if (b.kind === 'local') continue;
    const info: LockInfo = {
      name: b.name,
      span: b.span,
      kind: b.kind,
      guards: [],
      uses: [...(acquires.get(b.name) ?? [])],
    };
    for (const { span, region } of withs.get(b.name) ?? []) {
      info.uses.push(span);
      for (const w of mod.writesByScope.get(region.scope) ?? []) {
        if (w.start < region.bodyStart || w.end > region.end) continue;
        for (const t of w.targets) {
          if (t.kind !== 'identifier' || mod.globals.get(w.scope)?.has(t.text))
            info.guards.push(t.kind === 'subscript' ? t.object! : t.text);
        }
      }
    }
    info.guards = [...new Set(info.guards)];
    infos.push(info);
  }
  return infos;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** One finding per rule and line: the first (most specific) one wins. */
function onePerLine(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const k = `${f.rule}:${f.span.line}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function applyConfig(findings: Finding[], config: Config): Finding[] {
  const out: Finding[] = [];
  for (const f of findings) {
    const sev = config.rules[f.rule];
    if (sev === 'off') continue;
    // A configured severity overrides the rule's default; a finding the evidence made milder than that
    // (a library-mode free-threading hint, a blocking call in a one-shot entry coroutine) stays as mild
    // unless the configuration asks for milder still.
    // Set in place: the findings are this run's, and a copy would build their lazy fixes (fixes.ts).
    if (f.severity !== 'hint' && f.severity !== 'info') f.severity = sev;
    else if (f.severity === 'info' && sev === 'hint') f.severity = 'hint';
    out.push(f);
  }
  return out;
}

/** Classify any function (`name` or `Class.method`) the way thread targets are, for the benchmark's prediction. */
export function classifyFunction(
  models: ModuleModel[],
  path: string,
  name: string,
  config: Config,
): { classification: ThreadTarget['classification']; reasons: ThreadTarget['reasons'] } | undefined {
  const project = indexProject(models);
  const mod = project.modules.find((m) => m.model.path === path);
  if (!mod) return undefined;
  const [owner, method] = name.includes('.') ? name.split('.', 2) : [undefined, name];
  const scope = mod.model.scopes.find(
    (s) =>
      s.kind === 'function' &&
      s.name === method &&
      (owner ? mod.model.scopes[s.parent]?.name === owner : mod.model.scopes[s.parent]?.kind !== 'class'),
  );
  if (!scope) return undefined;
  const e = targetEvidence(newClassifyContext(project, config), { mod, scope });
  const classification = decide(e);
  return { classification, reasons: reasonsFor(e, classification) };
}
