/**
 * Hovers, quick fixes and CodeLens over the protocol. Every quick fix is
 * applied to the document text here, as the editor would, and the result is
 * compared with the exact expected file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CodeAction,
  CodeActionRequest,
  CodeLensRequest,
  type Diagnostic,
  HoverRequest,
  type MarkupContent,
  type Position,
} from 'vscode-languageserver-protocol';
import { applyWorkspaceEdit, fileUri, rangeOf, startServer, type TestServer } from './lspClient';
import { ASYNC_SAMPLE, POOL_LINES, POOL_SAMPLE, SAMPLE, SAMPLE_LINES } from './samples';

let server: TestServer;
let dir: string;
let sampleUri: string;
let poolUri: string;
let sampleDiagnostics: Diagnostic[];
let poolDiagnostics: Diagnostic[];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gil-lens-features-'));
  server = await startServer({
    rootDir: dir,
    initializationOptions: { settings: { diagnosticsDelayMs: 0 }, benchmarkLens: true, trusted: true },
  });
  sampleUri = fileUri(path.join(dir, 'sample.py'));
  poolUri = fileUri(path.join(dir, 'pool.py'));
  server.open(sampleUri, SAMPLE);
  server.open(poolUri, POOL_SAMPLE);
  sampleDiagnostics = (await server.diagnostics(sampleUri)).diagnostics;
  poolDiagnostics = (await server.diagnostics(poolUri)).diagnostics;
});

afterAll(async () => {
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function hover(uri: string, position: Position): Promise<string> {
  const result = await server.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position });
  return (result?.contents as MarkupContent | undefined)?.value ?? '';
}

async function actionsAt(uri: string, diagnostic: Diagnostic): Promise<CodeAction[]> {
  const result = await server.connection.sendRequest(CodeActionRequest.type, {
    textDocument: { uri },
    range: diagnostic.range,
    context: { diagnostics: [diagnostic] },
  });
  return (result ?? []) as CodeAction[];
}

const only = (diagnostics: Diagnostic[], rule: string) => {
  const found = diagnostics.filter((d) => d.code === rule);
  expect(found).toHaveLength(1);
  return found[0];
};

describe('hover', () => {
  it('explains a CPU-bound spawn call', async () => {
    const text = await hover(sampleUri, rangeOf(SAMPLE, 'threading.Thread').start);
    expect(text).toContain('**CPU-bound**');
    expect(text).toContain('`work`');
    expect(text).toContain('one at a time');
    expect(text).toContain('ProcessPoolExecutor');
    expect(text).toMatch(/\[line \d+\]\(file:\/\/.*sample\.py#L\d+\)/);
  });

  it('explains the thread target at its def', async () => {
    const text = await hover(sampleUri, { line: SAMPLE_LINES.work, character: 5 });
    expect(text).toContain('**CPU-bound**');
    expect(text).toContain(`#L${SAMPLE_LINES.spawn + 1})`);
    expect(text.split('\n').length).toBeLessThan(20);
  });

  it('says which threads reach a flagged mutation and how to fix it', async () => {
    const text = await hover(sampleUri, rangeOf(SAMPLE, 'counter += 1').start);
    expect(text).toContain('**Shared mutation** of `counter`');
    expect(text).toContain('`work`');
    expect(text).toContain('Fix:');
  });

  it('answers null away from anything gil-lens knows', async () => {
    const result = await server.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri: sampleUri },
      position: { line: 2, character: 0 },
    });
    expect(result).toBeNull();
  });
});

describe('code actions', () => {
  it('wraps the shared mutation in a new module-level lock', async () => {
    const actions = await actionsAt(sampleUri, only(sampleDiagnostics, 'shared-mutation'));
    const preferred = actions.filter((a) => a.isPreferred);
    expect(preferred).toHaveLength(1);
    expect(preferred[0].title).toContain('counter_lock');
    expect(preferred[0].diagnostics?.[0].code).toBe('shared-mutation');
    const fixed = applyWorkspaceEdit(SAMPLE, sampleUri, preferred[0].edit);
    expect(fixed).toBe(
      SAMPLE.replace('import threading\n', 'import threading\ncounter_lock = threading.Lock()\n').replace(
        '        counter += 1\n',
        '        with counter_lock:\n            counter += 1\n',
      ),
    );
  });

  it('suppresses the shared mutation on its line', async () => {
    const actions = await actionsAt(sampleUri, only(sampleDiagnostics, 'shared-mutation'));
    const suppress = actions.find((a) => a.title.startsWith('Suppress'));
    expect(suppress?.isPreferred).toBe(false);
    expect(applyWorkspaceEdit(SAMPLE, sampleUri, suppress?.edit)).toBe(
      SAMPLE.replace('        counter += 1\n', '        counter += 1  # gil-lens: ignore[shared-mutation]\n'),
    );
  });

  it('rewrites a CPU-bound ThreadPoolExecutor to ProcessPoolExecutor, with the import', async () => {
    const diagnostic = only(poolDiagnostics, 'cpu-bound-thread');
    expect(diagnostic.range.start.line).toBe(POOL_LINES.map);
    const actions = await actionsAt(poolUri, diagnostic);
    const rewrite = actions.find((a) => a.isPreferred);
    expect(rewrite?.title).toContain('ProcessPoolExecutor');
    const fixed = applyWorkspaceEdit(POOL_SAMPLE, poolUri, rewrite?.edit);
    expect(fixed).toBe(
      POOL_SAMPLE.replace(
        'from concurrent.futures import ThreadPoolExecutor\n',
        'from concurrent.futures import ProcessPoolExecutor\n',
      ).replace('with ThreadPoolExecutor(max_workers=4)', 'with ProcessPoolExecutor(max_workers=4)'),
    );
    expect(actions.map((a) => [a.title, a.isPreferred])).toEqual([
      ['Use ProcessPoolExecutor (the target is picklable)', true],
      ['Move the pool under `if __name__ == "__main__":`', false],
      ['Suppress cpu-bound-thread on this line', false],
    ]);
  });

  it('moves module-level pool code under a __main__ guard', async () => {
    const actions = await actionsAt(poolUri, only(poolDiagnostics, 'cpu-bound-thread'));
    const guard = actions.find((a) => a.title.includes('__main__'));
    expect(applyWorkspaceEdit(POOL_SAMPLE, poolUri, guard?.edit)).toBe(
      POOL_SAMPLE.replace(
        'with ThreadPoolExecutor(max_workers=4) as pool:\n    results = list(pool.map(work2, range(8)))\nprint(sum(results))\n',
        'if __name__ == "__main__":\n    with ThreadPoolExecutor(max_workers=4) as pool:\n' +
          '        results = list(pool.map(work2, range(8)))\n    print(sum(results))\n',
      ),
    );
  });

  it('offers no rewrite for threads started from a comprehension, only suppression', async () => {
    const actions = await actionsAt(sampleUri, only(sampleDiagnostics, 'cpu-bound-thread'));
    expect(actions.map((a) => a.title)).toEqual(['Suppress cpu-bound-thread on this line']);
    expect(applyWorkspaceEdit(SAMPLE, sampleUri, actions[0].edit)).toBe(
      SAMPLE.replace(
        'threads = [threading.Thread(target=work) for _ in range(4)]\n',
        'threads = [threading.Thread(target=work) for _ in range(4)]  # gil-lens: ignore[cpu-bound-thread]\n',
      ),
    );
  });

  it('turns time.sleep into await asyncio.sleep and wraps other blocking calls in to_thread', async () => {
    const uri = fileUri(path.join(dir, 'handler.py'));
    server.open(uri, ASYNC_SAMPLE);
    const { diagnostics } = await server.diagnostics(uri);
    const blocking = diagnostics.filter((d) => d.code === 'blocking-in-async');
    expect(blocking.map((d) => d.range.start.line)).toEqual([6, 7]);
    const withAsyncio = ASYNC_SAMPLE.replace('import requests\n', 'import requests\nimport asyncio\n');

    const [sleep] = (await actionsAt(uri, blocking[0])).filter((a) => a.isPreferred);
    expect(applyWorkspaceEdit(ASYNC_SAMPLE, uri, sleep.edit)).toBe(
      withAsyncio.replace('    time.sleep(1)', '    await asyncio.sleep(1)'),
    );
    const [toThread] = (await actionsAt(uri, blocking[1])).filter((a) => a.isPreferred);
    expect(applyWorkspaceEdit(ASYNC_SAMPLE, uri, toThread.edit)).toBe(
      withAsyncio.replace('requests.get(url, timeout=5)', 'await asyncio.to_thread(requests.get, url, timeout=5)'),
    );
  });

  it('offers only quick fixes, and nothing when only other kinds are asked for', async () => {
    const diagnostic = only(sampleDiagnostics, 'shared-mutation');
    const result = await server.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: sampleUri },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic], only: ['source.organizeImports'] },
    });
    expect(result).toEqual([]);
  });
});

describe('code lens', () => {
  it('labels each thread target and offers Benchmark', async () => {
    const lenses = await server.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri: sampleUri } });
    const titles = (lenses ?? []).map((l) => [l.range.start.line, l.command?.title]);
    expect(titles).toEqual([
      [SAMPLE_LINES.work, 'CPU-bound · threads take turns on the GIL'],
      [SAMPLE_LINES.work, 'Benchmark'],
    ]);
    const bench = lenses?.find((l) => l.command?.title === 'Benchmark');
    expect(bench?.command?.command).toBe('gil-lens.benchmarkFunction');
    expect(bench?.command?.arguments).toEqual([sampleUri, SAMPLE_LINES.work]);
  });

  it('labels a pool target', async () => {
    const lenses = await server.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri: poolUri } });
    expect(lenses?.[0].range.start.line).toBe(POOL_LINES.work2);
    expect(lenses?.[0].command?.title).toMatch(/^CPU-bound/);
  });
});
