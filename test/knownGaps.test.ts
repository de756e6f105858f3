/**
 * The known gaps run too: each file in test/known-gaps is annotated with what a correct analyser reports,
 * and the engine must still differ from it somewhere. When a change closes a gap this test fails, so the
 * file can move to test/fixtures (where it then guards the fix) and its row leave known-gaps/README.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../server/src/analysis/types';
import { checkSources, initSyntax, type Syntax } from '../server/src/engine';
import { actual, expectations } from './expectations';
import { pyFiles } from './pyFiles';

const GAPS = path.join(__dirname, 'known-gaps');
let syntax: Syntax;
beforeAll(async () => {
  syntax = await initSyntax();
});

describe('known gaps', () => {
  for (const file of pyFiles(GAPS)) {
    it(`${path.basename(file)} is still a gap (move it to the fixtures once this fails)`, () => {
      const text = fs.readFileSync(file, 'utf8');
      const [report] = checkSources(syntax, [{ path: file, text }], defaultConfig());
      expect(actual(report)).not.toEqual(expectations(text));
    });
  }
});
