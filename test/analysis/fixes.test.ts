/**
 * Structured fixes, applied to the source and compared as exact text: the
 * edits must apply cleanly and keep the user's formatting and comments.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, type Fix } from '../../server/src/analysis/types';
import { checkSources, initSyntax, type Syntax } from '../../server/src/engine';
import type { Span } from '../../server/src/model/types';
import { pyFiles } from '../pyFiles';

const FIXTURES = path.join(__dirname, '../fixtures');

let syntax: Syntax;
beforeAll(async () => {
  syntax = await initSyntax();
});

/** Apply a fix's edits (0-based spans) bottom-up so earlier offsets stay valid. */
function apply(text: string, fix: Fix): string {
  const lines = text.split('\n');
  const offset = (line: number, col: number) => lines.slice(0, line).reduce((n, l) => n + l.length + 1, 0) + col;
  let out = text;
  const edits = [...fix.edits].sort((a, b) => b.span.line - a.span.line || b.span.col - a.span.col);
  for (const e of edits)
    out = out.slice(0, offset(e.span.line, e.span.col)) + e.newText + out.slice(offset(e.span.endLine, e.span.endCol));
  return out;
}

function fixesFor(text: string, rule: string, line: number): Fix[] {
  const [report] = checkSources(syntax, [{ path: 'sample.py', text }], defaultConfig());
  const finding = report.findings.find((f) => f.rule === rule && f.span.line + 1 === line);
  if (!finding)
    throw new Error(
      `no ${rule} on line ${line}: ${JSON.stringify(report.findings.map((f) => [f.rule, f.span.line + 1]))}`,
    );
  return finding.fixes;
}

const LOOP = `import threading


def crunch(n, seed):
    total = 0
    for i in range(n):
        for j in range(seed):
            total += i ^ j
    return total


def main(n):
    threads = [threading.Thread(target=crunch, args=(n, seed)) for seed in range(4)]  # fan out
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("done")
`;

describe('fixes', () => {
  it('rewrites a start/join thread loop with ProcessPoolExecutor', () => {
    const [fix] = fixesFor(LOOP, 'cpu-bound-thread', 13);
    expect(fix.isPreferred).toBe(true);
    expect(apply(LOOP, fix)).toBe(`import threading
from concurrent.futures import ProcessPoolExecutor


def crunch(n, seed):
    total = 0
    for i in range(n):
        for j in range(seed):
            total += i ^ j
    return total


def main(n):
    with ProcessPoolExecutor() as pool:
        futures = [pool.submit(crunch, n, seed) for seed in range(4)]  # fan out
        for future in futures:
            future.result()
    print("done")
`);
  });

  it('offers no rewrite when the thread list is used afterwards', () => {
    const text = LOOP.replace('    print("done")', '    print(len(threads))');
    expect(fixesFor(text, 'cpu-bound-thread', 13)).toEqual([]);
  });

  it('swaps ThreadPoolExecutor for ProcessPoolExecutor, import included', () => {
    const text = `from concurrent.futures import ThreadPoolExecutor


def crunch(n):
    return sum(i * i for i in range(n) for _ in range(3))


def main():
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(crunch, range(8)))
`;
    const [fix] = fixesFor(text, 'cpu-bound-thread', 10);
    expect(apply(text, fix)).toBe(text.replaceAll('ThreadPoolExecutor', 'ProcessPoolExecutor'));
  });

  it('wraps a racy update in a new module-level lock, adding the import', () => {
    const text = `import time
import threading

count = 0


def work():
    global count
    time.sleep(0.1)
    count += 1  # tally


threads = [threading.Thread(target=work) for _ in range(2)]
`;
    const [fix] = fixesFor(text, 'shared-mutation', 10);
    expect(apply(text, fix)).toBe(`import time
import threading
count_lock = threading.Lock()

count = 0


def work():
    global count
    time.sleep(0.1)
    with count_lock:
        count += 1  # tally


threads = [threading.Thread(target=work) for _ in range(2)]
`);
  });

  it('reuses the lock that already guards the state', () => {
    const text = `import threading

lock = threading.Lock()
count = 0


def safe():
    global count
    with lock:
        count += 1


def unsafe():
    global count
    count -= 1


threads = [threading.Thread(target=f) for f in (safe, unsafe) for _ in range(2)]
`;
    const [fix] = fixesFor(text, 'shared-mutation', 15);
    expect(fix.title).toContain('`lock`');
    expect(apply(text, fix)).toContain('    with lock:\n        count -= 1\n');
  });

  it('turns time.sleep into await asyncio.sleep, and wraps other blocking calls in to_thread', () => {
    const text = `import time

import requests


async def poll(url):
    time.sleep(1)
    return requests.get(url, timeout=5).json()
`;
    const sleep = fixesFor(text, 'blocking-in-async', 7)[0];
    expect(apply(text, sleep)).toContain('import requests\nimport asyncio\n');
    expect(apply(text, sleep)).toContain('    await asyncio.sleep(1)\n');
    const get = fixesFor(text, 'blocking-in-async', 8)[0];
    expect(apply(text, get)).toContain('    return (await asyncio.to_thread(requests.get, url, timeout=5)).json()\n');
  });

  it('moves an import-time pool under the __main__ guard', () => {
    const text = `from concurrent.futures import ProcessPoolExecutor


def square(x):
    return x * x


pool = ProcessPoolExecutor()
print(list(pool.map(square, range(4))))
`;
    const [fix] = fixesFor(text, 'process-pool-hazard', 8);
    expect(apply(text, fix)).toBe(`from concurrent.futures import ProcessPoolExecutor


def square(x):
    return x * x


if __name__ == "__main__":
    pool = ProcessPoolExecutor()
    print(list(pool.map(square, range(4))))
`);
  });

  it('keeps the lock it adds inside a file that ends with an import and no line break (issue 13 defect 8)', () => {
    const text = `count = 0


def work():
    global count
    count += 1


threads = [threading.Thread(target=work) for _ in range(2)]
import threading`;
    const [fix] = fixesFor(text, 'shared-mutation', 6);
    for (const edit of fix.edits) expect(outside(text, edit.span)).toBeUndefined();
    expect(apply(text, fix)).toBe(`count = 0


def work():
    global count
    with count_lock:
        count += 1


threads = [threading.Thread(target=work) for _ in range(2)]
import threading
count_lock = threading.Lock()`);
  });

  it('keeps every fix of every fixture inside the document, with or without a final line break', () => {
    let fixes = 0;
    for (const file of pyFiles(FIXTURES)) {
      const full = fs.readFileSync(file, 'utf8');
      for (const text of [full, full.replace(/\s+$/, '')]) {
        const [report] = checkSources(syntax, [{ path: file, text }], defaultConfig());
        for (const fix of report.findings.flatMap((f) => f.fixes)) {
          fixes++;
          for (const edit of fix.edits) expect({ file, edit: outside(text, edit.span) }).toEqual({ file });
        }
      }
    }
    expect(fixes).toBeGreaterThan(20);
  });
});

/** Why `span` is not a range of `text` (0-based lines split as LSP splits them), or undefined when it is. */
function outside(text: string, span: Span): string | undefined {
  const lines = text.split(/\r\n|\r|\n/);
  const at = (line: number, col: number) => line < lines.length && col >= 0 && col <= lines[line].length;
  if (!at(span.line, span.col)) return `start ${span.line}:${span.col} is past the text`;
  if (!at(span.endLine, span.endCol)) return `end ${span.endLine}:${span.endCol} is past the text`;
  if (span.endLine < span.line || (span.endLine === span.line && span.endCol < span.col)) return 'end before start';
  return undefined;
}
