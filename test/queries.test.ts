/**
 * Every `.scm` query compiles against the shipped grammar, on its own and as
 * the joined model query, and every capture name is one the model reads.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileQuery, initSyntax, type Syntax } from '../server/src/syntax/parser';

const DIR = path.join(__dirname, '../server/src/syntax/queries');
const KNOWN_PREFIXES = ['scope.', 'region.', 'call', 'write.', 'flow.', 'decl.', 'import.', 'mark.'];

let syntax: Syntax;
beforeAll(async () => {
  syntax = await initSyntax();
});

describe('queries', () => {
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.scm'));
  it('finds the query files', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });
  for (const file of files) {
    it(`${file} compiles and uses known capture names`, () => {
      const query = compileQuery(syntax, fs.readFileSync(path.join(DIR, file), 'utf8'));
      expect(query.captureNames.length).toBeGreaterThan(0);
      for (const name of query.captureNames) expect(KNOWN_PREFIXES.some((p) => name.startsWith(p))).toBe(true);
      query.delete();
    });
  }
  it('the joined model query holds every pattern', () => {
    const total = files.reduce(
      (n, f) => n + compileQuery(syntax, fs.readFileSync(path.join(DIR, f), 'utf8')).patternCount(),
      0,
    );
    expect(syntax.modelQuery.patternCount()).toBe(total);
  });
});
