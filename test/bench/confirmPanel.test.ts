/**
 * The race confirmation panel's HTML (client/src/confirmHtml.ts), without
 * VS Code: the verdict and the example interleaving as a two-lane timeline,
 * every piece of user text escaped, and the CSP that allows nothing but the
 * page's own nonce-tagged style. Pure; it runs no Python.
 */
import { describe, expect, it } from 'vitest';
import { renderConfirmHtml, timeline } from '../../client/src/confirmHtml';
import type { ConfirmResult } from '../../server/src/confirm/types';

const PYTHON = { executable: '/usr/bin/python3', version: '3.11.7', gil_enabled: true, free_threaded_build: false };

function result(over: Partial<ConfirmResult> = {}): ConfirmResult {
  return {
    version: 1,
    verdict: 'confirmed',
    summary: 'Confirmed: lost update seen 812 times.',
    file: '/w/racy.py',
    statement: {
      file: '/w/racy.py',
      line: 10,
      end_line: 10,
      text: 'hits += 1',
      target: 'hits',
      location: 'global',
      reads: true,
      guard_line: null,
      finding: { rule: 'shared-mutation', message: '...' },
    },
    entry: { kind: 'spawner', call: 'main()', why: 'starts the threads that run `record` (line 14)' },
    runs: 1,
    threads: 4,
    python: PYTHON,
    passes: [
      {
        pass: 'forced-switch',
        python: PYTHON,
        forced_switch: true,
        runs: 1,
        executions: 4000,
        contended: 900,
        forced_switches: 4000,
        threads_seen: 4,
      },
    ],
    evidence: [
      {
        kind: 'lost-update',
        line: 10,
        count: 812,
        pass: 'forced-switch',
        example: {
          text: 'thread Thread-2 read hits at version 0 (line 10); ...',
          location: 'hits',
          thread: 'Thread-2 (record)',
          other_thread: 'Thread-1 (record)',
          steps: [
            { thread: 'Thread-2 (record)', action: 'read', version: 0, line: 10 },
            { thread: 'Thread-1 (record)', action: 'write', version: 1, line: 10 },
            { thread: 'Thread-2 (record)', action: 'write', version: 2, line: 10, based_on: 0 },
          ],
        },
      },
    ],
    notes: ['stopped after run 1 of 5: the evidence was in'],
    errors: [],
    ...over,
  };
}

const OPTIONS = { nonce: 'abc123', cspSource: 'vscode-webview://x' };

describe('confirm panel HTML', () => {
  it('shows the verdict, what ran and a timeline with one lane per thread', () => {
    const html = renderConfirmHtml(result(), OPTIONS);
    expect(html).toContain('<p class="verdict" data-verdict="confirmed">Confirmed</p>');
    // The heading says the verdict, so the summary under it does not repeat it.
    expect(html).toContain('<p>Lost update seen 812 times.</p>');
    expect(html).toContain('Ran <code>main()</code>, which starts the threads that run <code>record</code> (line 14).');
    expect(html).toContain('Lost update of <code>hits</code> at line 10: 812×');
    const svg = timeline(result().evidence[0].example.steps ?? []);
    expect(svg.match(/class="lane"/g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg).toContain('read v0');
    expect(svg).toContain('wrote v1');
    // The write based on version 0 after version 1 was written is the lost update.
    expect(svg).toMatch(/class="step write stale".*wrote v2 from v0 ✗/);
    expect(svg.match(/stale/g)).toHaveLength(1);
  });

  it('allows no script and no remote content', () => {
    const html = renderConfirmHtml(result(), OPTIONS);
    expect(html).toContain(`content="default-src 'none'; style-src 'nonce-abc123'; img-src vscode-webview://x data:;"`);
    expect(html).toContain('<style nonce="abc123">');
    expect(html).not.toMatch(/<script|https?:\/\//i);
  });

  it('escapes thread names, statement text, messages and tracebacks', () => {
    const evil = '<img src=x onerror=alert(1)>"\'&';
    const base = result();
    const html = renderConfirmHtml(
      {
        ...base,
        summary: evil,
        statement: base.statement && { ...base.statement, text: evil, target: evil },
        evidence: [
          {
            ...base.evidence[0],
            kind: 'exception',
            example: {
              text: evil,
              exception: evil,
              message: evil,
              steps: [
                { thread: evil, action: 'read', version: 0, line: 3 },
                { thread: `${evil}2`, action: 'write', version: 1, line: 3 },
              ],
            },
          },
        ],
        notes: [evil],
        errors: [`Traceback ${evil}`],
        error: { kind: 'import', message: evil, traceback: evil },
      },
      OPTIONS,
    );
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;');
  });

  it('says what was tried when nothing was observed, and never calls the code safe', () => {
    const html = renderConfirmHtml(
      result({
        verdict: 'not-observed',
        summary: 'Not observed: 5 runs, 20,000 read-write windows with a forced thread switch in each.',
        evidence: [],
      }),
      OPTIONS,
    );
    expect(html).toContain('data-verdict="not-observed">Not observed</p>');
    expect(html).toContain('<td>4,000</td>');
    expect(html).not.toMatch(/\bsafe\b/i);
  });
});
