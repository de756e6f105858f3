/**
 * The fuzzer's own parts (perf/fuzz/): a seed names the same
 * inputs every time, shrinking keeps the failure while it removes what the
 * failure does not need, the in-process check tells a refusal from a crash
 * and catches a report that points outside its text, and the RSS verdict
 * compares the first sample after warm-up with the last. The fuzz runs
 * themselves are `npm run fuzz` and a CI section, not tests.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { rssGrowth } from '../../perf/fuzz/editMode';
import { assertInside, checkInput, InvariantError } from '../../perf/fuzz/engineCheck';
import { mutateSource } from '../../perf/fuzz/mutate';
import { inputSeed, mulberry32 } from '../../perf/fuzz/random';
import { lineUnits, shrink } from '../../perf/fuzz/shrink';
import type { FileReport } from '../../server/src/analysis/types';
import { initSyntax, type Syntax } from '../../server/src/engine';
import { deepFString } from '../model/hostileText';

let syntax: Syntax;
beforeAll(async () => {
  syntax = await initSyntax();
});

const BASE = 'import threading\n\ncounter = 0\n\ndef work():\n    global counter\n    counter += 1\n';

describe('seeded inputs', () => {
  it('mulberry32 gives the same numbers for the same seed and others for another', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, mulberry32(seed).next);
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(7).every((x) => x >= 0 && x < 1)).toBe(true);
  });
  it('input i of a seed is the same bytes however often it is built, and inputs differ', () => {
    const build = (i: number) => mutateSource(mulberry32(inputSeed(3, i)), BASE, [BASE]);
    expect(build(41).equals(build(41))).toBe(true);
    const distinct = new Set(Array.from({ length: 50 }, (_, i) => build(i).toString('latin1')));
    expect(distinct.size).toBeGreaterThan(40);
  });
});

describe('shrinking', () => {
  it('keeps only the lines the failure needs, line breaks included', async () => {
    const input = Buffer.from('a = 1\r\nb = 2\nboom\rc = 3\nd = 4\nbang\ne = 5\n');
    const fails = async (b: Buffer) => b.includes('boom') && b.includes('bang');
    const small = await shrink(input, fails, { attempts: 10_000, deadline: Date.now() + 10_000 });
    expect(await fails(small)).toBe(true);
    expect(small.toString()).toBe('boombang');
  });
  it('returns a failing input when the budget runs out', async () => {
    const input = Buffer.from(`${'x\n'.repeat(100)}boom\n`);
    const fails = async (b: Buffer) => b.includes('boom');
    const small = await shrink(input, fails, { attempts: 3, deadline: Date.now() + 10_000 });
    expect(await fails(small)).toBe(true);
    expect(small.length).toBeLessThan(input.length);
  });
  it('splits lines after each \\n only', () => {
    expect(lineUnits(Buffer.from('a\r\nb\rc\nd')).map(String)).toEqual(['a\r\n', 'b\rc\n', 'd']);
  });
});

describe('the in-process check', () => {
  it('answers a refusal for text the reader or the parser will not take', () => {
    expect(checkInput(syntax, Buffer.from([0x78, 0x20, 0x3d, 0x20, 0xff, 0x0a])).skipped).toMatch(/UTF-8/);
    expect(checkInput(syntax, Buffer.from(deepFString())).skipped).toMatch(/nested/);
    expect(checkInput(syntax, Buffer.from(BASE))).toEqual({ skipped: undefined, findings: expect.any(Number) });
  });
  it('throws when a finding or a fix points past the end of a line or the file', () => {
    const span = { line: 1, col: 0, endLine: 1, endCol: 4 };
    const report = (s: typeof span): FileReport => ({
      path: 'x.py',
      findings: [
        {
          rule: 'shared-mutation',
          severity: 'warning',
          span,
          message: 'm',
          fixes: [{ title: 't', edits: [{ span: s, newText: '' }] }],
        },
      ],
      threadTargets: [],
      locks: [],
    });
    expect(() => assertInside(report(span), 'a\nbcde')).not.toThrow();
    expect(() => assertInside(report(span), 'a\rbcde')).not.toThrow();
    expect(() => assertInside(report({ line: 2, col: 0, endLine: 2, endCol: 0 }), 'a\nbcde')).toThrow(InvariantError);
    expect(() => assertInside(report(span), 'a\nbcd')).toThrow(InvariantError);
  });
});

describe('the RSS verdict', () => {
  it('compares the first sample after 1,000 edits with the last', () => {
    const series = [
      { edits: 0, mb: 90 },
      { edits: 1000, mb: 150 },
      { edits: 5000, mb: 170 },
      { edits: 10000, mb: 160 },
    ];
    expect(rssGrowth(series)?.percent).toBeCloseTo(6.67, 1);
    expect(rssGrowth(series.slice(0, 2))).toBeUndefined();
  });
});
