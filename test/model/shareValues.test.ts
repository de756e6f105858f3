/**
 * shareValues keeps one copy of each short string and each short list of
 * names and numbers across models without changing any value: a model after
 * the walk equals a fresh copy of itself, the table ends with each distinct
 * short string once, long strings stay out of it, an object held in two places
 * keeps its strings shared, equal lists become one frozen list, and lists that
 * differ (in an item, its type, or how texts split into items) stay apart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractModel } from '../../server/src/model/extract';
import { newShareTable, shareValues } from '../../server/src/model/shareValues';
import type { ModuleModel } from '../../server/src/model/types';
import { initSyntax, parse, type Syntax } from '../../server/src/syntax/parser';

const FIXTURE = path.join(__dirname, '../fixtures/races/objects.py');

let syntax: Syntax;
beforeAll(async () => {
  syntax = await initSyntax();
});

function model(text: string, file: string): ModuleModel {
  const tree = parse(syntax, text);
  try {
    return extractModel(syntax, tree, text, file, path.basename(file, '.py'));
  } finally {
    tree.delete();
  }
}

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, out);
  else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) strings(item, out);
  return out;
}

describe('shareValues', () => {
  it('leaves every model value as it was', () => {
    const text = fs.readFileSync(FIXTURE, 'utf8');
    const table = newShareTable();
    const first = model(text, 'a.py');
    const second = model(text, 'b.py');
    const expected = [structuredClone(first), structuredClone(second)];
    expect([shareValues(first, table), shareValues(second, table)]).toEqual(expected);
  });

  it('keeps each distinct short string once, across models, and no long one', () => {
    const text = fs.readFileSync(FIXTURE, 'utf8');
    const table = newShareTable();
    const all = [model(text, 'a.py'), model(text, 'b.py')].flatMap((m) => strings(shareValues(m, table)));
    const short = new Set(all.filter((s) => s.length <= 64));
    expect(new Set(table.strings.keys())).toEqual(short);
    // Two copies of one file: every short string is seen at least twice, yet stored once.
    expect(all.filter((s) => s.length <= 64).length).toBeGreaterThanOrEqual(2 * short.size);
    expect([...table.strings.keys()].some((s) => s.length > 64)).toBe(false);
    expect(all.some((s) => s.length > 64)).toBe(true);
  });

  it('shares the strings of an object held in two places', () => {
    const span = { name: 'self' };
    const held = { items: [span, span, 'identifier'], other: { name: 'self' } };
    const table = newShareTable();
    expect(shareValues(held, table)).toBe(held);
    expect([...table.strings.keys()].sort()).toEqual(['identifier', 'self']);
  });

  it('makes equal lists of two models one frozen list, and keeps lists of objects apart', () => {
    const text = fs.readFileSync(FIXTURE, 'utf8');
    const table = newShareTable();
    const [a, b] = [model(text, 'a.py'), model(text, 'b.py')].map((m) => shareValues(m, table));
    const nested = a.calls.find((c) => c.regions.length > 0);
    expect(nested).toBeDefined();
    const regions = nested?.regions ?? [];
    expect(b.calls.find((c) => c.id === nested?.id)?.regions).toBe(regions);
    expect(Object.isFrozen(regions)).toBe(true);
    expect(() => regions.push(1)).toThrow(TypeError);
    const empty = a.calls.find((c) => c.args.length === 0);
    expect(empty?.args).toBe(b.scopes[0].decorators);
    // A call's arguments are objects with spans of their own: never shared, even when equal.
    const withArgs = a.calls.find((c) => c.args.length > 0);
    expect(b.calls.find((c) => c.id === withArgs?.id)?.args).not.toBe(withArgs?.args);
  });

  it('keeps apart lists that differ in an item, its type, or where texts split', () => {
    const table = newShareTable();
    const lists = shareValues([[1, 2], [1, 2], ['1', '2'], [12], ['1;n2'], ['a', 'b'], ['ab'], ['a', 'b']], table);
    expect(lists[1]).toBe(lists[0]);
    expect(lists[7]).toBe(lists[5]);
    const distinct = new Set(lists);
    expect(distinct.size).toBe(6);
    expect(lists.map((l) => l.join('|'))).toEqual(['1|2', '1|2', '1|2', '12', '1;n2', 'a|b', 'ab', 'a|b']);
  });

  it('leaves long lists and lists holding long strings unshared', () => {
    const table = newShareTable();
    const long = Array.from({ length: 17 }, (_, i) => i);
    const wordy = ['x'.repeat(65)];
    const [a, b, c, d] = shareValues([long, [...long], wordy, [...wordy]], table);
    expect(b).not.toBe(a);
    expect(d).not.toBe(c);
    expect(Object.isFrozen(a)).toBe(false);
  });
});
