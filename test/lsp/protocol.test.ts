/**
 * Protocol tests against the built server over stdio: initialize, diagnostics
 * on open, incremental edits that add and remove a race, a file with syntax
 * errors, and UTF-16 columns after non-ASCII text. Run after `npm run build`.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import {
  createProtocolConnection,
  InitializeRequest,
  IPCMessageReader,
  IPCMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { fileUri, rangeOf, SERVER, startServer, type TestServer } from './lspClient';
import { BROKEN_SAMPLE, SAMPLE, SAMPLE_LINES, SAMPLE_NO_RACE, UNICODE_SAMPLE } from './samples';

let server: TestServer;
let dir: string;
const uri = (name: string) => fileUri(path.join(dir, name));
const byRule = (diagnostics: Diagnostic[], rule: string) => diagnostics.filter((d) => d.code === rule);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gil-lens-lsp-'));
  server = await startServer({ rootDir: dir, initializationOptions: { settings: { diagnosticsDelayMs: 20 } } });
});

afterAll(async () => {
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('initialize', () => {
  it('announces incremental sync and the editor features', () => {
    const caps = server.initializeResult.capabilities;
    expect(caps.textDocumentSync).toMatchObject({ openClose: true, change: 2 });
    expect(caps.hoverProvider).toBe(true);
    expect(caps.codeActionProvider).toMatchObject({ codeActionKinds: ['quickfix'] });
    expect(caps.codeLensProvider).toBeDefined();
    expect(server.initializeResult.serverInfo?.name).toBe('gil-lens');
  });
});

describe('transports', () => {
  it('also runs over node IPC, as the VS Code client starts it', async () => {
    const child = fork(SERVER, ['--node-ipc'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const connection = createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    connection.listen();
    try {
      const result = await connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: null,
        capabilities: {},
      });
      expect(result.serverInfo?.name).toBe('gil-lens');
    } finally {
      connection.dispose();
      child.kill();
    }
  });
});

describe('diagnostics', () => {
  it('publishes findings on open, with rule code, docs link and source', async () => {
    const u = uri('open.py');
    server.open(u, SAMPLE);
    const { diagnostics, version } = await server.diagnostics(u);
    expect(version).toBe(1);
    const [mutation] = byRule(diagnostics, 'shared-mutation');
    expect(mutation.range).toEqual(rangeOf(SAMPLE, 'counter += 1'));
    expect(mutation.source).toBe('gil-lens');
    expect(mutation.codeDescription?.href).toBe('https://github.com/gil-lens/gil-lens#shared-mutation');
    expect(mutation.severity).toBe(2);
    const cpu = byRule(diagnostics, 'cpu-bound-thread');
    expect(cpu.map((d) => d.range.start.line)).toEqual([SAMPLE_LINES.spawn]);
    // One sentence each: what is wrong and why. The advice is in the hover on the same span.
    expect(mutation.message).toMatch(/^`counter` is shared: .*so updates can be lost\.$/);
    expect(cpu[0].message).toMatch(/^`\w+` is CPU-bound \(.*\); .*no speed-up\.$/);
  });

  it('publishes a library-mode hint as a Hint, as check reports it (issue 15 defect 1)', async () => {
    // No thread and no threading import: the module is not thread-aware, so its lazy initialisation is a
    // free-threading hint. The edge used to re-read the configuration and publish it as a Warning.
    const text = [
      '_cache = None',
      '',
      '',
      'def get_cache():',
      '    global _cache',
      '    if _cache is None:',
      '        _cache = {}',
      '    return _cache',
      '',
    ].join('\n');
    const u = uri('hint.py');
    server.open(u, text);
    const { diagnostics } = await server.diagnostics(u);
    const [lazy] = byRule(diagnostics, 'shared-mutation');
    expect(lazy.range.start.line).toBe(6);
    expect(lazy.severity).toBe(4);
  });

  it('follows incremental edits that add and then remove a race', async () => {
    const u = uri('edit.py');
    server.open(u, SAMPLE_NO_RACE);
    const first = await server.diagnostics(u);
    expect(byRule(first.diagnostics, 'shared-mutation')).toEqual([]);

    const local = rangeOf(SAMPLE_NO_RACE, 'local = 1');
    server.change(u, 2, local, 'counter += 1');
    const added = await server.diagnostics(u, (p) => p.version === 2);
    expect(byRule(added.diagnostics, 'shared-mutation').map((d) => d.range)).toEqual([rangeOf(SAMPLE, 'counter += 1')]);

    // Two quick edits: the debounce publishes once, for the latest version only.
    const raced = rangeOf(SAMPLE, 'counter += 1');
    server.change(u, 3, raced, 'counter');
    server.change(
      u,
      4,
      { start: raced.start, end: { line: raced.start.line, character: raced.start.character + 7 } },
      'local = 1',
    );
    const removed = await server.diagnostics(u, (p) => p.version !== undefined && p.version >= 3);
    expect(removed.version).toBe(4);
    expect(byRule(removed.diagnostics, 'shared-mutation')).toEqual([]);
  });

  it('keeps the findings below a half-typed string while it is typed, and after it is closed', async () => {
    const u = uri('typing.py');
    server.open(u, SAMPLE);
    const opened = await server.diagnostics(u);
    const rules = (ds: typeof opened.diagnostics) => ds.map((d) => `${d.code}@${d.range.start.line}`).sort();
    // Line 3 is blank, between `counter = 0` and `def work():`.
    // An unclosed string would run to the end of the file in a parse of the whole text.
    server.change(u, 2, { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, 'doc = """');
    const typing = await server.diagnostics(u, (p) => p.version === 2);
    expect(rules(typing.diagnostics)).toEqual(rules(opened.diagnostics));
    server.change(u, 3, { start: { line: 3, character: 9 }, end: { line: 3, character: 9 } }, '"""');
    const closed = await server.diagnostics(u, (p) => p.version === 3);
    expect(rules(closed.diagnostics)).toEqual(rules(opened.diagnostics));
    expect(server.errors).toEqual([]);
  });

  it('survives a file with syntax errors and still reports the intact parts', async () => {
    const u = uri('broken.py');
    server.open(u, BROKEN_SAMPLE);
    const { diagnostics } = await server.diagnostics(u);
    const lines = byRule(diagnostics, 'shared-mutation').map((d) => d.range.start.line);
    expect(lines).toContain(BROKEN_SAMPLE.split('\n').indexOf('    counter += 1'));
    expect(server.errors).toEqual([]);
  });

  it('reports UTF-16 columns after non-ASCII text on the same line', async () => {
    const u = uri('unicode.py');
    server.open(u, UNICODE_SAMPLE);
    const { diagnostics } = await server.diagnostics(u);
    const [mutation] = byRule(diagnostics, 'shared-mutation');
    const expected = rangeOf(UNICODE_SAMPLE, 'counter += 1');
    // "Größe 😀😀" holds two surrogate pairs: UTF-16 counts them as 4 units, code points as 2, UTF-8 bytes as 10.
    expect(expected.start.character).toBe('        label = "Größe 😀😀"; '.length);
    expect(mutation.range).toEqual(expected);
  });

  it('keeps stdout for protocol messages only', () => {
    expect(server.errors).toEqual([]);
  });
});
