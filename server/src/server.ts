/**
 * The gil-lens language server's entry point, bundled to dist/server.js. It
 * is wiring only: it creates the connection (over `--stdio`, `--node-ipc` or
 * `--socket`; stdio when no transport is named, so `gil-lens-server` just
 * works in any editor) and connects each LSP message to the module in lsp/
 * that handles it. State and decisions live in lsp/app.ts and lsp/session.ts.
 */
import {
  type CancellationToken,
  createConnection,
  DidChangeConfigurationNotification,
  ErrorCodes,
  ProposedFeatures,
  ResponseError,
} from 'vscode-languageserver/node';
import { version } from '../../package.json';
import { type App, createApp, initializeResult, refreshLenses, reloadSettings } from './lsp/app';
import { BENCH_COMMAND, executeBenchmark } from './lsp/benchCommand';
import { codeActionsFor } from './lsp/codeActions';
import { codeLensesFor } from './lsp/codeLens';
import { hoverAt } from './lsp/hover';
import { enableIdleGc } from './lsp/idleGc';
import { indexWorkspace, onWatchedFiles, watchFiles } from './lsp/indexing';
import { describe, guarded } from './lsp/logging';
import { uriToFile } from './lsp/session';
import { TRUST_NOTIFICATION, type TrustParams } from './protocol';

enableIdleGc();

const TRANSPORTS = ['--stdio', '--node-ipc', '--socket', '--pipe'];
if (!process.argv.slice(2).some((arg) => TRANSPORTS.some((t) => arg === t || arg.startsWith(`${t}=`)))) {
  process.argv.push('--stdio');
}

// With --stdio the library routes console.* to the client's log, so stray logging cannot corrupt the protocol.
const connection = createConnection(ProposedFeatures.all);
let app: App | undefined;
const log = (message: string) => connection.console.log(`[gil-lens] ${message}`);

// One bad callback must not take the server down; it is logged and the server carries on.
process.on('uncaughtException', (error) => log(`uncaught: ${describe(error)}`));
process.on('unhandledRejection', (error) => log(`unhandled rejection: ${describe(error)}`));

const isPython = (languageId: string, uri: string) => languageId === 'python' || /\.pyi?$/.test(uri);
const live = (token?: CancellationToken) => app !== undefined && !token?.isCancellationRequested;

connection.onInitialize(async (params) => {
  app = await createApp(connection, params);
  return initializeResult([BENCH_COMMAND], version);
});

connection.onInitialized(() => {
  if (!app) return;
  const current = app;
  if (current.support.configuration) {
    void connection.client.register(DidChangeConfigurationNotification.type, undefined);
    void reloadSettings(current).catch((error) => log(`settings: ${describe(error)}`));
  }
  if (current.support.watchedFiles) watchFiles(connection);
  if (current.support.workspaceFolders) {
    connection.workspace.onDidChangeWorkspaceFolders((event) => {
      const removed = new Set(event.removed.map((f) => uriToFile(f.uri)));
      const added = event.added.map((f) => uriToFile(f.uri)).filter((f): f is string => f !== undefined);
      current.folders = [...current.folders.filter((f) => !removed.has(f)), ...added];
      void indexWorkspace(current.indexing, current.folders);
    });
  }
  void indexWorkspace(current.indexing, current.folders);
});

connection.onDidChangeConfiguration((params) => {
  if (app) void reloadSettings(app, params.settings).catch((error) => log(`settings: ${describe(error)}`));
});

connection.onNotification(TRUST_NOTIFICATION, (params: TrustParams) => {
  if (!app) return;
  app.session.trusted = params.trusted === true;
  refreshLenses(app);
});

connection.onDidOpenTextDocument(
  guarded(log, 'didOpen', undefined, ({ textDocument: doc }) => {
    if (!app || !isPython(doc.languageId, doc.uri)) return;
    app.session.open(doc.uri, doc.languageId, doc.version, doc.text);
    app.scheduler.changed(doc.uri);
  }),
);

connection.onDidChangeTextDocument(
  guarded(log, 'didChange', undefined, ({ textDocument, contentChanges }) => {
    if (!app?.session.change(textDocument.uri, textDocument.version, contentChanges)) return;
    app.scheduler.changed(textDocument.uri);
  }),
);

connection.onDidCloseTextDocument(
  guarded(log, 'didClose', undefined, ({ textDocument }) => {
    const closed = app?.session.close(textDocument.uri);
    if (!app || !closed) return;
    app.scheduler.closed(textDocument.uri);
    // The disk copy replaces the editor's text in the index, since unsaved changes were discarded.
    const current = app;
    if (closed.file) {
      void current.index.update(closed.file).then(() => {
        current.session.indexChanged();
        current.scheduler.refreshAll();
      });
    }
  }),
);

connection.onDidChangeWatchedFiles((params) => {
  if (app) void onWatchedFiles(app.indexing, params).catch((error) => log(`watched files: ${describe(error)}`));
});

connection.onHover(
  guarded(log, 'hover', null, (params, token) => {
    if (!live(token) || !app?.session.settings.enable) return null;
    const report = app.session.report(params.textDocument.uri);
    return report ? hoverAt(report, params.textDocument.uri, params.position) : null;
  }),
);

connection.onCodeAction(
  guarded(log, 'codeAction', [], (params, token) => {
    const open = app?.session.docs.get(params.textDocument.uri);
    if (!live(token) || !app || !open || !app.session.settings.enable) return [];
    const report = app.session.report(open.uri);
    return report ? codeActionsFor(report, open.doc, params) : [];
  }),
);

connection.onCodeLens(
  guarded(log, 'codeLens', [], (params, token) => {
    if (!live(token) || !app) return [];
    const { settings, trusted, benchmarkLens } = app.session;
    if (!settings.enable || !settings.codeLens.enable) return [];
    const report = app.session.report(params.textDocument.uri);
    const benchmark = benchmarkLens && trusted;
    return report ? codeLensesFor(report, params.textDocument.uri, { benchmark }) : [];
  }),
);

connection.onExecuteCommand(async (params, token, progress) => {
  if (!app || params.command !== BENCH_COMMAND) {
    throw new ResponseError(ErrorCodes.InvalidRequest, `gil-lens: unknown command ${params.command}`);
  }
  const { trusted, settings } = app.session;
  return executeBenchmark(params.arguments, { token, progress, log, trusted, settings });
});

connection.listen();
