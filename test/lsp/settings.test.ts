/**
 * Settings: declared once in package.json and typed in protocol.ts (checked
 * key by key here), changed at run time through both ways clients deliver
 * them (pushed with didChangeConfiguration, pulled with
 * workspace/configuration), layered over pyproject.toml, and the size limit.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CodeLensRequest } from 'vscode-languageserver-protocol';
import { RULE_IDS } from '../../server/src/analysis/types';
import { DEFAULT_SETTINGS, flattenSettings, RULE_SETTINGS } from '../../server/src/protocol';
import { fileUri, startServer, type TestServer } from './lspClient';
import { SAMPLE } from './samples';

const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));
const declared: Record<string, { type: string; default: unknown; enum?: string[] }> =
  manifest.contributes.configuration.properties;

describe('package.json and protocol.ts agree', () => {
  it('declares every typed setting with the same default, and nothing else', () => {
    const typed = flattenSettings(DEFAULT_SETTINGS);
    expect(Object.keys(declared).sort()).toEqual(Object.keys(typed).sort());
    for (const [key, value] of Object.entries(typed)) {
      expect(declared[key].default, key).toEqual(value);
      expect(declared[key].type, key).toBe(typeof value === 'number' ? 'number' : typeof value);
    }
  });

  it('offers the same severities for every rule', () => {
    for (const rule of RULE_IDS) expect(declared[`gil-lens.rules.${rule}`].enum).toEqual([...RULE_SETTINGS]);
  });
});

let server: TestServer | undefined;
let dir: string | undefined;

afterEach(async () => {
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  server = undefined;
  dir = undefined;
});

function workspace(files: Record<string, string> = {}): string {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gil-lens-settings-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const rules = (p: { diagnostics: { code?: unknown }[] }) => p.diagnostics.map((d) => d.code);

describe('settings at run time', () => {
  it('turns a rule off when pushed settings change', async () => {
    const root = workspace();
    server = await startServer({ rootDir: root, initializationOptions: { settings: { diagnosticsDelayMs: 0 } } });
    const uri = fileUri(path.join(root, 'a.py'));
    server.open(uri, SAMPLE);
    expect(rules(await server.diagnostics(uri))).toContain('shared-mutation');
    server.configure({ 'gil-lens': { diagnosticsDelayMs: 0, rules: { 'shared-mutation': 'off' } } });
    const after = await server.diagnostics(uri, (p) => !rules(p).includes('shared-mutation'));
    expect(rules(after)).toContain('cpu-bound-thread');
  });

  it('pulls settings with workspace/configuration when the client supports it', async () => {
    const root = workspace();
    let section: unknown = { diagnosticsDelayMs: 0, rules: { 'cpu-bound-thread': 'error' } };
    server = await startServer({
      rootDir: root,
      capabilities: { workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } } },
      configuration: () => section,
    });
    const uri = fileUri(path.join(root, 'b.py'));
    server.open(uri, SAMPLE);
    const first = await server.diagnostics(uri, (p) => p.diagnostics.some((d) => d.severity === 1));
    expect(first.diagnostics.find((d) => d.code === 'cpu-bound-thread')?.severity).toBe(1);
    section = { diagnosticsDelayMs: 0, codeLens: { enable: false }, rules: { 'cpu-bound-thread': 'off' } };
    server.configure(null);
    const after = await server.diagnostics(uri, (p) => !rules(p).includes('cpu-bound-thread'));
    expect(rules(after)).toContain('shared-mutation');
    const lenses = await server.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
    expect(lenses).toEqual([]);
  });

  it('applies pyproject.toml, with editor settings on top', async () => {
    const root = workspace({ 'pyproject.toml': '[tool.gil-lens]\nrules = { shared-mutation = "off" }\n' });
    server = await startServer({ rootDir: root, initializationOptions: { settings: { diagnosticsDelayMs: 0 } } });
    const uri = fileUri(path.join(root, 'c.py'));
    server.open(uri, SAMPLE);
    const first = await server.diagnostics(uri, (p) => p.diagnostics.length > 0);
    expect(rules(first)).not.toContain('shared-mutation');
    server.configure({ diagnosticsDelayMs: 0, rules: { 'shared-mutation': 'error' } });
    const after = await server.diagnostics(uri, (p) => rules(p).includes('shared-mutation'));
    expect(after.diagnostics.find((d) => d.code === 'shared-mutation')?.severity).toBe(1);
  });

  it('skips files over gil-lens.maxFileSize with one log line', async () => {
    const root = workspace();
    server = await startServer({
      rootDir: root,
      initializationOptions: { settings: { diagnosticsDelayMs: 0, maxFileSize: 100 } },
    });
    const uri = fileUri(path.join(root, 'big.py'));
    server.open(uri, SAMPLE);
    expect((await server.diagnostics(uri)).diagnostics).toEqual([]);
    server.change(uri, 2, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, '# more\n');
    await server.diagnostics(uri, (p) => p.version === 2);
    expect(server.logs.filter((l) => l.includes('big.py') && l.includes('skipped'))).toHaveLength(1);
  });
});
