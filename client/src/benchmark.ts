/**
 * The "gil-lens: Benchmark Function" command (`gil-lens.benchmarkFunction`,
 * from the palette, the editor context menu and the Benchmark CodeLens, with
 * optional `uri, line` arguments). It refuses in untrusted workspaces, picks
 * the function at the cursor, asks for the call (prefilled, remembered per
 * function), finds the interpreters, runs the server's
 * `gil-lens.server.benchmark` command with work-done progress and
 * cancellation, and shows the result in a webview panel.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { ExecuteCommandRequest, type LanguageClient, WorkDoneProgress } from 'vscode-languageclient/node';
import { COMMANDS, SECTION } from '../../server/src/protocol';
import { type BenchView, renderBenchmarkHtml } from './benchmarkHtml';
import { resolveInterpreters } from './benchmarkInterpreter';
import { type BenchTarget, functionAt, suggestCall } from './benchmarkTarget';

/** The server command; the same string as BENCH_COMMAND in server/src/lsp/benchCommand.ts. */
const SERVER_COMMAND = 'gil-lens.server.benchmark';
const UNTRUSTED =
  'gil-lens: the benchmark runs your code, so it is disabled in Restricted Mode. Trust this workspace to use it.';

export function registerBenchmark(
  context: vscode.ExtensionContext,
  client: LanguageClient,
  output: vscode.OutputChannel,
): vscode.Disposable[] {
  const log = (message: string) => output.appendLine(`[benchmark] ${message}`);
  return [
    vscode.commands.registerCommand(COMMANDS.benchmarkFunction, (uri?: string, line?: number) =>
      benchmarkFunction(context, client, log, uri, line).catch((error: unknown) => {
        log(`failed: ${String(error)}`);
        void vscode.window.showErrorMessage(`gil-lens: the benchmark failed: ${errorText(error)}`);
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

async function benchmarkFunction(
  context: vscode.ExtensionContext,
  client: LanguageClient,
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
    void vscode.window.showInformationMessage('gil-lens: open a Python file and put the cursor in a function.');
    return;
  }
  const { document } = where;
  if (document.uri.scheme !== 'file') {
    void vscode.window.showInformationMessage('gil-lens: save the file first; the benchmark imports it from disk.');
    return;
  }
  const target = functionAt(document.getText().split(/\r?\n/), where.line);
  if (!target) {
    void vscode.window.showInformationMessage(
      'gil-lens: put the cursor in a top-level function or a method; nested functions cannot be imported.',
    );
    return;
  }
  if (document.isDirty && !(await document.save())) return;
  const call = await askForCall(context, document, target);
  if (call === undefined) return;
  const interpreters = await resolveInterpreters(document.uri, log);
  if (!interpreters.python) {
    await noInterpreter();
    return;
  }
  const result = await runOnServer(client, {
    uri: document.uri.toString(),
    function: target.qualified,
    call,
    python: interpreters.python,
    freeThreadedPython: interpreters.freeThreaded,
  });
  if (!result) return;
  log(result.verdict);
  if (!result.ok && result.error?.kind === 'unavailable') {
    await noInterpreter(result.error.message);
    return;
  }
  showPanel(result);
}

async function askForCall(
  context: vscode.ExtensionContext,
  document: vscode.TextDocument,
  target: BenchTarget,
): Promise<string | undefined> {
  const key = `gil-lens.benchmark.call:${document.uri.toString()}::${target.qualified}`;
  const value = context.workspaceState.get<string>(key) ?? suggestCall(document.getText(), target);
  const call = await vscode.window.showInputBox({
    title: `Benchmark ${target.qualified}`,
    prompt: 'The call to time. Arguments must be literals (numbers, strings, lists, dicts...).',
    value,
    validateInput: (text) =>
      text.trim().startsWith(`${target.name}(`) || text.includes(`.${target.name}(`)
        ? undefined
        : `Call ${target.name}(...)`,
  });
  if (call !== undefined) await context.workspaceState.update(key, call);
  return call;
}

async function noInterpreter(detail?: string): Promise<void> {
  const message = `gil-lens: ${detail ?? 'no Python interpreter found for the benchmark (Python extension, gil-lens.pythonPath, python3, python)'}.`;
  const pick = await vscode.window.showErrorMessage(message, 'Open Setting');
  if (pick) await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.pythonPath`);
}

/** Sends the server command with a work-done token, mirroring its progress in a cancellable notification. */
function runOnServer(client: LanguageClient, argument: Record<string, unknown>): Thenable<BenchView | undefined> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Benchmarking ${argument.function}`, cancellable: true },
    async (progress, token) => {
      const workDoneToken = randomUUID();
      let last = 0;
      const listener = client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
        if (value.kind === 'end') return;
        const percentage = value.percentage ?? last;
        progress.report({ message: value.message, increment: Math.max(0, percentage - last) });
        last = percentage;
      });
      try {
        return (await client.sendRequest(
          ExecuteCommandRequest.type,
          { command: SERVER_COMMAND, arguments: [argument], workDoneToken },
          token,
        )) as BenchView;
      } catch (error) {
        if (token.isCancellationRequested) return undefined;
        throw error;
      } finally {
        listener.dispose();
      }
    },
  );
}

function showPanel(result: BenchView): void {
  const panel = vscode.window.createWebviewPanel(
    'gil-lens.benchmark',
    `Benchmark: ${result.function}`,
    vscode.ViewColumn.Beside,
    { enableScripts: false, localResourceRoots: [] },
  );
  panel.webview.html = renderBenchmarkHtml(result, {
    nonce: randomBytes(16).toString('base64'),
    cspSource: panel.webview.cspSource,
  });
}
