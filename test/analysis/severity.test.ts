/**
 * Severities the evidence decides, beyond the (line, rule) pairs of the fixture runner: a blocking call in
 * a one-shot entry coroutine (or a test coroutine) before it schedules anything is `info`, and the configuration keeps it so
 * unless it asks for something milder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Config, defaultConfig } from '../../server/src/analysis/types';
import { checkSources, initSyntax, type Syntax } from '../../server/src/engine';

const FILE = path.join(__dirname, '../fixtures/async/entry_coroutine.py');
let syntax: Syntax;
beforeAll(async () => {
  syntax = await initSyntax();
});

function severities(config: Config, file = FILE): string[] {
  const [report] = checkSources(syntax, [{ path: file, text: fs.readFileSync(file, 'utf8') }], config);
  return report.findings.map((f) => `${f.span.line + 1} ${f.severity}`);
}

describe('evidence-decided severity', () => {
  it('makes a blocking call before the entry coroutine schedules anything info, and one after a warning', () => {
    expect(severities(defaultConfig())).toEqual(['13 info', '16 warning']);
  });

  it('treats a test coroutine as an entry coroutine, unless the module awaits it from another', () => {
    const file = path.join(__dirname, '../fixtures/async/tests/test_entry_coroutines.py');
    expect(severities(defaultConfig(), file)).toEqual(['19 info', '23 warning', '28 warning', '40 info']);
  });

  it('keeps info under a stricter configured severity, and follows a milder one', () => {
    const strict = defaultConfig();
    strict.rules['blocking-in-async'] = 'error';
    expect(severities(strict)).toEqual(['13 info', '16 error']);
    const mild = defaultConfig();
    mild.rules['blocking-in-async'] = 'hint';
    expect(severities(mild)).toEqual(['13 hint', '16 hint']);
  });
});
