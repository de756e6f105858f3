/**
 * Unit tests of the pure pieces under the protocol: the suppression comment,
 * settings normalisation, and incremental reparsing (tree edits built from
 * LSP changes must give the same tree as a fresh parse, non-ASCII included).
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { defaultConfig } from '../../server/src/analysis/types';
import { adaptiveDelay } from '../../server/src/lsp/diagnostics';
import { syntaxEdit } from '../../server/src/lsp/positions';
import { effectiveConfig, normalizeSettings } from '../../server/src/lsp/settings';
import { suppressionEdit } from '../../server/src/lsp/suppress';
import { DEFAULT_SETTINGS } from '../../server/src/protocol';
import { TreeCache } from '../../server/src/syntax/documents';
import { initSyntax, parse, type Syntax } from '../../server/src/syntax/parser';
import { applyEdits } from './lspClient';
import { UNICODE_SAMPLE } from './samples';

describe('adaptiveDelay (no configured diagnostics delay)', () => {
  it('publishes at once while analyses are fast and edits come slower than they run', () => {
    expect(adaptiveDelay(0, Number.POSITIVE_INFINITY)).toBe(0);
    expect(adaptiveDelay(12, 80)).toBe(0);
  });
  it('waits about one analysis when typing outpaces the analysis or the analysis is slow', () => {
    expect(adaptiveDelay(25, 10)).toBe(25);
    expect(adaptiveDelay(90, 1000)).toBe(90);
  });
  it('never waits longer than the cap', () => {
    expect(adaptiveDelay(5000, 0)).toBe(200);
  });
});

describe('suppressionEdit', () => {
  const apply = (line: string, rule: string) => {
    const edit = suppressionEdit(line, 0, rule);
    if (!edit) return undefined;
    const range = {
      start: { line: 0, character: edit.span.col },
      end: { line: 0, character: edit.span.endCol },
    };
    return applyEdits(line, [{ range, newText: edit.newText }]);
  };

  it('appends a trailing comment, dropping trailing spaces', () => {
    expect(apply('    x += 1   ', 'shared-mutation')).toBe('    x += 1  # gil-lens: ignore[shared-mutation]');
  });

  it('merges into an existing gil-lens ignore list', () => {
    expect(apply('x += 1  # gil-lens: ignore[cpu-bound-thread]  # note', 'shared-mutation')).toBe(
      'x += 1  # gil-lens: ignore[cpu-bound-thread, shared-mutation]  # note',
    );
  });

  it('adds nothing when the rule is already ignored or the line continues', () => {
    expect(apply('x += 1  # gil-lens: ignore[shared-mutation]', 'shared-mutation')).toBeUndefined();
    expect(apply('x += 1  # gil-lens: ignore', 'shared-mutation')).toBeUndefined();
    expect(apply('x = 1 + \\', 'shared-mutation')).toBeUndefined();
  });

  it('treats a file-level ignore comment as an ordinary comment', () => {
    expect(apply('x += 1  # gil-lens: ignore-file[cpu-bound-thread]', 'shared-mutation')).toBe(
      'x += 1  # gil-lens: ignore-file[cpu-bound-thread]  # gil-lens: ignore[shared-mutation]',
    );
  });

  it('keeps an existing ordinary comment', () => {
    expect(apply('x += 1  # why', 'shared-mutation')).toBe('x += 1  # why  # gil-lens: ignore[shared-mutation]');
  });
});

describe('settings', () => {
  it('falls back to defaults for wrong types and unknown values', () => {
    const s = normalizeSettings({
      enable: 'yes',
      maxFileSize: -1,
      rules: { 'shared-mutation': 'loud', 'cpu-bound-thread': 'off' },
      codeLens: { enable: false },
    });
    expect(s.enable).toBe(true);
    expect(s.maxFileSize).toBe(DEFAULT_SETTINGS.maxFileSize);
    expect(s.rules['shared-mutation']).toBe('default');
    expect(s.rules['cpu-bound-thread']).toBe('off');
    expect(s.codeLens.enable).toBe(false);
    for (const bad of [-1, 1.5, 'many', Number.NaN]) {
      expect(normalizeSettings({ maxIndexedFiles: bad }).maxIndexedFiles).toBe(DEFAULT_SETTINGS.maxIndexedFiles);
    }
    expect(normalizeSettings({ maxIndexedFiles: 0 }).maxIndexedFiles).toBe(0);
  });

  it('reads the section whether or not it is nested under gil-lens', () => {
    expect(normalizeSettings({ 'gil-lens': { enable: false } }).enable).toBe(false);
    expect(normalizeSettings(undefined)).toEqual(DEFAULT_SETTINGS);
  });

  it('lets editor severities override the project, except "default"', () => {
    const project = defaultConfig();
    project.rules['shared-mutation'] = 'off';
    const settings = normalizeSettings({ rules: { 'cpu-bound-thread': 'error' } });
    const config = effectiveConfig(project, settings);
    expect(config.rules['shared-mutation']).toBe('off');
    expect(config.rules['cpu-bound-thread']).toBe('error');
  });
});

describe('incremental reparse', () => {
  let syntax: Syntax;
  beforeAll(async () => {
    syntax = await initSyntax();
  });

  it('matches a fresh parse after random edits, with non-ASCII text', () => {
    const cache = new TreeCache(syntax, 4);
    let doc = TextDocument.create('file:///u.py', 'python', 1, UNICODE_SAMPLE);
    cache.tree('u', doc.getText());
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const inserts = ['x', 'é', '😀', '\n', '    ', 'counter += 1\n', ''];
    for (let i = 0; i < 60; i++) {
      const text = doc.getText();
      const start = random(text.length);
      const end = Math.min(text.length, start + random(4));
      // Never split a surrogate pair: editors do not either.
      if (/[\uDC00-\uDFFF]/.test(text[start] ?? '') || /[\uDC00-\uDFFF]/.test(text[end] ?? '')) continue;
      const range = { start: doc.positionAt(start), end: doc.positionAt(end) };
      const insert = inserts[random(inserts.length)];
      cache.edit('u', syntaxEdit(doc, range, insert));
      doc = TextDocument.update(doc, [{ range, text: insert }], i + 2);
      const incremental = cache.tree('u', doc.getText()).rootNode.toString();
      const fresh = parse(syntax, doc.getText());
      expect(incremental).toBe(fresh.rootNode.toString());
      fresh.delete();
    }
    expect(cache.stats.incremental).toBeGreaterThan(40);
    expect(cache.stats.full).toBe(1);
    cache.clear();
  });

  it('frees evicted trees and reparses them from scratch', () => {
    const cache = new TreeCache(syntax, 2);
    for (const key of ['a', 'b', 'c']) cache.tree(key, 'x = 1\n');
    expect(cache.size).toBe(2);
    expect(cache.stats.evicted).toBe(1);
    cache.edit('a', {
      startIndex: 0,
      oldEndIndex: 0,
      newEndIndex: 1,
      startPosition: { row: 0, column: 0 },
      oldEndPosition: { row: 0, column: 0 },
      newEndPosition: { row: 0, column: 1 },
    });
    cache.tree('a', 'yx = 1\n');
    expect(cache.stats.full).toBe(4);
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
