/**
 * The language server against input found by fuzzing (issue 13), through the
 * real client: a file nested too deep for the parser, open or on disk, is
 * skipped with one log line while every other document keeps its diagnostics
 * and hovers (defect 2); classic-Mac line breaks give the positions, edits and
 * fixes a `\n` file gets (defect 7); and a fix never edits past the end of the
 * document (defect 8).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CodeAction,
  CodeActionRequest,
  type Diagnostic,
  HoverRequest,
  type MarkupContent,
  type Position,
  type Range,
} from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { deepFString, macLineBreaks } from '../model/hostileText';
import { applyWorkspaceEdit, fileUri, rangeOf, startServer, type TestServer } from './lspClient';
import { SAMPLE } from './samples';

let server: TestServer;
let dir: string;
const uri = (name: string) => fileUri(path.join(dir, name));

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gil-lens-robust-'));
  // The index reads this one from disk; the session gets its twin as an open document.
  fs.writeFileSync(path.join(dir, 'deep_on_disk.py'), deepFString());
  server = await startServer({ rootDir: dir, initializationOptions: { settings: { diagnosticsDelayMs: 20 } } });
});

afterAll(async () => {
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function hover(u: string, position: Position): Promise<string | undefined> {
  const result = await server.connection.sendRequest(HoverRequest.type, { textDocument: { uri: u }, position });
  return (result?.contents as MarkupContent | undefined)?.value;
}

async function actionsAt(u: string, diagnostic: Diagnostic): Promise<CodeAction[]> {
  const result = await server.connection.sendRequest(CodeActionRequest.type, {
    textDocument: { uri: u },
    range: diagnostic.range,
    context: { diagnostics: [diagnostic] },
  });
  return (result ?? []) as CodeAction[];
}

const rules = (diagnostics: Diagnostic[]) => diagnostics.map((d) => `${d.code}@${d.range.start.line}`).sort();

describe('a file the parser refuses (issue 13 defect 2)', () => {
  it('is skipped with one log line, and the other documents keep diagnostics and hovers', async () => {
    const deep = uri('deep_open.py');
    server.open(deep, deepFString());
    expect((await server.diagnostics(deep)).diagnostics).toEqual([]);
    // An edit re-reads the document: still skipped, and not logged again.
    server.change(deep, 2, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, '# deep\n');
    expect((await server.diagnostics(deep, (p) => p.version === 2)).diagnostics).toEqual([]);

    for (const name of ['after_1.py', 'after_2.py']) {
      const u = uri(name);
      server.open(u, SAMPLE);
      const { diagnostics } = await server.diagnostics(u);
      expect(rules(diagnostics)).toEqual(['cpu-bound-thread@11', 'shared-mutation@8']);
      expect(await hover(u, rangeOf(SAMPLE, 'counter += 1').start)).toContain('counter');
    }

    const skipped = server.logs.filter((l) => l.includes('deep_open.py'));
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatch(/deep_open\.py: a string on line 2\d\d is nested 256 blocks deep.*, skipped$/);
    expect(server.logs.some((l) => /index: .*deep_on_disk\.py: a string on line 257 .*, skipped/.test(l))).toBe(true);
    expect(server.errors).toEqual([]);
  });
});

describe('classic-Mac line breaks (issue 13 defect 7)', () => {
  const mac = macLineBreaks(SAMPLE);

  it('give the diagnostics of the same text with \\n', async () => {
    const [unix, classic] = [uri('unix.py'), uri('mac.py')];
    server.open(unix, SAMPLE);
    server.open(classic, mac);
    const expected = (await server.diagnostics(unix)).diagnostics;
    expect((await server.diagnostics(classic)).diagnostics).toEqual(expected);
  });

  it('keep diagnostics right through edits that make and unmake \\r\\n', async () => {
    const u = uri('mac_edit.py');
    server.open(u, mac);
    await server.diagnostics(u);
    let doc = TextDocument.create(u, 'python', 1, mac);
    const edit = (range: Range, text: string) => {
      const version = doc.version + 1;
      server.change(u, version, range, text);
      // As an editor sees the text: TextDocument.update alone would miscount a `\r` meeting a `\n`.
      doc = TextDocument.create(u, 'python', version, TextDocument.update(doc, [{ range, text }], version).getText());
    };
    const lineStart = (line: number): Range => ({ start: { line, character: 0 }, end: { line, character: 0 } });
    // A `\n` typed after a lone `\r` joins it into one line break; deleting it splits them again.
    edit(lineStart(6), '\n');
    edit({ start: { line: 5, character: 11 }, end: { line: 6, character: 0 } }, '\r');
    edit(lineStart(4), '\r\n\r');
    edit({ start: { line: 10, character: 8 }, end: { line: 10, character: 8 } }, 'total = 0\r        ');
    const final = await server.diagnostics(u, (p) => p.version === doc.version);

    const fresh = uri('mac_fresh.py');
    server.open(fresh, doc.getText());
    const expected = (await server.diagnostics(fresh)).diagnostics;
    expect(final.diagnostics).toEqual(expected);
    expect(rules(expected)).toEqual(['cpu-bound-thread@14', 'shared-mutation@11']);
  });

  it('get fixes that keep them', async () => {
    const [unix, classic] = [uri('unix_fix.py'), uri('mac_fix.py')];
    server.open(unix, SAMPLE);
    server.open(classic, mac);
    const fixed = async (u: string, text: string) => {
      const { diagnostics } = await server.diagnostics(u);
      const race = diagnostics.find((d) => d.code === 'shared-mutation') as Diagnostic;
      const [fix] = await actionsAt(u, race);
      return applyWorkspaceEdit(text, u, fix.edit);
    };
    const expected = await fixed(unix, SAMPLE);
    expect(expected).toContain('with counter_lock:');
    expect(await fixed(classic, mac)).toBe(macLineBreaks(expected));
  });
});

describe('a file ending in an import without a line break (issue 13 defect 8)', () => {
  it('gets a lock fix inside the document', async () => {
    const text = [
      'count = 0',
      '',
      '',
      'def work():',
      '    global count',
      '    count += 1',
      '',
      '',
      'threads = [threading.Thread(target=work) for _ in range(2)]',
      'import threading',
    ].join('\n');
    const u = uri('ends_with_import.py');
    server.open(u, text);
    const { diagnostics } = await server.diagnostics(u);
    const race = diagnostics.find((d) => d.code === 'shared-mutation') as Diagnostic;
    const [fix] = await actionsAt(u, race);
    const doc = TextDocument.create(u, 'python', 1, text);
    const end = doc.positionAt(text.length);
    for (const edit of fix.edit?.changes?.[u] ?? []) {
      for (const at of [edit.range.start, edit.range.end]) {
        expect(at.line < end.line || (at.line === end.line && at.character <= end.character)).toBe(true);
      }
    }
    expect(applyWorkspaceEdit(text, u, fix.edit)).toMatch(/\nimport threading\ncount_lock = threading\.Lock\(\)$/);
  });
});
