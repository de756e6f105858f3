/**
 * The client of `npm run bench:lsp` and of the edit fuzzer: the built server
 * (`dist/server.js --stdio`) in a child process, spoken to with
 * vscode-languageserver-protocol's connection, the same client
 * test/lsp/lspClient.ts gives the protocol tests. It keeps what they measure
 * and check: published diagnostics by document and version, the server's log
 * lines, whether it exited, and its resident memory.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  type ProtocolConnection,
  PublishDiagnosticsNotification,
  type PublishDiagnosticsParams,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol/node';

export interface LspSession {
  connection: ProtocolConnection;
  pid: number;
  logs: string[];
  /** Set once the server process is gone. */
  exited(): string | undefined;
  open(uri: string, text: string): void;
  change(uri: string, version: number, change: TextDocumentContentChangeEvent): void;
  /** The diagnostics published for `uri` at `version`, or undefined after `timeoutMs`. */
  diagnostics(uri: string, version: number, timeoutMs: number): Promise<PublishDiagnosticsParams | undefined>;
  stop(): Promise<void>;
}

export async function startLspSession(serverJs: string, rootDir: string): Promise<LspSession> {
  const child = spawn(process.execPath, [serverJs, '--stdio'], { stdio: 'pipe' });
  const logs: string[] = [];
  let exit: string | undefined;
  child.on('exit', (code, signal) => {
    exit = `the server exited (${signal ?? `code ${code}`})`;
    for (const wake of waiters.values()) wake(undefined);
  });
  child.stderr.on('data', (chunk) => logs.push(String(chunk)));
  const connection = createProtocolConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  // Only the latest diagnostics per document are kept: callers ask for the version they just sent.
  const latest = new Map<string, PublishDiagnosticsParams>();
  const waiters = new Map<string, (p: PublishDiagnosticsParams | undefined) => void>();
  connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
    latest.set(p.uri, p);
    const key = `${p.uri}@${p.version}`;
    waiters.get(key)?.(p);
    waiters.delete(key);
  });
  connection.onNotification(LogMessageNotification.type, (p) => logs.push(p.message));
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.onRequest('client/registerCapability', () => null);
  connection.listen();
  const rootUri = pathToFileURL(rootDir).href;
  await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri,
    workspaceFolders: [{ uri: rootUri, name: 'perf' }],
    capabilities: {},
    initializationOptions: { settings: {} },
  });
  await connection.sendNotification(InitializedNotification.type, {});
  return {
    connection,
    pid: child.pid ?? 0,
    logs,
    exited: () => exit,
    open(uri, text) {
      void connection.sendNotification(DidOpenTextDocumentNotification.type, {
        textDocument: { uri, languageId: 'python', version: 1, text },
      });
    },
    change(uri, version, change) {
      void connection.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri, version },
        contentChanges: [change],
      });
    },
    diagnostics(uri, version, timeoutMs) {
      const seen = latest.get(uri);
      if (seen?.version === version) return Promise.resolve(seen);
      if (exit) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const key = `${uri}@${version}`;
        const timer = setTimeout(() => {
          waiters.delete(key);
          resolve(undefined);
        }, timeoutMs);
        waiters.set(key, (p) => {
          clearTimeout(timer);
          resolve(p);
        });
      });
    },
    async stop() {
      try {
        await connection.sendRequest(ShutdownRequest.type);
        await connection.sendNotification(ExitNotification.type);
      } catch {
        // Already gone; the kill below makes sure.
      }
      connection.dispose();
      if (child.exitCode === null) child.kill();
    },
  };
}

/** Resident memory of a process in MB, from /proc on Linux or `ps` elsewhere; undefined when neither answers. */
export function rssMb(pid: number): number | undefined {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    if (kb > 0) return kb / 1024;
  } catch {
    // Not Linux: ask ps.
  }
  try {
    const kb = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim());
    return kb > 0 ? kb / 1024 : undefined;
  } catch {
    return undefined;
  }
}
