/**
 * A real LSP client for the protocol tests and the LSP bench's twin: it
 * starts the built server (`node dist/server.js --stdio`) as a child process
 * and talks JSON-RPC to it over stdio with vscode-languageserver-protocol's
 * connection, exactly as an editor would. Anything the server writes to
 * stdout that is not a protocol message breaks the connection and is
 * recorded in `errors`, which the tests check.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type ClientCapabilities,
  createProtocolConnection,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  type InitializeResult,
  LogMessageNotification,
  type ProtocolConnection,
  PublishDiagnosticsNotification,
  type PublishDiagnosticsParams,
  type Range,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';

export const SERVER = path.resolve(__dirname, '../../dist/server.js');

export interface StartOptions {
  rootDir?: string;
  initializationOptions?: unknown;
  capabilities?: ClientCapabilities;
  /** Answer `workspace/configuration` requests with this settings section. */
  configuration?: () => unknown;
}

export interface TestServer {
  connection: ProtocolConnection;
  child: ChildProcessWithoutNullStreams;
  initializeResult: InitializeResult;
  published: PublishDiagnosticsParams[];
  /** `$/progress` values, in order. */
  progress: { kind?: string; title?: string }[];
  /**
   * Listen to one token's progress. Registering a `$/progress` notification handler (as this client
   * does, to record every value) replaces vscode-jsonrpc's own dispatcher, so `connection.onProgress`
   * would never fire; this forwards instead.
   */
  onProgress(token: string, handler: (value: unknown) => void): { dispose(): void };
  logs: string[];
  errors: string[];
  /** The next diagnostics for `uri` that satisfy `accept`; earlier ones for that document are passed over. */
  diagnostics(
    uri: string,
    accept?: (p: PublishDiagnosticsParams) => boolean,
    timeoutMs?: number,
  ): Promise<PublishDiagnosticsParams>;
  open(uri: string, text: string, version?: number): void;
  change(uri: string, version: number, range: Range, text: string): void;
  configure(settings: unknown): void;
  stop(): Promise<void>;
}

export function fileUri(file: string): string {
  return pathToFileURL(file).href;
}

export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: 'pipe' });
  const connection = createProtocolConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  const published: PublishDiagnosticsParams[] = [];
  const progress: { kind?: string; title?: string }[] = [];
  const logs: string[] = [];
  const errors: string[] = [];
  const waiters: (() => void)[] = [];
  child.stderr.on('data', (chunk) => logs.push(String(chunk)));
  connection.onError(([error]) => errors.push(String(error)));
  connection.onNotification(LogMessageNotification.type, (p) => logs.push(p.message));
  connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
    published.push(p);
    for (const wake of waiters.splice(0)) wake();
  });
  const progressListeners = new Map<string, (value: unknown) => void>();
  connection.onNotification('$/progress', (p: { token: string; value: { kind?: string; title?: string } }) => {
    progress.push(p.value);
    progressListeners.get(String(p.token))?.(p.value);
  });
  connection.onRequest('workspace/configuration', (params: { items: unknown[] }) =>
    params.items.map(() => options.configuration?.() ?? null),
  );
  connection.onRequest('client/registerCapability', () => null);
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.onRequest('workspace/codeLens/refresh', () => null);
  connection.listen();

  const rootUri = options.rootDir ? fileUri(options.rootDir) : null;
  const initializeResult = await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri,
    workspaceFolders: rootUri ? [{ uri: rootUri, name: 'root' }] : null,
    capabilities: options.capabilities ?? {},
    initializationOptions: options.initializationOptions,
  });
  await connection.sendNotification(InitializedNotification.type, {});

  // Each document has its own cursor, so waiting on one never skips another's publications.
  const consumed = new Map<string, number>();
  const server: TestServer = {
    connection,
    child,
    initializeResult,
    published,
    progress,
    onProgress(token, handler) {
      progressListeners.set(token, handler);
      return { dispose: () => progressListeners.delete(token) };
    },
    logs,
    errors,
    async diagnostics(uri, accept = () => true, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (let i = consumed.get(uri) ?? 0; i < published.length; i++) {
          const p = published[i];
          if (p.uri !== uri) continue;
          consumed.set(uri, i + 1);
          if (accept(p)) return p;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching diagnostics for ${uri}; logs:\n${logs.join('\n')}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    open(uri, text, version = 1) {
      void connection.sendNotification(DidOpenTextDocumentNotification.type, {
        textDocument: { uri, languageId: 'python', version, text },
      });
    },
    change(uri, version, range, text) {
      void connection.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri, version },
        contentChanges: [{ range, text }],
      });
    },
    configure(settings) {
      void connection.sendNotification(DidChangeConfigurationNotification.type, { settings });
    },
    async stop() {
      try {
        await connection.sendRequest(ShutdownRequest.type);
        await connection.sendNotification(ExitNotification.type);
      } catch {
        // The server may already be gone; the kill below makes sure.
      }
      connection.dispose();
      if (child.exitCode === null) child.kill();
    },
  };
  return server;
}

/** Apply LSP text edits to text, as an editor would. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  return TextDocument.applyEdits(TextDocument.create('file:///x.py', 'python', 1, text), edits);
}

/** Apply a WorkspaceEdit's changes for one document. */
export function applyWorkspaceEdit(text: string, uri: string, edit: WorkspaceEdit | undefined): string {
  return applyEdits(text, edit?.changes?.[uri] ?? []);
}

/** The range of the first occurrence of `needle` (after `from` occurrences), for building requests. */
export function rangeOf(text: string, needle: string, nth = 0): Range {
  let index = -1;
  for (let i = 0; i <= nth; i++) index = text.indexOf(needle, index + 1);
  if (index < 0) throw new Error(`"${needle}" not in text`);
  const doc = TextDocument.create('file:///x.py', 'python', 1, text);
  return { start: doc.positionAt(index), end: doc.positionAt(index + needle.length) };
}
