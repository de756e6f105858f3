/**
 * Packed lines give back exactly the lines they packed (non-ASCII text,
 * astral characters, empty and blank lines, a `\r` left inside a line), and a
 * model holding them packed unpacks them only when `lines` is read, then keeps
 * a plain field that reads, writes, spreads and serialises like any other.
 */
import { describe, expect, it } from 'vitest';
import { packLines, readLinesOnDemand, takeLines, unpackLines } from '../../server/src/files/packedLines';
import type { ModuleModel } from '../../server/src/model/types';

const LINES = ['# -*- coding: utf-8 -*-', 'naïve = "日本語 🐍"', '', '    ', 'x = 1\r', '\ttab', '😀'.repeat(40), ''];

function model(lines: string[]): ModuleModel {
  return {
    path: 'm.py',
    moduleName: 'm',
    lines,
    directiveLines: [],
    scopes: [],
    regions: [],
    calls: [],
    writes: [],
    decls: [],
    imports: [],
    flows: [],
    hasErrors: false,
  };
}

describe('packed lines', () => {
  it('give back the lines they packed, and take less room than a large source', () => {
    expect(unpackLines(packLines(LINES))).toEqual(LINES);
    expect(unpackLines(packLines(['']))).toEqual(['']);
    const big = Array.from({ length: 2_000 }, (_, i) => `    total += compute(item_${i % 50}, factor=${i % 7})`);
    const packed = packLines(big);
    expect(packed.byteLength).toBeLessThan(big.join('\n').length / 4);
    // A buffer of its own: a view into zlib's chunk would keep, and post, the whole chunk.
    expect(packed.buffer.byteLength).toBe(packed.byteLength);
  });

  it('are taken from a model, leaving an empty list, and given back on first read only', () => {
    const taken = model([...LINES]);
    const packed = takeLines(taken);
    expect(taken.lines).toEqual([]);
    expect(Object.keys(taken)).toEqual(Object.keys(model(LINES)));
    const m = readLinesOnDemand(taken, () => unpackLines(packed));
    expect(typeof Object.getOwnPropertyDescriptor(m, 'lines')?.get).toBe('function');
    expect(m.lines).toEqual(LINES);
    const held = Object.getOwnPropertyDescriptor(m, 'lines');
    expect(held?.get).toBeUndefined();
    expect(held?.value).toBe(m.lines);
    expect({ ...m }).toEqual(model(LINES));
    expect(JSON.parse(JSON.stringify(m))).toEqual(model(LINES));
  });

  it('serialise like plain lines before any read, and yield to a write', () => {
    expect(JSON.stringify(readLinesOnDemand(model([]), () => unpackLines(packLines(LINES))))).toBe(
      JSON.stringify(model(LINES)),
    );
    const m = readLinesOnDemand(model([]), () => unpackLines(packLines(LINES)));
    m.lines = ['replaced'];
    expect(m.lines).toEqual(['replaced']);
    expect(Object.getOwnPropertyDescriptor(m, 'lines')?.get).toBeUndefined();
  });
});
