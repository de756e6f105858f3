/**
 * Workspace behaviour over the protocol: findings that depend on a file that
 * is not open (the background index), file-watching updates, the lock hover,
 * and a suppression comment added through the quick fix silencing the rule.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CodeAction,
  CodeActionRequest,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  HoverRequest,
  type MarkupContent,
} from 'vscode-languageserver-protocol';
import { applyWorkspaceEdit, fileUri, rangeOf, startServer, type TestServer } from './lspClient';
import { CROSS_HELPERS, CROSS_HELPERS_IO, CROSS_MAIN, LOCK_SAMPLE, SAMPLE } from './samples';

let server: TestServer;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gil-lens-workspace-'));
  fs.writeFileSync(path.join(dir, 'helpers.py'), CROSS_HELPERS);
  server = await startServer({
    rootDir: dir,
    initializationOptions: { settings: { diagnosticsDelayMs: 0 } },
    capabilities: { window: { workDoneProgress: true } },
  });
});

afterAll(async () => {
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const hasRule = (rule: string) => (p: { diagnostics: { code?: unknown }[] }) =>
  p.diagnostics.some((d) => d.code === rule);

describe('workspace index', () => {
  it('classifies a target defined in a file that is not open, and follows changes on disk', async () => {
    const uri = fileUri(path.join(dir, 'main.py'));
    server.open(uri, CROSS_MAIN);
    const cpu = await server.diagnostics(uri, hasRule('cpu-bound-thread'));
    expect(cpu.diagnostics.find((d) => d.code === 'cpu-bound-thread')?.range.start.line).toBe(4);

    fs.writeFileSync(path.join(dir, 'helpers.py'), CROSS_HELPERS_IO);
    void server.connection.sendNotification(DidChangeWatchedFilesNotification.type, {
      changes: [{ uri: fileUri(path.join(dir, 'helpers.py')), type: FileChangeType.Changed }],
    });
    const io = await server.diagnostics(uri, (p) => !hasRule('cpu-bound-thread')(p));
    expect(io.diagnostics).toEqual([]);
  });

  it('reports indexing progress', () => {
    expect(server.progress[0]).toMatchObject({ kind: 'begin', title: 'gil-lens: indexing' });
    expect(server.progress.at(-1)).toMatchObject({ kind: 'end' });
  });
});

describe('gil-lens.maxIndexedFiles', () => {
  it('leaves files past the limit out of the index, says so, and builds the index again when it changes', async () => {
    const limited = await startServer({
      rootDir: dir,
      initializationOptions: { settings: { diagnosticsDelayMs: 0, maxIndexedFiles: 0 } },
    });
    try {
      fs.writeFileSync(path.join(dir, 'helpers.py'), CROSS_HELPERS);
      const uri = fileUri(path.join(dir, 'main.py'));
      const ready = () => limited.logs.some((l) => /index: \d+ Python files in \d+ ms/.test(l));
      for (let i = 0; i < 100 && !ready(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(limited.logs.filter((l) => l.includes('gil-lens.maxIndexedFiles'))).toEqual([
        '[gil-lens] index: 1 Python file in the workspace; indexing the first 0 (gil-lens.maxIndexedFiles), so calls into the other 1 file are not followed.',
      ]);
      limited.open(uri, CROSS_MAIN);
      // The helper is not indexed, so the thread's target cannot be classified.
      expect(hasRule('cpu-bound-thread')(await limited.diagnostics(uri))).toBe(false);
      limited.configure({ diagnosticsDelayMs: 0, maxIndexedFiles: 10 });
      const cpu = await limited.diagnostics(uri, hasRule('cpu-bound-thread'));
      expect(cpu.diagnostics.find((d) => d.code === 'cpu-bound-thread')?.range.start.line).toBe(4);
    } finally {
      await limited.stop();
    }
  });
});

describe('lock hover', () => {
  it('says what a lock guards, on its creation and on a with-site', async () => {
    const uri = fileUri(path.join(dir, 'locked.py'));
    server.open(uri, LOCK_SAMPLE);
    const { diagnostics } = await server.diagnostics(uri);
    expect(diagnostics.filter((d) => d.code === 'shared-mutation')).toEqual([]);
    for (const position of [rangeOf(LOCK_SAMPLE, 'lock').start, rangeOf(LOCK_SAMPLE, 'lock:').start]) {
      const hover = await server.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position });
      const text = (hover?.contents as MarkupContent | undefined)?.value ?? '';
      expect(text).toContain('`lock`');
      expect(text).toContain('Guards `total`');
    }
  });
});

describe('suppression', () => {
  it('silences the rule once the comment from the quick fix is in the file', async () => {
    const uri = fileUri(path.join(dir, 'suppressed.py'));
    server.open(uri, SAMPLE);
    const { diagnostics } = await server.diagnostics(uri);
    const mutation = diagnostics.find((d) => d.code === 'shared-mutation');
    expect(mutation).toBeDefined();
    const actions = (await server.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range: mutation!.range,
      context: { diagnostics: [mutation!] },
    })) as CodeAction[];
    const suppress = actions.find((a) => a.title.startsWith('Suppress'));
    const edit = suppress?.edit?.changes?.[uri]?.[0];
    expect(edit).toBeDefined();
    server.change(uri, 2, edit!.range, edit!.newText);
    const after = await server.diagnostics(uri, (p) => p.version === 2);
    expect(after.diagnostics.map((d) => d.code)).toEqual(['cpu-bound-thread']);
    expect(applyWorkspaceEdit(SAMPLE, uri, suppress?.edit)).toContain(
      'counter += 1  # gil-lens: ignore[shared-mutation]',
    );
  });
});
