/**
 * Which modules can affect a file's findings: the connected part of the
 * import graph around it. The analysis resolves calls between files only
 * through imports, so a module that neither imports the file (directly or
 * through others) nor is imported by it cannot change its report. Analysing
 * only that part keeps the cost of one keystroke independent of the size of
 * the workspace, which matters with a large index or a thousand open files.
 *
 * The match is deliberately generous: an import is linked to every module
 * whose dotted name, or last name segment, equals any prefix of the imported
 * name (the analysis looks modules up by both). Linking too much costs a
 * little time; linking too little would lose findings.
 */
import type { ModuleModel } from '../model/types';

/** Every module name an import could refer to: each dotted prefix, and each prefix's last segment. */
function candidateNames(qualified: string): string[] {
  const parts = qualified.replace(/^\.+/, '').split('.');
  const names: string[] = [];
  for (let i = 1; i <= parts.length; i++) {
    names.push(parts.slice(0, i).join('.'));
    names.push(parts[i - 1]);
  }
  return names;
}

/** A short text that changes when a model's place in the import graph does. */
export function importSignature(model: ModuleModel): string {
  return `${model.moduleName}|${model.imports.map((i) => i.qualified).join(',')}`;
}

/** Adjacency by model path, links in both directions. Build it again whenever an import signature changes. */
export type ImportGraph = Map<string, Set<string>>;

function addEdge(graph: ImportGraph, a: string, b: string): void {
  if (a === b) return;
  const set = graph.get(a);
  if (set) set.add(b);
  else graph.set(a, new Set([b]));
}

export function buildImportGraph(models: Iterable<ModuleModel>): ImportGraph {
  const byName = new Map<string, string[]>();
  const all = [...models];
  for (const model of all) {
    const last = model.moduleName.split('.').pop() ?? model.moduleName;
    for (const name of new Set([model.moduleName, last])) {
      const list = byName.get(name);
      if (list) list.push(model.path);
      else byName.set(name, [model.path]);
    }
  }
  const graph: ImportGraph = new Map();
  for (const model of all) {
    for (const imp of model.imports) {
      for (const name of candidateNames(imp.qualified)) {
        for (const other of byName.get(name) ?? []) {
          addEdge(graph, model.path, other);
          addEdge(graph, other, model.path);
        }
      }
    }
  }
  return graph;
}

/** The paths connected to `focus` through imports in either direction, `focus` included. */
export function relatedPaths(graph: ImportGraph, focus: string): Set<string> {
  const seen = new Set<string>([focus]);
  const queue = [focus];
  while (queue.length > 0) {
    const next = queue.pop() as string;
    for (const other of graph.get(next) ?? []) {
      if (seen.has(other)) continue;
      seen.add(other);
      queue.push(other);
    }
  }
  return seen;
}
