/**
 * The server's state: open documents, their models and reports, the settings
 * and the workspace index, and the one function that turns them into a
 * FileReport for a document.
 *
 * Work is lazy and cached by version. An edit only updates the text and edits
 * the cached tree; the reparse, the model extraction and the analysis run when
 * a report is asked for (by the diagnostics scheduler or a request), and only
 * for that document: other files keep their models, so one edit re-extracts
 * one file, and within it only the statements the edits touched
 * (model/incremental.ts). The analysis sees only the modules connected to the document
 * through imports (importGraph.ts), and a cached report stays valid while
 * every model it was computed from is still current, so an edit in one file
 * leaves the reports of unrelated files alone. Settings, configuration and
 * index changes move `generation`, which makes every report stale.
 *
 * Failures stay local: a file whose extraction or analysis throws logs one
 * line and reports no findings, a file over the size limit is skipped with
 * one log line, without ever parsing it, and so is a file the parser refuses
 * (too deep, or one it failed on: syntax/parser.ts replaces a damaged parser,
 * so the other documents keep being served).
 */
import { fileURLToPath } from 'node:url';
import { TextDocument, type TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { analyzeProject } from '../analysis/index';
import type { Config, FileReport } from '../analysis/types';
import { spliceStatement, updateModel } from '../model/incremental';
import type { ModuleModel } from '../model/types';
import { DEFAULT_SETTINGS, type Settings } from '../protocol';
import { mergeChanges, type TextChange, type TreeCache } from '../syntax/documents';
import { SkippedSource, type Syntax } from '../syntax/parser';
import { buildImportGraph, type ImportGraph, importSignature, relatedPaths } from './importGraph';
import { movesLineBreaks, syntaxEdit } from './positions';
import type { ProjectConfigs } from './projectConfig';
import { effectiveConfig } from './settings';
import type { WorkspaceIndex } from './workspaceIndex';

export interface OpenDoc {
  uri: string;
  /** File-system path for `file:` URIs; untitled documents have none. */
  file?: string;
  /** The model and report path: the file path, or the URI when there is none. */
  key: string;
  moduleName: string;
  doc: TextDocument;
  model?: ModuleModel;
  modelVersion: number;
  /**
   * The edits since `model` was made, merged, in offsets of its text; undefined when there were none
   * or the whole text was replaced (the next model is then extracted in full).
   */
  sinceModel?: TextChange;
  /** The text is over the size limit; logged once when it crosses. */
  tooLarge: boolean;
  /** Why the parser refused the text (syntax/parser.ts); logged when the document starts being refused. */
  skipped?: string;
  /** Version whose failure was already logged, so a broken file logs once per edit. */
  failedVersion: number;
  /** The document was edited since it opened: its analyses carry facts to the next (analysis/carry.ts). */
  edited: boolean;
}

interface CachedReport {
  version: number;
  generation: number;
  structure: number;
  /** The models the report was computed from; it is stale once any of them is replaced. */
  models: ModuleModel[];
  report: FileReport;
}

export interface SessionDeps {
  syntax: Syntax;
  trees: TreeCache;
  index: WorkspaceIndex;
  configs: ProjectConfigs;
  log: (message: string) => void;
}

export function uriToFile(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

export function emptyReport(path: string): FileReport {
  return { path, findings: [], threadTargets: [], locks: [] };
}

export class Session {
  readonly docs = new Map<string, OpenDoc>();
  private readonly byKey = new Map<string, OpenDoc>();
  private readonly reports = new Map<string, CachedReport>();
  settings: Settings = DEFAULT_SETTINGS;
  /** Restricted-mode VS Code windows say false; other editors have no such notion. */
  trusted = true;
  benchmarkLens = false;
  /** Moves when every report is stale: settings, configuration, the index. */
  generation = 0;
  /** Moves when the import graph may have changed. */
  private structure = 0;
  /** Moves on any change at all; background passes stop when it moves under them. */
  revision = 0;
  private graph?: { structure: number; graph: ImportGraph };
  private current?: { revision: number; models: Map<string, ModuleModel> };

  constructor(private readonly deps: SessionDeps) {}

  isOpenFile(file: string): boolean {
    return this.byKey.has(file);
  }

  /** Something that can change findings anywhere moved (settings, configuration): every report is stale. */
  invalidate(): void {
    this.generation++;
    this.structure++;
    this.revision++;
  }

  /** Index models were added, replaced or removed; reports built on them go stale on their own. */
  indexChanged(): void {
    this.structure++;
    this.revision++;
  }

  open(uri: string, languageId: string, version: number, text: string): OpenDoc {
    this.close(uri);
    const file = uriToFile(uri);
    const key = file ?? uri;
    const moduleName = file ? this.deps.index.moduleName(file) : 'untitled';
    const doc: OpenDoc = {
      uri,
      file,
      key,
      moduleName,
      doc: TextDocument.create(uri, languageId, version, text),
      modelVersion: -1,
      tooLarge: false,
      failedVersion: -1,
      edited: false,
    };
    this.docs.set(uri, doc);
    this.byKey.set(key, doc);
    this.revision++;
    return doc;
  }

  /** Apply incremental (or whole-text) changes in order, editing the cached tree as we go. */
  change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): OpenDoc | undefined {
    const open = this.docs.get(uri);
    if (!open) return undefined;
    for (const change of changes) {
      if ('range' in change) {
        const edit = syntaxEdit(open.doc, change.range, change.text);
        this.deps.trees.edit(open.key, edit);
        const since = { start: edit.startIndex, oldEnd: edit.oldEndIndex, newEnd: edit.newEndIndex };
        if (open.model) open.sinceModel = mergeChanges(open.sinceModel, since);
        const recount = movesLineBreaks(open.doc, change.range, change.text);
        open.doc = TextDocument.update(open.doc, [change], version);
        if (recount) open.doc = TextDocument.create(open.uri, open.doc.languageId, version, open.doc.getText());
      } else {
        this.deps.trees.forget(open.key);
        open.model = undefined;
        open.sinceModel = undefined;
        open.doc = TextDocument.update(open.doc, [change], version);
      }
    }
    open.edited = true;
    this.revision++;
    return open;
  }

  close(uri: string): OpenDoc | undefined {
    const open = this.docs.get(uri);
    if (!open) return undefined;
    this.docs.delete(uri);
    this.byKey.delete(open.key);
    this.reports.delete(uri);
    this.deps.trees.forget(open.key);
    this.structure++;
    this.revision++;
    return open;
  }

  config(open: OpenDoc): Config {
    return effectiveConfig(this.deps.configs.forFile(open.file), this.settings);
  }

  /** The document's model at its current version; undefined when skipped or broken. */
  model(open: OpenDoc): ModuleModel | undefined {
    const version = open.doc.version;
    if (open.modelVersion === version) return open.model;
    const previous = open.model;
    const change = open.sinceModel;
    const before = previous ?? this.deps.index.models.get(open.key);
    open.modelVersion = version;
    open.model = undefined;
    open.sinceModel = undefined;
    const text = open.doc.getText();
    if (!this.overLimit(open, text)) {
      try {
        const { syntax, trees } = this.deps;
        // A keystroke inside one statement: parse that statement alone; the tree keeps its edits for later.
        open.model =
          previous && change ? spliceStatement(syntax, text, open.key, open.moduleName, previous, change) : undefined;
        if (!open.model) {
          const tree = trees.tree(open.key, text);
          // Only the edits since the previous model need extracting (the tree may have been reparsed less recently).
          const since = previous && change ? { model: previous, change } : undefined;
          open.model = updateModel(syntax, tree, text, open.key, open.moduleName, since);
          // Freeing the old tree takes about a millisecond: do it after the diagnostics are out.
          setImmediate(() => trees.releasePrevious(open.key));
        }
        open.skipped = undefined;
      } catch (error) {
        if (error instanceof SkippedSource) this.skip(open, error.reason);
        else this.fail(open, 'model extraction', error);
      }
    }
    const signature = (m?: ModuleModel) => (m ? importSignature(m) : '');
    if (!before || !open.model || signature(before) !== signature(open.model)) this.structure++;
    return open.model;
  }

  /** Every current model by path: open documents win over their copy on disk. */
  models(): Map<string, ModuleModel> {
    if (this.current?.revision === this.revision) return this.current.models;
    const models = new Map<string, ModuleModel>();
    for (const [file, model] of this.deps.index.models) if (!this.byKey.has(file)) models.set(file, model);
    for (const open of this.docs.values()) {
      const model = this.model(open);
      if (model) models.set(open.key, model);
    }
    this.current = { revision: this.revision, models };
    return models;
  }

  /** The cached report, if nothing it was computed from has moved. */
  freshReport(uri: string): FileReport | undefined {
    const open = this.docs.get(uri);
    const cached = this.reports.get(uri);
    if (!open || !cached) return undefined;
    if (cached.version !== open.doc.version || cached.generation !== this.generation) return undefined;
    const models = this.models();
    if (cached.structure !== this.structure) {
      // The import graph moved somewhere; the report survives if its own part of the graph did not.
      const paths = this.relatedPaths(open);
      if (paths.size !== cached.models.length || !cached.models.every((m) => paths.has(m.path))) return undefined;
      cached.structure = this.structure;
    }
    return cached.models.every((m) => models.get(m.path) === m) ? cached.report : undefined;
  }

  /** The report for an open document, from cache when nothing it depends on moved. */
  report(uri: string): FileReport | undefined {
    const open = this.docs.get(uri);
    if (!open) return undefined;
    const fresh = this.freshReport(uri);
    if (fresh) return fresh;
    const models = this.related(open);
    const report = this.analyze(open, models);
    const entry = { version: open.doc.version, generation: this.generation, structure: this.structure, models, report };
    this.reports.set(uri, entry);
    return report;
  }

  /** Paths of the modules connected to this document through imports, itself included. */
  private relatedPaths(open: OpenDoc): Set<string> {
    const models = this.models();
    if (!models.has(open.key)) return new Set();
    if (this.graph?.structure !== this.structure) {
      this.graph = { structure: this.structure, graph: buildImportGraph(models.values()) };
    }
    return relatedPaths(this.graph.graph, open.key);
  }

  /** The models connected to this document through imports; empty when it has no model. */
  private related(open: OpenDoc): ModuleModel[] {
    const models = this.models();
    const out: ModuleModel[] = [];
    for (const path of this.relatedPaths(open)) {
      const model = models.get(path);
      if (model) out.push(model);
    }
    return out;
  }

  private analyze(open: OpenDoc, models: ModuleModel[]): FileReport {
    if (!this.settings.enable || models.length === 0) return emptyReport(open.key);
    try {
      // Facts are carried for documents being edited; one that is only open would keep them for nothing.
      const reports = analyzeProject(models, this.config(open), new Set([open.key]), open.edited);
      const report = reports.find((r) => r.path === open.key) ?? emptyReport(open.key);
      for (const failure of report.internalErrors ?? []) this.deps.log(`${open.key}: internal error in ${failure}`);
      return report;
    } catch (error) {
      this.fail(open, 'analysis', error);
      return emptyReport(open.key);
    }
  }

  /** Byte length is only computed when the UTF-16 length says it could matter. */
  private overLimit(open: OpenDoc, text: string): boolean {
    const limit = this.settings.maxFileSize;
    const tooLarge = text.length * 3 > limit && Buffer.byteLength(text, 'utf8') > limit;
    if (tooLarge && !open.tooLarge) {
      this.deps.log(`${open.key}: larger than ${limit} bytes (gil-lens.maxFileSize), skipped`);
      this.deps.trees.forget(open.key);
    }
    open.tooLarge = tooLarge;
    return tooLarge;
  }

  /** The parser refused the text: no findings for it, and one log line while it stays refused. */
  private skip(open: OpenDoc, reason: string): void {
    if (open.skipped === undefined) this.deps.log(`${open.key}: ${reason}`);
    open.skipped = reason;
  }

  private fail(open: OpenDoc, what: string, error: unknown): void {
    if (open.failedVersion === open.doc.version) return;
    open.failedVersion = open.doc.version;
    const detail = error instanceof Error ? (error.stack ?? error.message).split('\n').slice(0, 2).join(' ') : error;
    this.deps.log(`${open.key}: ${what} failed, no findings for this file: ${detail}`);
  }
}
