/**
 * The parallel check (issue 14): models made on worker threads must give the
 * reports a serial run gives, byte for byte, skipped files included. The CLI
 * runs are the built bin/gil-lens.js, as a user runs it; the pool tests start
 * the built worker (dist/modelWorker.js) with the main thread left out, so
 * every file really crosses a thread, and compare with the in-process models,
 * as do the tests of the language server's index built on workers.
 * No test here measures time: `npm run bench` prints the speed.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_FILE_BYTES } from '../../server/src/config/limits';
import { initSyntax } from '../../server/src/engine';
import type { ModelRequest } from '../../server/src/files/modelFile';
import { findWorkerScript, modelFiles, WORKER_FILE } from '../../server/src/files/modelPool';
import { collectPythonFiles } from '../../server/src/files/walk';
import { WorkspaceIndex } from '../../server/src/lsp/workspaceIndex';
import { deepFString } from '../model/hostileText';
import { gilLens, PLAIN, project, RACY, removeProjects, writeBytesName } from './helpers';

afterEach(removeProjects);

const ROOT = path.join(__dirname, '../..');
const DIST = path.join(ROOT, 'dist');

/** Files every reader or the parser skips, next to files with findings and a file with a non-UTF-8 name. */
function mixedProject(): { dir: string; byteName: boolean } {
  const dir = project({
    'a_binary.py': new Uint8Array([0x69, 0x6d, 0x00, 0x01]),
    'b_latin1.py': new Uint8Array([0x23, 0x20, 0xe9, 0x0a]),
    'c_deep.py': deepFString(),
    'd_racy.py': RACY,
    'e_plain.py': PLAIN,
    'f_big.py': `x = 1\n${'#'.repeat(MAX_FILE_BYTES)}\n`,
    'pkg/__init__.py': '',
    'pkg/g_racy.py': RACY,
  });
  const byteName = writeBytesName(dir, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x70, 0x79]), RACY);
  return { dir, byteName };
}

describe('check --jobs', () => {
  it('reports the same on the fixtures and examples with --jobs 1 and --jobs 3', () => {
    const args = ['check', '--format', 'json', 'test/fixtures', 'examples'];
    const serial = gilLens([...args, '--jobs', '1'], ROOT);
    const parallel = gilLens([...args, '--jobs', '3'], ROOT);
    expect(JSON.parse(serial.stdout).files.length).toBeGreaterThan(100);
    expect(parallel.stdout).toBe(serial.stdout);
    expect(parallel.stderr).toBe(serial.stderr);
    expect(parallel.code).toBe(serial.code);
  });

  it('keeps every skipped file in its place with its reason, in every format', () => {
    const { dir } = mixedProject();
    for (const format of ['json', 'text', 'sarif']) {
      const serial = gilLens(['check', '--format', format, '--jobs', '1', '.'], dir);
      const parallel = gilLens(['check', '--format', format, '-j', '3', '.'], dir);
      expect(parallel).toEqual(serial);
    }
    const json = JSON.parse(gilLens(['check', '--format', 'json', '--jobs=3', '.'], dir).stdout);
    const paths: string[] = json.files.map((f: { path: string }) => f.path);
    expect(paths).toEqual([...paths].sort());
    const skipped = json.files
      .filter((f: { error?: string }) => f.error !== undefined)
      .map((f: { path: string }) => f.path);
    expect(skipped).toEqual(['a_binary.py', 'b_latin1.py', 'c_deep.py', 'f_big.py']);
  });

  it('refuses a number of jobs that is not a whole number from 1 up', () => {
    for (const bad of ['0', '-1', 'two', '1.5', '']) {
      const run = gilLens(['check', '--jobs', bad, '.'], ROOT);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^gil-lens: (--jobs needs a whole number|option)/);
    }
    expect(gilLens(['check', '--help'], ROOT).stdout).toContain('--jobs N');
  });
});

describe('model pool', () => {
  const script = path.join(DIST, WORKER_FILE);

  it('is built next to the other bundles', () => {
    expect(findWorkerScript(DIST)).toBe(script);
  });

  it('gives on worker threads the models and skips the main thread gives', async (ctx) => {
    const { dir, byteName } = mixedProject();
    if (!byteName) ctx.skip();
    const files: ModelRequest[] = collectPythonFiles(['.'], { cwd: dir }).files;
    expect(files.some((f) => f.fsPath !== undefined)).toBe(true);
    const syntax = await initSyntax();
    const serial = await modelFiles(syntax, files, { jobs: 1 });
    const workers = await modelFiles(syntax, files, { jobs: 2, script, workersOnly: true });
    expect(workers).toEqual(serial);
    // `check` keeps plain lines: its models live seconds (PoolOptions.packLines).
    expect(workers.every((o) => Object.getOwnPropertyDescriptor(o, 'lines')?.get === undefined)).toBe(true);
    expect(serial.filter((o) => 'reason' in o)).toHaveLength(4);
  });

  it('says so when the worker bundle is missing', async () => {
    const syntax = await initSyntax();
    const files: ModelRequest[] = [1, 2].map((n) => ({
      absPath: `/nowhere/${n}.py`,
      displayPath: `${n}.py`,
      moduleName: `m${n}`,
    }));
    await expect(modelFiles(syntax, files, { jobs: 2, script: undefined })).rejects.toThrow(WORKER_FILE);
  });
});

describe("the language server's index on worker threads", () => {
  const FIXTURES = path.join(ROOT, 'test/fixtures');

  async function build(jobs: number, isOpen: (file: string) => boolean = () => false, maxFiles?: number) {
    const logged: string[] = [];
    const index = new WorkspaceIndex(await initSyntax(), {
      maxFileSize: () => 2 * 1024 * 1024,
      maxFiles: maxFiles === undefined ? undefined : () => maxFiles,
      isOpen,
      log: (message) => logged.push(message),
      jobs,
      workerScript: path.join(DIST, WORKER_FILE),
    });
    let last = [0, 0];
    const complete = await index.build([FIXTURES], (done, total) => {
      last = [done, total];
    });
    return { complete, models: [...index.models.entries()], logged, last, index };
  }

  it('holds the first files of the walk up to gil-lens.maxIndexedFiles, on workers as on the main thread', async () => {
    const all = await build(0);
    for (const jobs of [0, 2]) {
      const limited = await build(jobs, () => false, 20);
      expect(limited.models.map(([file]) => file)).toEqual(all.models.slice(0, 20).map(([file]) => file));
      expect(limited.index.leftOut).toBe(all.models.length - 20);
      expect(limited.logged.filter((l) => l.includes('gil-lens.maxIndexedFiles'))).toHaveLength(1);
      // A file the index does not hold is not added past the limit; one it holds is read again.
      const outside = all.models[25][0];
      await limited.index.update(outside);
      expect(limited.index.models.has(outside)).toBe(false);
      const inside = all.models[3][0];
      const before = limited.index.models.get(inside);
      await limited.index.update(inside);
      expect(limited.index.models.get(inside)).not.toBe(before);
      expect(limited.index.models.get(inside)).toEqual(before);
    }
  });

  it('holds the models, in the order, of a build on the main thread', async () => {
    const serial = await build(0);
    const pooled = await build(2);
    expect(serial.models.length).toBeGreaterThan(100);
    expect(pooled.complete).toBe(true);
    // The index keeps each model's lines packed until read (files/packedLines.ts); reading gives them back.
    const packed = (m: object) => typeof Object.getOwnPropertyDescriptor(m, 'lines')?.get === 'function';
    expect(pooled.models.every(([, m]) => packed(m))).toBe(true);
    expect(pooled.models).toEqual(serial.models);
    expect(pooled.logged).toEqual(serial.logged);
    expect(pooled.last).toEqual([serial.models.length, serial.models.length]);
  });

  it('leaves open files to the session', async () => {
    const open = (file: string) => file.endsWith('.py') && path.basename(file).startsWith('a');
    const pooled = await build(2, open);
    expect(pooled.models.length).toBeGreaterThan(50);
    expect(pooled.models.filter(([file]) => open(file))).toEqual([]);
    expect(pooled.models).toEqual((await build(0, open)).models);
  });
});
