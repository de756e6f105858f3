/**
 * Library mode: entry points that users' threads may call, inferred from the
 * code itself (issue 5). Placeholder roots until the signals land.
 */
import type { LockBinding } from './locks';
import type { Visit } from './reach';
import type { ModuleIndex, ProjectIndex } from './resolve';
import type { SpawnSite } from './targets';
import type { Config } from './types';

export function libraryRoots(
  _project: ProjectIndex,
  _config: Config,
  _sites: Map<ModuleIndex, SpawnSite[]>,
  _locksOf: (mod: ModuleIndex) => LockBinding[],
): Visit[] {
  return [];
}
