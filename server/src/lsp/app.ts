/**
 * Builds the server's object graph once `initialize` arrives, and holds the
 * few decisions that depend on what the client can do: which capabilities the
 * server announces, where settings come from (pulled with
 * `workspace/configuration` when the client answers it, otherwise pushed in
 * `initializationOptions` and `didChangeConfiguration`), and which folders
 * make up the workspace. server.ts only registers handlers that call in here.
 */
import {
  CodeActionKind,
  CodeLensRefreshRequest,
  type Connection,
  type InitializeParams,
  type InitializeResult,
  TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { type InitOptions, SECTION } from '../protocol';
import { TreeCache } from '../syntax/documents';
import { initSyntax } from '../syntax/parser';
import { createDiagnosticsScheduler, type DiagnosticsScheduler } from './diagnostics';
import { type IndexingDeps, indexWorkspace } from './indexing';
import { createLog, type Log } from './logging';
import { createProjectConfigs, type ProjectConfigs } from './projectConfig';
import { Session, uriToFile } from './session';
import { normalizeSettings } from './settings';
import { WorkspaceIndex } from './workspaceIndex';

/** Trees kept for incremental reparsing; documents beyond this reparse from scratch when edited. */
const TREE_CACHE_SIZE = 32;

export interface ClientSupport {
  configuration: boolean;
  watchedFiles: boolean;
  workspaceFolders: boolean;
  codeLensRefresh: boolean;
}

export interface App {
  connection: Connection;
  session: Session;
  scheduler: DiagnosticsScheduler;
  index: WorkspaceIndex;
  configs: ProjectConfigs;
  trees: TreeCache;
  log: Log;
  support: ClientSupport;
  folders: string[];
  indexing: IndexingDeps;
}

function foldersOf(params: InitializeParams): string[] {
  const uris = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
  const files = uris.map(uriToFile).filter((f): f is string => f !== undefined);
  if (files.length === 0 && params.rootPath) files.push(params.rootPath);
  return files;
}

export async function createApp(connection: Connection, params: InitializeParams): Promise<App> {
  const log = createLog(connection);
  const syntax = await initSyntax();
  const trees = new TreeCache(syntax, TREE_CACHE_SIZE);
  const configs = createProjectConfigs(log);
  let session: Session | undefined;
  const index = new WorkspaceIndex(syntax, {
    maxFileSize: () => session?.settings.maxFileSize ?? Number.POSITIVE_INFINITY,
    maxFiles: () => session?.settings.maxIndexedFiles ?? Number.POSITIVE_INFINITY,
    isOpen: (file) => session?.isOpenFile(file) ?? false,
    log,
  });
  session = new Session({ syntax, trees, index, configs, log });
  const options = (params.initializationOptions ?? {}) as InitOptions;
  session.settings = normalizeSettings(options.settings);
  session.trusted = options.trusted !== false;
  session.benchmarkLens = options.benchmarkLens === true;
  const scheduler = createDiagnosticsScheduler(connection, session, log);
  const caps = params.capabilities;
  const support: ClientSupport = {
    configuration: caps.workspace?.configuration === true,
    watchedFiles: caps.workspace?.didChangeWatchedFiles?.dynamicRegistration === true,
    workspaceFolders: caps.workspace?.workspaceFolders === true,
    codeLensRefresh: caps.workspace?.codeLens?.refreshSupport === true,
  };
  const indexing: IndexingDeps = { connection, session, index, configs, scheduler, log };
  return { connection, session, scheduler, index, configs, trees, log, support, folders: foldersOf(params), indexing };
}

export function initializeResult(commands: string[], version: string): InitializeResult {
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      hoverProvider: true,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      codeLensProvider: { resolveProvider: false },
      executeCommandProvider: { commands },
      workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
    },
    serverInfo: { name: 'gil-lens', version },
  };
}

/**
 * Re-read the settings: pulled from the client when it supports that, else
 * taken from the pushed object. Everything cached goes stale, and the
 * diagnostics and lenses of open documents are refreshed; a new
 * `maxIndexedFiles` builds the workspace index again.
 */
export async function reloadSettings(app: App, pushed?: unknown): Promise<void> {
  const { session, connection } = app;
  const limit = session.settings.maxIndexedFiles;
  if (app.support.configuration) {
    const pulled = await connection.workspace.getConfiguration({ section: SECTION });
    session.settings = normalizeSettings(pulled);
  } else if (pushed !== undefined && pushed !== null) {
    session.settings = normalizeSettings(pushed);
  }
  session.invalidate();
  // A new limit changes which files the index holds: build it again (the build refreshes what is open).
  if (session.settings.maxIndexedFiles !== limit) void indexWorkspace(app.indexing, app.folders);
  app.scheduler.refreshAll();
  refreshLenses(app);
}

export function refreshLenses(app: App): void {
  if (app.support.codeLensRefresh) void app.connection.sendRequest(CodeLensRefreshRequest.type);
}
