/**
 * The text readers against the node-only reference on randomly edited
 * fixtures (issue 15, defect 3): a fixed seed and a few thousand inputs, so
 * the run is the same on every machine and takes a few seconds. Any
 * divergence fails the test and prints what rebuilds it: the seed, the input
 * index, the text and the differing fields. Larger runs go through
 * `runDifferential` (differential.ts) from `npm run fuzz` or a shell.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { extractModel } from '../../server/src/model/extract';
import { initSyntax, parse, type Syntax } from '../../server/src/syntax/parser';
import {
  compareOn,
  describeDivergence,
  editedInput,
  fixtureSources,
  inputSeed,
  modelDifferences,
  runDifferential,
} from './differential';

const SEED = 15;
const COUNT = 2500;

let syntax: Syntax;
beforeAll(async () => {
  syntax = await initSyntax();
});

describe('random edits of the fixtures', () => {
  it(`extract like the node-only reference (seed ${SEED}, ${COUNT} inputs)`, () => {
    const result = runDifferential(syntax, { count: COUNT, seed: SEED, maxDivergences: 5 });
    const report = result.divergences.map(describeDivergence).join('\n\n');
    expect(report, `${result.divergences.length} divergences (first ones shown)`).toBe('');
    expect(result.inputs).toBe(COUNT);
    // The readers only run on error-free trees: a run that made almost none would test nothing.
    expect(result.clean).toBeGreaterThan(COUNT / 5);
  });

  it('rebuilds any one input from the seed and its index alone', () => {
    const sources = fixtureSources();
    expect(editedInput(sources, SEED, 1234)).toEqual(editedInput(sources, SEED, 1234));
    expect(editedInput(sources, SEED, 1234)).not.toEqual(editedInput(sources, SEED, 1235));
    expect(inputSeed(1, 0)).not.toBe(inputSeed(2, 0));
  });

  it('reports a difference as the field that differs', () => {
    // The comparison must be able to fail: a model against a copy with one field changed.
    const text = 'f([i * 0.5 for i in y])\n';
    expect(compareOn(syntax, text)).toEqual([]);
    const tree = parse(syntax, text);
    try {
      const model = extractModel(syntax, tree, text, 'input.py');
      const changed = structuredClone(model);
      changed.calls[0].args[0].kind = 'list';
      expect(modelDifferences(changed, model)).toEqual([
        'model.calls[0].args[0].kind: "list" (reference "list_comprehension")',
      ]);
    } finally {
      tree.delete();
    }
  });
});
