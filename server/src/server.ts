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
import { executeConfirm } from './lsp/confirmCommand';
import { type ConfirmLinkOptions, confirmCodeActions, confirmHoverLink, confirmLenses } from './lsp/confirmLinks';
import { clearConfirmed, markConfirmed } from './lsp/confirmMarks';
import { hoverAt } from './lsp/hover';
import { enableIdleGc } from './lsp/idleGc';
import { indexWorkspace, onWatchedFiles, watchFiles } from './lsp/indexing';
import { describe, guarded } from './lsp/logging';
import { uriToFile } from './lsp/session';
import { CONFIRM_COMMAND, type InitOptions, TRUST_NOTIFICATION, type TrustParams } from './protocol';

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
/** The client registered the confirm command (initializationOptions.confirmRace), so links may call it. */
let confirmClient = false;
const confirmLinks = (current: App): ConfirmLinkOptions => ({
  trusted: current.session.trusted,
  clientCommand: confirmClient,
});

connection.onInitialize(async (params) => {
  app = await createApp(connection, params);
  confirmClient = (params.initializationOptions as InitOptions | undefined)?.confirmRace === true;
  return initializeResult([BENCH_COMMAND, CONFIRM_COMMAND], version);
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
    // A confirmation ran the old text: "confirmed by a run" no longer speaks for this one.
    clearConfirmed(app.session, textDocument.uri);
    app.scheduler.changed(textDocument.uri);
  }),
);

connection.onDidCloseTextDocument(
  guarded(log, 'didClose', undefined, ({ textDocument }) => {
    const closed = app?.session.close(textDocument.uri);
    if (!app || !closed) return;
    clearConfirmed(app.session, textDocument.uri);
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
    if (!report) return null;
    const uri = params.textDocument.uri;
    const links = confirmLinks(app);
    return hoverAt(report, uri, params.position, { mutationLink: (f) => confirmHoverLink(uri, f, links) });
  }),
);

connection.onCodeAction(
  guarded(log, 'codeAction', [], (params, token) => {
    const open = app?.session.docs.get(params.textDocument.uri);
    if (!live(token) || !app || !open || !app.session.settings.enable) return [];
    const report = app.session.report(open.uri);
    if (!report) return [];
    return [
      ...codeActionsFor(report, open.doc, params),
      ...confirmCodeActions(report, open.uri, params, confirmLinks(app)),
    ];
  }),
);

connection.onCodeLens(
  guarded(log, 'codeLens', [], (params, token) => {
    if (!live(token) || !app) return [];
    const { settings, trusted, benchmarkLens } = app.session;
    if (!settings.enable || !settings.codeLens.enable) return [];
    const report = app.session.report(params.textDocument.uri);
    const benchmark = benchmarkLens && trusted;
    if (!report) return [];
    const uri = params.textDocument.uri;
    return [...codeLensesFor(report, uri, { benchmark }), ...confirmLenses(report, uri, confirmLinks(app))];
  }),
);

connection.onExecuteCommand(async (params, token, progress) => {
  if (!app || (params.command !== BENCH_COMMAND && params.command !== CONFIRM_COMMAND)) {
    throw new ResponseError(ErrorCodes.InvalidRequest, `gil-lens: unknown command ${params.command}`);
  }
  const current = app;
  const { trusted, settings } = current.session;
  if (params.command === BENCH_COMMAND) {
    return executeBenchmark(params.arguments, { token, progress, log, trusted, settings });
  }
  return executeConfirm(params.arguments, {
    token,
    progress,
    log,
    trusted,
    settings,
    versionOf: (uri) => current.session.docs.get(uri)?.doc.version,
    onConfirmed: (uri, line, version, result) => {
      // A document that is not open has no diagnostics to mark.
      if (version === undefined) return;
      const statementLine = result.statement ? result.statement.line - 1 : line;
      markConfirmed(current.session, uri, { line: statementLine, version, summary: result.summary });
      current.scheduler.changed(uri);
    },
  });
});

connection.listen();
