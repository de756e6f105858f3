/**
 * Runs every analysis over a set of module models and gathers per-file
 * reports. Pure: no LSP, fs or child_process. Placeholder until the rules land.
 */
import type { ModuleModel } from '../model/types';
import type { Config, FileReport } from './types';

export function analyzeProject(models: ModuleModel[], _config: Config, focus?: Set<string>): FileReport[] {
  return models
    .filter((m) => !focus || focus.has(m.path))
    .map((m) => ({ path: m.path, findings: [], threadTargets: [], locks: [] }));
}
