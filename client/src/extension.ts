/**
 * The VS Code extension, bundled to dist/client.js. It is thin: it starts the
 * bundled language server (dist/server.js) over IPC with vscode-languageclient
 * for Python documents, and adds the UI that LSP has no words for: an output
 * channel, a status bar item, the restart and show-output commands, the
 * benchmark command (client/src/benchmark.ts), the race confirmation command
 * (client/src/confirm.ts), and telling the server when
 * the user grants workspace trust, since nothing that runs user code is
 * offered in Restricted Mode. Everything else (diagnostics, hovers, quick
 * fixes, CodeLens) arrives over the protocol.
 */
import * as vscode from 'vscode';
import {
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import {
  COMMANDS,
  type InitOptions,
  SECTION,
  STATUS_NOTIFICATION,
  type StatusParams,
  TRUST_NOTIFICATION,
} from '../../server/src/protocol';
import { registerBenchmark } from './benchmark';
import { registerConfirm } from './confirm';
import { createStatusBar, type ServerState } from './statusBar';

let client: LanguageClient | undefined;

const STATES: Record<State, ServerState> = {
  [State.Starting]: 'starting',
  [State.Running]: 'running',
  [State.Stopped]: 'stopped',
};

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('gil-lens');
  const status = createStatusBar(COMMANDS.showOutput);
  const module = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const initializationOptions: InitOptions = {
    trusted: vscode.workspace.isTrusted,
    benchmarkLens: true,
    confirmRace: true,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'untitled', language: 'python' },
    ],
    outputChannel: output,
    synchronize: { configurationSection: SECTION },
    initializationOptions,
    // The hover's "Confirm this race" is a command link; only that command is trusted, never arbitrary ones.
    markdown: { isTrusted: { enabledCommands: [COMMANDS.confirmRace] } },
  };
  client = new LanguageClient(SECTION, 'gil-lens', serverOptions, clientOptions);
  const current = client;

  context.subscriptions.push(
    output,
    status,
    current.onDidChangeState((event) => status.setServerState(STATES[event.newState])),
    current.onNotification(STATUS_NOTIFICATION, (params: StatusParams) => status.setIndexStatus(params)),
    vscode.commands.registerCommand(COMMANDS.showOutput, () => output.show(true)),
    vscode.commands.registerCommand(COMMANDS.restartServer, () => current.restart()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      void current.sendNotification(TRUST_NOTIFICATION, { trusted: true });
    }),
    ...registerBenchmark(context, current, output),
    ...registerConfirm(context, current, output),
  );
  try {
    await current.start();
  } catch (error) {
    status.setServerState('stopped');
    output.appendLine(`gil-lens: the language server failed to start: ${String(error)}`);
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
