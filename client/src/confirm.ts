/**
 * The "gil-lens: Confirm This Race" command (`gil-lens.confirmRace`), behind
 * the code action, the hover link and the CodeLens on a `shared-mutation`
 * diagnostic, with optional `uri, line` arguments (line 0-based; without
 * them, the cursor's line). It is wired as the benchmark command is
 * (benchmark.ts): it refuses in untrusted workspaces, saves the file (the
 * run imports it from disk), finds the interpreters the same way, runs the
 * server's `gil-lens.server.confirm` command with work-done progress in a
 * cancellable notification (cancelling kills the run's process group), and
 * shows the verdict with the example interleaving in a webview panel beside
 * the editor. The server marks a confirmed diagnostic itself.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import * as vscode from 'vscode';
import { ExecuteCommandRequest, type LanguageClient, WorkDoneProgress } from 'vscode-languageclient/node';
import { COMMANDS, CONFIRM_COMMAND, SECTION } from '../../server/src/protocol';
import { resolveInterpreters } from './benchmarkInterpreter';
import { type ConfirmView, renderConfirmHtml } from './confirmHtml';

const UNTRUSTED =
  'gil-lens: confirming a race runs your code, so it is disabled in Restricted Mode. Trust this workspace to use it.';

export function registerConfirm(
  context: vscode.ExtensionContext,
  client: LanguageClient,
  output: vscode.OutputChannel,
): vscode.Disposable[] {
  const log = (message: string) => output.appendLine(`[confirm] ${message}`);
  const panel = new ConfirmPanel();
  context.subscriptions.push(panel);
  return [
    vscode.commands.registerCommand(COMMANDS.confirmRace, (uri?: string, line?: number) =>
      confirmRace(client, panel, log, uri, line).catch((error: unknown) => {
        log(`failed: ${String(error)}`);
        void vscode.window.showErrorMessage(`gil-lens: the confirmation failed: ${errorText(error)}`);
      }),
    ),
  ];
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function documentAndLine(uri?: string, line?: number) {
  if (typeof uri === 'string') {
    const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
    return { document, line: typeof line === 'number' ? line : 0 };
  }
  const editor = vscode.window.activeTextEditor;
  if (!editor) return undefined;
  return { document: editor.document, line: editor.selection.active.line };
}

async function confirmRace(
  client: LanguageClient,
  panel: ConfirmPanel,
  log: (m: string) => void,
  uri?: string,
  line?: number,
): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    const pick = await vscode.window.showWarningMessage(UNTRUSTED, 'Manage Workspace Trust');
    if (pick) await vscode.commands.executeCommand('workbench.trust.manage');
    return;
  }
  const where = await documentAndLine(uri, line);
  if (where?.document.languageId !== 'python') {
    void vscode.window.showInformationMessage('gil-lens: open a Python file and put the cursor on a shared write.');
    return;
  }
  const { document } = where;
  if (document.uri.scheme !== 'file') {
    void vscode.window.showInformationMessage('gil-lens: save the file first; the confirmation imports it from disk.');
    return;
  }
  if (document.isDirty && !(await document.save())) return;
  const interpreters = await resolveInterpreters(document.uri, log);
  if (!interpreters.python) {
    await noInterpreter();
    return;
  }
  const shown = `${path.basename(document.uri.fsPath)}:${where.line + 1}`;
  const result = await runOnServer(client, shown, {
    uri: document.uri.toString(),
    line: where.line,
    python: interpreters.python,
    freeThreadedPython: interpreters.freeThreaded,
  });
  if (!result) return;
  log(`${shown}: ${result.summary}`);
  if (result.error?.kind === 'unavailable') {
    await noInterpreter(result.error.message);
    return;
  }
  panel.show(result, shown);
}

async function noInterpreter(detail?: string): Promise<void> {
  const message = `gil-lens: ${detail ?? 'no Python interpreter found to confirm the race (Python extension, gil-lens.pythonPath, python3, python)'}.`;
  const pick = await vscode.window.showErrorMessage(message, 'Open Setting');
  if (pick) await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.pythonPath`);
}

/** Sends the server command with a work-done token, mirroring its progress in a cancellable notification. */
function runOnServer(
  client: LanguageClient,
  shown: string,
  argument: Record<string, unknown>,
): Thenable<ConfirmView | undefined> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Confirming the race at ${shown}`, cancellable: true },
    async (progress, token) => {
      const workDoneToken = randomUUID();
      const listener = client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
        if (value.kind !== 'end') progress.report({ message: value.message });
      });
      try {
        const result = (await client.sendRequest(
          ExecuteCommandRequest.type,
          { command: CONFIRM_COMMAND, arguments: [argument], workDoneToken },
          token,
        )) as ConfirmView;
        // A cancelled run answers with the error verdict; the user asked for nothing more.
        return token.isCancellationRequested || result.error?.kind === 'cancelled' ? undefined : result;
      } catch (error) {
        if (token.isCancellationRequested) return undefined;
        throw error;
      } finally {
        listener.dispose();
      }
    },
  );
}

/** One panel for the latest confirmation, revealed beside the editor and re-filled by the next run. */
class ConfirmPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;

  show(result: ConfirmView, shown: string): void {
    const title = `Race: ${shown}`;
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('gil-lens.confirm', title, vscode.ViewColumn.Beside, {
        enableScripts: false,
        localResourceRoots: [],
      });
      this.panel.onDidDispose(() => {
        this.panel = undefined;
      });
    } else {
      this.panel.title = title;
      this.panel.reveal(vscode.ViewColumn.Beside, true);
    }
    this.panel.webview.html = renderConfirmHtml(result, {
      nonce: randomBytes(16).toString('base64'),
      cspSource: this.panel.webview.cspSource,
    });
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
