/**
 * The warning `check` gives before it starts on more Python than Node's heap
 * holds (cli/heapNeed.ts): silent when the files fit, and with the setting
 * that avoids V8's out-of-memory stop when they do not, first on stderr.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { heapNeeded, heapWarning } from '../../server/src/cli/heapNeed';
import { gilLens, project, RACY, removeProjects } from './helpers';

afterEach(removeProjects);

const MB = 1024 * 1024;

describe('heapWarning', () => {
  it('is silent while the need fits the limit, and grows with the source', () => {
    expect(heapNeeded(45 * MB)).toBeGreaterThan(400 * MB);
    expect(heapNeeded(2 * MB)).toBeLessThan(heapNeeded(3 * MB));
    expect(heapWarning(700, 11 * MB, 4096 * MB)).toBeUndefined();
    expect(heapWarning(1, 0, heapNeeded(0))).toBeUndefined();
  });

  it('names the files, the need, the limit and a setting above the need, in whole GB', () => {
    const text = heapWarning(20_000, 340 * MB, 2048 * MB);
    expect(text).toBe(
      'warning: these 20,000 files hold 340 MB of Python; checking them needs about 3,440 MB of JavaScript heap, ' +
        'more than this Node allows (2,048 MB). If the check stops with "JavaScript heap out of memory", run it ' +
        'with NODE_OPTIONS=--max-old-space-size=5120.',
    );
  });
});

describe('check under a small heap', () => {
  it('warns first on stderr, before any work', () => {
    const files: Record<string, string> = {};
    // About 3 MB of Python: more than Node's smallest heap (16 MB of old space, 64 MB in all) holds.
    const body = `${RACY}\n${'# padding line for size\n'.repeat(1_250)}`;
    for (let i = 0; i < 100; i++) files[`m${i}.py`] = body;
    const dir = project(files);
    const run = gilLens(['check', '.'], dir, { NODE_OPTIONS: '--max-old-space-size=16' });
    expect(run.stderr.split('\n')[0]).toMatch(
      /^gil-lens: warning: these 100 files hold 3 MB of Python; checking them needs about \d+ MB of JavaScript heap, more than this Node allows \(\d+ MB\)\. If the check stops with "JavaScript heap out of memory", run it with NODE_OPTIONS=--max-old-space-size=1024\.$/,
    );
    const roomy = gilLens(['check', '.'], dir);
    expect(roomy.stderr).not.toContain('JavaScript heap');
    expect(roomy.code).toBe(1);
  });
});
