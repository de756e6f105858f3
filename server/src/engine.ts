/**
 * The engine facade used by the CLI, the language server and the benchmarks:
 * text in, reports out. It runs syntax → model → analysis for a set of files
 * analysed together (so calls between them resolve) and frees every tree it
 * makes. Editors that keep trees for incremental parsing call extractModel
 * and analyzeProject themselves.
 */
import { analyzeProject, classifyFunction } from './analysis/index';
import type { Config, FileReport } from './analysis/types';
import { extractModel } from './model/extract';
import type { ModuleModel } from './model/types';
import { initSyntax, parse, type Syntax } from './syntax/parser';

export interface SourceFile {
  path: string;
  text: string;
  /** Dotted module name for cross-file resolution; defaults to the file's base name. */
  moduleName?: string;
}

export { initSyntax, type Syntax };

/** Parse and extract one file's model; the tree is freed before returning. */
export function modelOf(syntax: Syntax, file: SourceFile): ModuleModel {
  const tree = parse(syntax, file.text);
  try {
    return extractModel(syntax, tree, file.text, file.path, file.moduleName);
  } finally {
    tree.delete();
  }
}

/** Check files together; reports come back in the order given. */
export function checkSources(syntax: Syntax, files: SourceFile[], config: Config): FileReport[] {
  return analyzeProject(
    files.map((f) => modelOf(syntax, f)),
    config,
  );
}

/** Classify one function of a file as a thread target would be (the benchmark's static prediction). */
export function classifySource(syntax: Syntax, file: SourceFile, name: string, config: Config) {
  return classifyFunction([modelOf(syntax, file)], file.path, name, config);
}
