/**
 * Origins of attributes bound by tuple assignments: each element is read as a binding of its own, and the
 * qualified callee of one element is never another element's (they share their statement's id).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { selfAttrBindings, valueCalleeOf } from '../../server/src/analysis/origins';
import { indexProject } from '../../server/src/analysis/resolve';
import { initSyntax, modelOf, type Syntax } from '../../server/src/engine';

let syntax: Syntax;
beforeAll(async () => {
  syntax = await initSyntax();
});

const SOURCE = `import collections
import threading


class Table:
    def __init__(self, size):
        self.rows, self.index, self.lock, self.size = collections.defaultdict(list), {}, threading.Lock(), size
`;

describe('tuple-bound attributes', () => {
  it('gives each element its own binding and its own qualified callee', () => {
    const project = indexProject([modelOf(syntax, { path: 'table.py', text: SOURCE })]);
    const mod = project.modules[0];
    const cls = mod.classes.get('Table')![0];
    const one = (attr: string) => {
      const writes = selfAttrBindings(mod, cls, attr);
      expect(writes).toHaveLength(1);
      return writes[0];
    };
    // Asked in this order, a cache keyed by the statement would hand the first answer to the others.
    expect(valueCalleeOf(mod, one('self.rows'))).toBe('collections.defaultdict');
    expect(valueCalleeOf(mod, one('self.index'))).toBeUndefined();
    expect(valueCalleeOf(mod, one('self.lock'))).toBe('threading.Lock');
    expect(one('self.size').value).toBe('size');
  });
});
