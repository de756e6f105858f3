/**
 * Unit tests of file collection, reading and module naming: which files a
 * check sees (sorted, .gitignore honoured with git's precedence, tool folders
 * skipped, named files always kept) and which it skips with a reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_FILE_BYTES } from '../../server/src/config/limits';
import { commonDirectory, findPyproject } from '../../server/src/config/loadConfig';
import { importRoot, moduleNameFor } from '../../server/src/files/moduleName';
import { decodeSource, readSource } from '../../server/src/files/readSource';
import { collectPythonFiles, InputError } from '../../server/src/files/walk';
import { makeFifo, project, removeProjects, writeBytesName } from './helpers';

afterEach(removeProjects);

const rels = (dir: string, paths = ['.']) =>
  collectPythonFiles(paths, { cwd: dir }).files.map((f) => f.displayPath.split(path.sep).join('/'));

describe('collectPythonFiles', () => {
  it('walks folders for .py files in sorted order', () => {
    const dir = project({ 'b.py': '', 'a/z.py': '', 'a/b.py': '', 'notes.txt': '', 'c.pyi': '' });
    expect(rels(dir)).toEqual(['a/b.py', 'a/z.py', 'b.py']);
  });

  it('skips tool and environment folders', () => {
    const dir = project({
      'ok.py': '',
      '.git/hooks/x.py': '',
      'node_modules/m/x.py': '',
      '.venv/lib/x.py': '',
      'venv/lib/x.py': '',
      '__pycache__/x.py': '',
    });
    expect(rels(dir)).toEqual(['ok.py']);
  });

  it('honours nested .gitignore files with git precedence', () => {
    const dir = project({
      '.gitignore': 'build/\ngenerated_*.py\n',
      'build/out.py': '',
      'generated_a.py': '',
      'src/generated_keep.py': '',
      'src/.gitignore': '!generated_keep.py\nlocal.py\n',
      'src/local.py': '',
      'src/main.py': '',
      'local.py': '',
    });
    expect(rels(dir)).toEqual(['local.py', 'src/generated_keep.py', 'src/main.py']);
  });

  it('applies .gitignore files above a named folder up to the repository root', () => {
    const dir = project({ '.git/HEAD': '', '.gitignore': 'secret.py\n', 'src/secret.py': '', 'src/app.py': '' });
    expect(rels(dir, ['src'])).toEqual(['src/app.py']);
    // Outside a repository, files above the named folder do not count.
    const loose = project({ '.gitignore': 'secret.py\n', 'src/secret.py': '', 'src/app.py': '' });
    expect(rels(loose, ['src'])).toEqual(['src/app.py', 'src/secret.py']);
  });

  it('walks a named folder that a .gitignore above ignores as a whole, honouring its own', () => {
    const dir = project({
      '.git/HEAD': '',
      '.gitignore': '/versions/\n*.gen.py\n',
      'versions/3.11/lib/os.py': '',
      'versions/3.11/lib/x.gen.py': '',
      'versions/3.11/lib/.gitignore': 'local_*.py\n',
      'versions/3.11/lib/local_a.py': '',
      'src/app.py': '',
    });
    // Walking the repository still skips the ignored folder.
    expect(rels(dir)).toEqual(['src/app.py']);
    expect(rels(dir, ['versions/3.11/lib'])).toEqual(['versions/3.11/lib/os.py', 'versions/3.11/lib/x.gen.py']);
    expect(rels(dir, ['versions'])).toEqual(['versions/3.11/lib/os.py', 'versions/3.11/lib/x.gen.py']);
  });

  it('always checks files named on the command line, once each', () => {
    const dir = project({ '.gitignore': 'ignored.py\n', 'ignored.py': '', script: '' });
    expect(rels(dir, ['ignored.py', 'script', '.', 'ignored.py'])).toEqual(['ignored.py', 'script']);
  });

  it('returns links that lead nowhere and special files as skipped, with their reason', (ctx) => {
    if (process.platform === 'win32') ctx.skip();
    const dir = project({ 'ok.py': '', 'lib/real.py': '' });
    fs.symlinkSync('missing.py', path.join(dir, 'dangling.py'));
    fs.symlinkSync('loop.py', path.join(dir, 'loop.py'));
    fs.symlinkSync('/dev/null', path.join(dir, 'null.py'));
    fs.symlinkSync('lib/real.py', path.join(dir, 'alias.py'));
    fs.symlinkSync('lib', path.join(dir, 'folder.py'));
    fs.symlinkSync('missing', path.join(dir, 'not-python'));
    makeFifo(path.join(dir, 'pipe.py'));
    const { files, skipped } = collectPythonFiles(['.'], { cwd: dir });
    // A link to a file is checked once; a link to a folder is not followed, and says nothing.
    expect(files.map((f) => f.displayPath)).toEqual(['alias.py', 'ok.py']);
    expect(skipped.map((s) => [s.displayPath, s.reason])).toEqual([
      ['dangling.py', 'dangling symbolic link (its target does not exist), skipped'],
      ['loop.py', 'symbolic link loop (too many levels of symbolic links), skipped'],
      ['null.py', 'symbolic link to a character device, skipped'],
      ['pipe.py', 'not a regular file (a FIFO), skipped'],
    ]);
  });

  it('finds and reads a file whose name is not UTF-8, walked or named', (ctx) => {
    const dir = project({ 'pkg/__init__.py': '' });
    if (!writeBytesName(path.join(dir, 'pkg'), Buffer.from([0x78, 0xff, 0x2e, 0x70, 0x79]), 'x = 1\n')) ctx.skip();
    const walked = collectPythonFiles(['.'], { cwd: dir }).files.find((f) => f.displayPath !== 'pkg/__init__.py');
    expect(walked).toMatchObject({ displayPath: 'pkg/x\uFFFD.py', moduleName: 'pkg.x\uFFFD' });
    expect(walked?.fsPath).toEqual(Buffer.from(`${dir}/pkg/x\xff.py`, 'latin1'));
    expect(readSource(walked?.fsPath ?? '')).toEqual({ ok: true, text: 'x = 1\n' });
    // A name typed on the command line arrives decoded the same way; its bytes are found again.
    const named = collectPythonFiles(['pkg/x\uFFFD.py'], { cwd: dir }).files;
    expect(named.map((f) => [f.displayPath, f.fsPath])).toEqual([['pkg/x\uFFFD.py', walked?.fsPath]]);
  });

  it('throws an InputError for a missing path', () => {
    const dir = project({});
    expect(() => collectPythonFiles(['missing.py'], { cwd: dir })).toThrow(InputError);
    expect(() => collectPythonFiles(['missing.py'], { cwd: dir })).toThrow(
      'cannot read missing.py: no such file or directory',
    );
  });

  it('names modules from the path relative to the import root', () => {
    const dir = project({ 'pkg/__init__.py': '', 'pkg/sub/__init__.py': '', 'pkg/sub/mod.py': '', 'tool.py': '' });
    const names = Object.fromEntries(
      collectPythonFiles(['.'], { cwd: dir }).files.map((f) => [f.displayPath, f.moduleName]),
    );
    expect(names).toEqual({
      'pkg/__init__.py': 'pkg',
      'pkg/sub/__init__.py': 'pkg.sub',
      'pkg/sub/mod.py': 'pkg.sub.mod',
      'tool.py': 'tool',
    });
    // Naming a package folder still gives full dotted names.
    const sub = collectPythonFiles(['pkg/sub'], { cwd: dir }).files.map((f) => f.moduleName);
    expect(sub).toEqual(['pkg.sub', 'pkg.sub.mod']);
    expect(importRoot(path.join(dir, 'pkg', 'sub'))).toBe(dir);
    expect(moduleNameFor(dir, path.join(dir, '__init__.py'))).toBe(path.basename(dir));
  });
});

describe('readSource', () => {
  it('reads UTF-8 and drops a byte-order mark', () => {
    expect(decodeSource(Buffer.from('\ufeffx = "é"\n'))).toEqual({ ok: true, text: 'x = "é"\n' });
  });

  it('skips binary files and files that are not UTF-8', () => {
    expect(decodeSource(Buffer.from([0x61, 0x00, 0x62]))).toEqual({
      ok: false,
      reason: expect.stringContaining('binary'),
    });
    expect(decodeSource(Buffer.from([0x78, 0x3d, 0xff, 0x0a]))).toEqual({
      ok: false,
      reason: expect.stringContaining('not valid UTF-8'),
    });
  });

  it('skips files over the size limit', () => {
    const dir = project({ 'big.py': 'x = 1\n'.repeat(Math.ceil(MAX_FILE_BYTES / 6) + 1) });
    const result = readSource(path.join(dir, 'big.py'));
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('larger than 2 MB') });
    expect(fs.statSync(path.join(dir, 'big.py')).size).toBeGreaterThan(MAX_FILE_BYTES);
  });
});

describe('config discovery', () => {
  it('finds the nearest pyproject.toml with a gil-lens table', () => {
    const dir = project({
      'pyproject.toml': '[tool.gil-lens]\nassume-threads = "always"\n',
      'pkg/pyproject.toml': '[project]\nname = "pkg"\n',
      'pkg/src/a.py': '',
    });
    expect(findPyproject(path.join(dir, 'pkg', 'src'))).toBe(path.join(dir, 'pyproject.toml'));
    fs.writeFileSync(path.join(dir, 'pkg', 'pyproject.toml'), '[tool.gil-lens.rules]\nshared-mutation = "off"\n');
    expect(findPyproject(path.join(dir, 'pkg', 'src'))).toBe(path.join(dir, 'pkg', 'pyproject.toml'));
  });

  it('starts from the folder common to every checked path', () => {
    const dir = project({ 'a/x.py': '', 'a/b/y.py': '', 'c/z.py': '' });
    expect(commonDirectory([path.join(dir, 'a/x.py'), path.join(dir, 'a/b/y.py')])).toBe(path.join(dir, 'a'));
    expect(commonDirectory([path.join(dir, 'a/b'), path.join(dir, 'c/z.py')])).toBe(dir);
  });
});
