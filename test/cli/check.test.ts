/**
 * End-to-end tests of `gil-lens check`, run as a user runs it: the built
 * bin/gil-lens.js in a child process against temporary projects. They cover
 * exit statuses, the three formats on the real pipeline, input that must be
 * refused (exit 2) or skipped (a message, the rest still checked), and
 * configuration from pyproject.toml and --config.
 *
 * Tests under "findings" need the analysis rules; the rest hold whatever the
 * analysis reports.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_FILE_BYTES } from '../../server/src/config/limits';
import { deepFString, deepTarget, macLineBreaks } from '../model/hostileText';
import {
  BIN,
  checkJson,
  findingKeys,
  gilLens,
  type JsonReportShape,
  makeFifo,
  PLAIN,
  project,
  RACY,
  removeProjects,
  writeBytesName,
} from './helpers';

afterEach(removeProjects);

const RACY_FINDINGS = ['12:cpu-bound-thread', '9:shared-mutation'];

describe('usage and exit status', () => {
  it('exits 0 and says so when nothing is found', () => {
    const dir = project({ 'plain.py': PLAIN });
    const run = gilLens(['check', 'plain.py'], dir);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('All checks passed (1 file checked).\n');
    expect(run.code).toBe(0);
  });

  it('runs every format through the real pipeline', () => {
    const dir = project({ 'pkg/plain.py': PLAIN });
    const json = checkJson(['pkg'], dir);
    expect(json.code).toBe(0);
    expect(json.report).toEqual({ version: 1, files: [{ path: 'pkg/plain.py', findings: [], threadTargets: [] }] });

    const sarifRun = gilLens(['check', '--format', 'sarif', 'pkg'], dir);
    expect(sarifRun.code).toBe(0);
    const sarif = JSON.parse(sarifRun.stdout);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].tool.driver.name).toBe('gil-lens');
    expect(sarif.runs[0].tool.driver.rules).toHaveLength(4);
    expect(sarif.runs[0].results).toEqual([]);

    const text = gilLens(['check', '--format=text', 'pkg'], dir);
    expect(text).toMatchObject({ code: 0, stdout: 'All checks passed (1 file checked).\n' });
  });

  it.each([
    [['check'], 'no paths given'],
    [['check', '--format', 'xml', '.'], 'unknown format "xml"'],
    [['check', '--colour', '.'], "unknown option '--colour'"],
    [['check', '--format'], "option '--format <value>' argument missing"],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [[], 'Usage:'],
  ])('exits 2 on a usage error: %j', (args, message) => {
    const run = gilLens(args, project({ 'plain.py': PLAIN }));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });

  it('exits 2 with a clear message for a path that does not exist', () => {
    const dir = project({ 'plain.py': PLAIN });
    const run = gilLens(['check', 'plain.py', 'missing.py', 'gone/'], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'gil-lens: cannot read missing.py: no such file or directory\n' +
        'gil-lens: cannot read gone/: no such file or directory\n',
    );
  });

  it('prints help and the version', () => {
    const dir = project({});
    expect(gilLens(['--version'], dir)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
    expect(gilLens(['--help'], dir)).toMatchObject({ code: 0, stdout: expect.stringContaining('gil-lens check') });
    expect(gilLens(['check', '--help'], dir)).toMatchObject({ code: 0, stdout: expect.stringContaining('--format') });
  });

  it('hands `bench` to the benchmark command', () => {
    const dir = project({});
    expect(gilLens(['bench', '--help'], dir)).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('FILE::FUNCTION'),
    });
    expect(gilLens(['bench'], dir)).toMatchObject({ code: 2, stderr: expect.stringContaining('gil-lens bench:') });
  });
});

describe('input handling', () => {
  it('checks only files that .gitignore does not exclude', () => {
    const dir = project({
      '.gitignore': 'build/\nscratch_*.py\n',
      'app.py': PLAIN,
      'scratch_racy.py': RACY,
      'build/lib/racy.py': RACY,
      'pkg/mod.py': PLAIN,
    });
    const { code, report } = checkJson(['.'], dir);
    expect(report.files.map((f) => f.path)).toEqual(['app.py', 'pkg/mod.py']);
    expect(code).toBe(0);
  });

  it('skips binary, non-UTF-8 and oversized files with a message and checks the rest', () => {
    const dir = project({
      'a_binary.py': new Uint8Array([0x69, 0x6d, 0x00, 0x01]),
      'b_latin1.py': new Uint8Array([...Buffer.from('name = "caf'), 0xe9, ...Buffer.from('"\n')]),
      'c_huge.py': 'x = 1\n'.repeat(Math.ceil(MAX_FILE_BYTES / 6) + 1),
      'd_plain.py': PLAIN,
    });
    const { code, stderr, report } = checkJson(['.'], dir);
    expect(code).toBe(0);
    expect(stderr).toContain('gil-lens: a_binary.py: binary file (contains NUL bytes), skipped');
    expect(stderr).toContain('gil-lens: b_latin1.py: not valid UTF-8');
    expect(stderr).toContain('gil-lens: c_huge.py: larger than 2 MB');
    expect(report.files.map((f) => [f.path, f.error === undefined])).toEqual([
      ['a_binary.py', false],
      ['b_latin1.py', false],
      ['c_huge.py', false],
      ['d_plain.py', true],
    ]);
    for (const file of report.files.slice(0, 3)) expect(file.findings).toEqual([]);
  });

  it('checks a file whose name is not valid UTF-8, met in a folder or named', (ctx) => {
    const dir = project({});
    if (!writeBytesName(dir, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x70, 0x79]), RACY)) ctx.skip();
    // Node shows the name with U+FFFD for the byte that is not UTF-8.
    const walked = checkJson(['.'], dir);
    expect(walked.stderr).toBe('');
    expect(findingKeys(walked.report, 'caf\uFFFD.py')).toEqual(RACY_FINDINGS);
    expect(walked.code).toBe(1);
    // The shell passes the raw bytes on the command line.
    const named = spawnSync(
      '/bin/sh',
      ['-c', `exec "$@" "$(printf 'caf\\351.py')"`, 'sh', process.execPath, BIN, 'check', '--format', 'json'],
      { cwd: dir, encoding: 'utf8', timeout: 60_000 },
    );
    expect(named.stderr).toBe('');
    expect(findingKeys(JSON.parse(named.stdout), 'caf\uFFFD.py')).toEqual(RACY_FINDINGS);
    expect(named.status).toBe(1);
  });

  it('skips devices and FIFOs, named or met in a folder, without reading them', (ctx) => {
    if (process.platform === 'win32') ctx.skip();
    const dir = project({ 'plain.py': PLAIN, 'sub/plain.py': PLAIN });
    if (!makeFifo(path.join(dir, 'sub', 'pipe.py'))) ctx.skip();
    fs.symlinkSync('/dev/zero', path.join(dir, 'sub', 'zero.py'));
    // Before the fix, /dev/zero was read until memory ran out and the FIFO blocked for ever.
    const named = gilLens(['check', '--format', 'json', '/dev/zero', 'sub/pipe.py', 'plain.py'], dir, {}, 10_000);
    expect(named.stderr).toBe(
      'gil-lens: /dev/zero: not a regular file (a character device), skipped\n' +
        'gil-lens: sub/pipe.py: not a regular file (a FIFO), skipped\n',
    );
    expect((JSON.parse(named.stdout) as JsonReportShape).files.map((f) => [f.path, f.error === undefined])).toEqual([
      ['/dev/zero', false],
      ['sub/pipe.py', false],
      ['plain.py', true],
    ]);
    expect(named.code).toBe(0);

    const walked = gilLens(['check', '--format', 'json', 'sub'], dir, {}, 10_000);
    expect(walked.stderr).toBe(
      'gil-lens: sub/pipe.py: not a regular file (a FIFO), skipped\n' +
        'gil-lens: sub/zero.py: symbolic link to a character device, skipped\n',
    );
    expect((JSON.parse(walked.stdout) as JsonReportShape).files.map((f) => f.path)).toEqual([
      'sub/plain.py',
      'sub/pipe.py',
      'sub/zero.py',
    ]);
    expect(walked.code).toBe(0);

    const config = gilLens(['check', '--config', '/dev/zero', 'plain.py'], dir, {}, 10_000);
    expect(config).toMatchObject({ code: 2, stderr: 'gil-lens: cannot read /dev/zero: not a regular file\n' });
  });

  it('says on stderr that dangling and looping links in a folder are skipped', (ctx) => {
    const dir = project({ 'plain.py': PLAIN });
    try {
      fs.symlinkSync('missing.py', path.join(dir, 'dangling.py'));
      fs.symlinkSync('loop.py', path.join(dir, 'loop.py'));
    } catch {
      ctx.skip(); // Windows without the right to make links.
    }
    const { code, stderr, report } = checkJson(['.'], dir);
    expect(stderr).toBe(
      'gil-lens: dangling.py: dangling symbolic link (its target does not exist), skipped\n' +
        'gil-lens: loop.py: symbolic link loop (too many levels of symbolic links), skipped\n',
    );
    expect(report.files.map((f) => [f.path, f.error === undefined])).toEqual([
      ['plain.py', true],
      ['dangling.py', false],
      ['loop.py', false],
    ]);
    expect(code).toBe(0);
  });

  it('warns when a folder holds no Python files', () => {
    const run = gilLens(['check', '.'], project({ 'README.md': '# nothing here\n' }));
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('no Python files found');
  });
});

describe('configuration', () => {
  it('reports unknown keys in pyproject.toml as warnings without failing', () => {
    const dir = project({ 'pyproject.toml': '[tool.gil-lens]\ncolour = "red"\n', 'plain.py': PLAIN });
    const run = gilLens(['check', 'plain.py'], dir);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('gil-lens: pyproject.toml: warning: unknown key "colour" in [tool.gil-lens]\n');
  });

  it('exits 2 when --config names a file that cannot be read', () => {
    const dir = project({ 'plain.py': PLAIN });
    const run = gilLens(['check', '--config', 'nope.toml', 'plain.py'], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^gil-lens: cannot read .*nope\.toml: no such file or directory\n$/);
  });
});

describe('findings (needs the analysis rules)', () => {
  it('reports the racy sample in json with exact lines and its thread target', () => {
    const dir = project({ 'racy.py': RACY });
    const { code, report } = checkJson(['racy.py'], dir);
    expect(findingKeys(report, 'racy.py')).toEqual(RACY_FINDINGS);
    const mutation = report.files[0].findings.find((f) => f.rule === 'shared-mutation');
    expect(mutation).toMatchObject({ line: 9, column: 9 });
    expect(report.files[0].threadTargets).toEqual([
      expect.objectContaining({ name: 'work', line: 6, spawnLine: 12, classification: 'cpu' }),
    ]);
    expect(code).toBe(1);
  });

  it('counts columns in UTF-16 units after non-ASCII text, in json and sarif', () => {
    // é is one UTF-16 unit and 😀 two, so `counter` starts at 1-based column 22 (byte column 25).
    const dir = project({ 'uni.py': RACY.replace('        counter += 1', '        msg = "é😀"; counter += 1') });
    const { report } = checkJson(['uni.py'], dir);
    expect(report.files[0].findings.find((f) => f.rule === 'shared-mutation')).toMatchObject({
      line: 9,
      column: 22,
      endLine: 9,
      endColumn: 34,
    });
    const sarif = JSON.parse(gilLens(['check', '--format', 'sarif', 'uni.py'], dir).stdout);
    const result = sarif.runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'shared-mutation');
    expect(result.locations[0].physicalLocation.region).toEqual({
      startLine: 9,
      startColumn: 22,
      endLine: 9,
      endColumn: 34,
    });
  });

  it('prints Ruff-like text lines, the targets and a summary', () => {
    const dir = project({ 'src/racy.py': RACY });
    const run = gilLens(['check', 'src'], dir);
    const lines = run.stdout.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^src\/racy\.py:9:9: shared-mutation \S/));
    expect(lines).toContainEqual(expect.stringMatching(/^src\/racy\.py:12:\d+: cpu-bound-thread \S/));
    expect(lines).toContainEqual(expect.stringMatching(/^src\/racy\.py:6: target work → cpu/));
    expect(run.stdout).toContain('Found 2 findings in 1 file');
    expect(run.code).toBe(1);
  });

  it('writes SARIF results with relative forward-slash URIs', () => {
    const dir = project({ 'pkg/sub/racy.py': RACY });
    const run = gilLens(['check', '--format', 'sarif', '.'], dir);
    const sarif = JSON.parse(run.stdout);
    const results = sarif.runs[0].results;
    expect(results.map((r: { ruleId: string }) => r.ruleId).sort()).toEqual(['cpu-bound-thread', 'shared-mutation']);
    for (const result of results) {
      expect(sarif.runs[0].tool.driver.rules[result.ruleIndex].id).toBe(result.ruleId);
      expect(result.level).toBe('warning');
      expect(result.message.text.length).toBeGreaterThan(0);
      expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe('pkg/sub/racy.py');
      const expectedLine = result.ruleId === 'shared-mutation' ? 9 : 12;
      expect(result.locations[0].physicalLocation.region.startLine).toBe(expectedLine);
    }
    expect(run.code).toBe(1);
  });

  it('exits 0 when every finding is below warning level', () => {
    const dir = project({
      'pyproject.toml': '[tool.gil-lens]\nrules = { shared-mutation = "info", cpu-bound-thread = "hint" }\n',
      'racy.py': RACY,
    });
    const { code, report } = checkJson(['racy.py'], dir);
    expect(report.files[0].findings.map((f) => `${f.line}:${f.rule}:${f.severity}`).sort()).toEqual([
      '12:cpu-bound-thread:hint',
      '9:shared-mutation:info',
    ]);
    expect(code).toBe(0);
  });

  it('still finds problems in the intact parts of a file with syntax errors', () => {
    const broken = `${RACY}\n\ndef broken(:\n    return [1, 2\n`;
    const dir = project({ 'broken.py': broken });
    const { code, report } = checkJson(['broken.py'], dir);
    expect(findingKeys(report, 'broken.py')).toContain('9:shared-mutation');
    expect(code).toBe(1);
  });

  it('checks the other files when one is binary', () => {
    const dir = project({ 'blob.py': new Uint8Array([0, 1, 2]), 'racy.py': RACY });
    const { code, report } = checkJson(['.'], dir);
    expect(findingKeys(report, 'racy.py')).toEqual(RACY_FINDINGS);
    expect(code).toBe(1);
  });

  it('keeps every rule on when select has the wrong type', () => {
    const dir = project({ 'pyproject.toml': '[tool.gil-lens]\nselect = "shared-mutation"\n', 'racy.py': RACY });
    const { code, stderr, report } = checkJson(['racy.py'], dir);
    expect(findingKeys(report, 'racy.py')).toEqual(RACY_FINDINGS);
    expect(code).toBe(1);
    expect(stderr).toContain('"select" must be a list of strings');
    expect(stderr).toContain('every rule runs');
  });

  it('turns a rule off through the nearest pyproject.toml', () => {
    const dir = project({
      'pyproject.toml': '[tool.gil-lens]\nrules = { shared-mutation = "off" }\n',
      'app/pyproject.toml': '[project]\nname = "app"\n',
      'app/racy.py': RACY,
    });
    const { report } = checkJson(['app'], dir);
    expect(findingKeys(report, 'app/racy.py')).toEqual(['12:cpu-bound-thread']);
  });

  it('uses --config instead of discovery', () => {
    const dir = project({
      'pyproject.toml': '[tool.gil-lens]\nrules = { shared-mutation = "off" }\n',
      'ci/gil-lens.toml': '[tool.gil-lens]\nignore = ["cpu-bound-thread"]\n',
      'racy.py': RACY,
    });
    const { report } = checkJson(['--config', 'ci/gil-lens.toml', 'racy.py'], dir);
    expect(findingKeys(report, 'racy.py')).toEqual(['9:shared-mutation']);
  });
});

describe('input found by fuzzing (issue 13)', () => {
  it('skips a file nested too deep for the parser and checks the others (defect 1)', () => {
    const dir = project({ 'a_deep.py': deepFString(), 'b_racy.py': RACY, 'c_plain.py': PLAIN });
    const { code, stderr, report } = checkJson(['.'], dir);
    expect(stderr).toMatch(/^gil-lens: a_deep\.py: a string on line 257 is nested 256 blocks deep.*, skipped\n$/);
    expect(report.files.map((f) => [f.path, f.error === undefined])).toEqual([
      ['a_deep.py', false],
      ['b_racy.py', true],
      ['c_plain.py', true],
    ]);
    expect(findingKeys(report, 'b_racy.py')).toEqual(RACY_FINDINGS);
    expect(code).toBe(1);
  });

  it('keeps the findings of a thread target nested deeper than the parser saves (defect 3)', () => {
    const dir = project({ 'deep.py': deepTarget(520) });
    const { code, report } = checkJson(['deep.py'], dir);
    expect(findingKeys(report, 'deep.py')).toContain('8:shared-mutation');
    expect(report.files[0].threadTargets.map((t) => t.name)).toEqual(['work']);
    expect(code).toBe(1);
  });

  it('reads lone carriage returns as line breaks (defect 7)', () => {
    const pool = [
      'from concurrent.futures import ProcessPoolExecutor',
      '',
      '',
      'def square(x):',
      '    return x * x',
      '',
      '',
      'if __name__ == "__main__":',
      '    with ProcessPoolExecutor() as pool:',
      '        print(list(pool.map(square, range(4))))',
      '',
    ].join('\n');
    const dir = project({ 'pool.py': macLineBreaks(pool), 'racy.py': macLineBreaks(RACY), 'unix.py': RACY });
    const { code, report } = checkJson(['.'], dir);
    // The pool is created under the __main__ guard, which a one-line reading of the file did not see.
    expect(findingKeys(report, 'pool.py')).toEqual([]);
    const [racy, unix] = ['racy.py', 'unix.py'].map((name) => report.files.find((f) => f.path === name));
    expect(racy?.findings).toEqual(unix?.findings);
    expect(findingKeys(report, 'racy.py')).toEqual(RACY_FINDINGS);
    expect(code).toBe(1);
  });
});
