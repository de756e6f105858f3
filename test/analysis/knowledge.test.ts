/**
 * One fact, one answer: a call that blocks an event loop (blocking-in-async's table) is a wait when a
 * thread makes it (the classifier's table), so the two rules cannot drift apart.
 */
import { describe, expect, it } from 'vitest';
import { BLOCKING_IN_ASYNC, CALLS } from '../../server/src/analysis/knowledge';
import { lookup } from '../../server/src/analysis/resolve';

describe('knowledge tables agree', () => {
  it('classifies every call blocking-in-async reports as waiting (io)', () => {
    const disagree = [...BLOCKING_IN_ASYNC.keys()].filter((q) => lookup(CALLS, q)?.kind !== 'io');
    expect(disagree).toEqual([]);
  });
});
