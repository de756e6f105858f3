/**
 * shareStrings keeps one copy of each short string across models without
 * changing any value: a model after the walk equals a fresh copy of itself,
 * the table ends with each distinct short string once, long strings stay out
 * of it, and an object held in two places keeps its strings shared.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractModel } from '../../server/src/model/extract';
import { type StringTable, shareStrings } from '../../server/src/model/shareStrings';
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

describe('shareStrings', () => {
  it('leaves every model value as it was', () => {
    const text = fs.readFileSync(FIXTURE, 'utf8');
    const table: StringTable = new Map();
    const first = model(text, 'a.py');
    const second = model(text, 'b.py');
    const expected = [structuredClone(first), structuredClone(second)];
    expect([shareStrings(first, table), shareStrings(second, table)]).toEqual(expected);
  });

  it('keeps each distinct short string once, across models, and no long one', () => {
    const text = fs.readFileSync(FIXTURE, 'utf8');
    const table: StringTable = new Map();
    const all = [model(text, 'a.py'), model(text, 'b.py')].flatMap((m) => strings(shareStrings(m, table)));
    const short = new Set(all.filter((s) => s.length <= 64));
    expect(new Set(table.keys())).toEqual(short);
    // Two copies of one file: every short string is seen at least twice, yet stored once.
    expect(all.filter((s) => s.length <= 64).length).toBeGreaterThanOrEqual(2 * short.size);
    expect([...table.keys()].some((s) => s.length > 64)).toBe(false);
    expect(all.some((s) => s.length > 64)).toBe(true);
  });

  it('shares the strings of an object held in two places', () => {
    const span = { name: 'self' };
    const held = { items: [span, span, 'identifier'], other: { name: 'self' } };
    const table: StringTable = new Map();
    expect(shareStrings(held, table)).toBe(held);
    expect([...table.keys()].sort()).toEqual(['identifier', 'self']);
  });
});
