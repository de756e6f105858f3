/**
 * Unit tests of the pure pyproject.toml reader: every key, and the promise that
 * anything unknown or malformed becomes a warning rather than an exception.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../server/src/analysis/types';
import { configFromPyproject } from '../../server/src/config/configFromPyproject';

const read = (body: string) => configFromPyproject(`[project]\nname = "demo"\n\n[tool.gil-lens]\n${body}\n`);

describe('configFromPyproject', () => {
  it('gives the defaults for a pyproject.toml without a gil-lens table', () => {
    expect(configFromPyproject('[project]\nname = "demo"\n[tool.ruff]\nline-length = 100\n')).toEqual({
      config: defaultConfig(),
      warnings: [],
    });
  });

  it('sets per-rule severities and turns rules off', () => {
    const { config, warnings } = read('rules = { shared-mutation = "error", cpu-bound-thread = "off" }');
    expect(warnings).toEqual([]);
    expect(config.rules['shared-mutation']).toBe('error');
    expect(config.rules['cpu-bound-thread']).toBe('off');
    expect(config.rules['blocking-in-async']).toBe(defaultConfig().rules['blocking-in-async']);
  });

  it('accepts a [tool.gil-lens.rules] sub-table', () => {
    const { config } = configFromPyproject('[tool.gil-lens.rules]\nblocking-in-async = "hint"\n');
    expect(config.rules['blocking-in-async']).toBe('hint');
  });

  it('keeps only selected rules and drops ignored ones', () => {
    const selected = read('select = ["shared-mutation", "process-pool-hazard"]').config.rules;
    expect(selected['cpu-bound-thread']).toBe('off');
    expect(selected['blocking-in-async']).toBe('off');
    expect(selected['shared-mutation']).toBe('warning');
    expect(selected['process-pool-hazard']).toBe('error');

    const ignored = read('ignore = ["cpu-bound-thread"]').config.rules;
    expect(ignored['cpu-bound-thread']).toBe('off');
    expect(ignored['shared-mutation']).toBe('warning');
  });

  it('lets ignore win over select and rules', () => {
    const { config } = read(
      'select = ["shared-mutation"]\nignore = ["shared-mutation"]\nrules = { shared-mutation = "error" }',
    );
    expect(config.rules['shared-mutation']).toBe('off');
  });

  it('reads the extra name lists and assume-threads', () => {
    const { config, warnings } = read(
      'extra-io = ["mylib.fetch"]\nextra-native = ["fastmath.dot"]\nextra-locks = ["mylib.SpinLock"]\nassume-threads = "always"',
    );
    expect(warnings).toEqual([]);
    expect(config.extraIo).toEqual(['mylib.fetch']);
    expect(config.extraNative).toEqual(['fastmath.dot']);
    expect(config.extraLocks).toEqual(['mylib.SpinLock']);
    expect(config.assumeThreads).toBe('always');
  });

  it('warns about unknown keys, rules and severities and keeps the defaults', () => {
    const { config, warnings } = read(
      'colour = true\nextra_io = ["x"]\nrules = { no-such-rule = "error", shared-mutation = "loud" }\nignore = ["nope"]',
    );
    expect(warnings).toHaveLength(5);
    expect(warnings).toContainEqual(expect.stringContaining('unknown key "colour"'));
    expect(warnings).toContainEqual(expect.stringContaining('did you mean "extra-io"'));
    expect(warnings).toContainEqual(expect.stringContaining('unknown rule "no-such-rule"'));
    expect(warnings).toContainEqual(expect.stringContaining('unknown severity "loud"'));
    expect(warnings).toContainEqual(expect.stringContaining('unknown rule "nope" in "ignore"'));
    expect(config.rules['shared-mutation']).toBe('warning');
    expect(config.extraIo).toEqual([]);
  });

  it('warns about values of the wrong type', () => {
    const { config, warnings } = read(
      'extra-io = "mylib.fetch"\nextra-locks = ["a", 3]\nassume-threads = "sometimes"\nrules = 1',
    );
    expect(warnings).toHaveLength(4);
    expect(config.extraIo).toEqual([]);
    expect(config.extraLocks).toEqual(['a']);
    expect(config.assumeThreads).toBe('auto');
  });

  it('never switches rules off on a value of the wrong type', () => {
    // The bug: select = "shared-mutation" (a string, not a list) turned every rule off.
    const wrong: Record<string, string[]> = {
      rules: ['"error"', '1', 'true', '["shared-mutation"]', '1979-05-27'],
      select: [
        '"shared-mutation"',
        '1',
        'true',
        '{ shared-mutation = true }',
        '1979-05-27',
        '[1, 2]',
        '[]',
        '["nope"]',
      ],
      ignore: ['"shared-mutation"', '1', 'true', '{ shared-mutation = true }', '1979-05-27', '[1, 2]'],
      'extra-io': ['"mylib.fetch"', '1', 'true', '{ a = "b" }', '1979-05-27', '[1, 2]'],
      'extra-native': ['"fastmath.dot"', '1', 'true', '{ a = "b" }'],
      'extra-locks': ['"mylib.SpinLock"', '1', 'true', '{ a = "b" }'],
      'assume-threads': ['1', 'true', '["always"]', '{ a = "b" }', '1979-05-27', '"sometimes"'],
    };
    for (const [key, values] of Object.entries(wrong)) {
      for (const value of values) {
        const { config, warnings } = read(`${key} = ${value}`);
        expect(config, `${key} = ${value}`).toEqual(defaultConfig());
        expect(warnings.length, `${key} = ${value}`).toBeGreaterThan(0);
      }
    }
    expect(read('select = "shared-mutation"').warnings).toContainEqual(
      expect.stringContaining('"select" names no known rule, so it is ignored and every rule runs'),
    );
  });

  it('turns invalid TOML into a warning', () => {
    const { config, warnings } = configFromPyproject('[tool.gil-lens\nrules = {');
    expect(config).toEqual(defaultConfig());
    expect(warnings).toEqual([expect.stringContaining('invalid TOML')]);
  });

  it('warns when tool.gil-lens is not a table', () => {
    const { config, warnings } = configFromPyproject('[tool]\ngil-lens = "on"\n');
    expect(config).toEqual(defaultConfig());
    expect(warnings).toEqual([expect.stringContaining('must be a table')]);
  });
});
