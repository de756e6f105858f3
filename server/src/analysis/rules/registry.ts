/**
 * The rule registry: every rule gil-lens reports, in the order their findings are gathered, each with
 * the one text that describes it. The pipeline (analysis/index.ts) runs the rules from this list; the
 * CLI's help and SARIF metadata (cli/ruleHelp.ts) read their texts from it; and test/rules.test.ts checks
 * that package.json's settings, the README's rule sections and RULE_IDS agree with it. Adding a rule
 * means writing its module, which exports a `Rule`, and adding one line here.
 *
 * A rule sees the facts every rule shares (the project index, lock bindings, spawn sites, thread targets)
 * and does its project-wide work once per run in `run`, which returns the check for one module.
 */
import type { ClassifyContext } from '../classify';
import type { LockBinding } from '../locks';
import type { ModuleIndex, ProjectIndex } from '../resolve';
import type { SpawnSite } from '../targets';
import type { Config, Finding, LockInfo, RuleId, ThreadTarget } from '../types';
import { blockingInAsyncRule } from './blockingInAsync';
import { cpuBoundThreadRule } from './cpuBoundThread';
import { processPoolHazardRule } from './processPoolHazard';
import { sharedMutationRule } from './sharedMutation';

/** What the pipeline knows about the whole project before any rule runs. */
export interface ProjectFacts {
  project: ProjectIndex;
  config: Config;
  cctx: ClassifyContext;
  locksOf: (mod: ModuleIndex) => LockBinding[];
  sites: Map<ModuleIndex, SpawnSite[]>;
  /** Thread targets by function key (resolve.ts funcKey). */
  targets: Map<string, ThreadTarget>;
}

/** What the pipeline knows about one module when its findings are gathered. */
export interface ModuleFacts {
  mod: ModuleIndex;
  locks: LockBinding[];
  lockInfos: LockInfo[];
  sites: SpawnSite[];
}

export interface Rule {
  id: RuleId;
  /** A noun phrase for settings and short descriptions: "Blocking calls inside `async def`, ...". */
  title: string;
  /** What the rule reports, why it matters and what to do: SARIF's full description and `--help`. */
  description: string;
  run(facts: ProjectFacts): (m: ModuleFacts) => Finding[];
}

export const RULES: readonly Rule[] = [
  sharedMutationRule,
  cpuBoundThreadRule,
  blockingInAsyncRule,
  processPoolHazardRule,
];

export function ruleById(id: RuleId): Rule {
  const rule = RULES.find((r) => r.id === id);
  if (!rule) throw new Error(`no rule ${id} in the registry`);
  return rule;
}
