/**
 * The Python samples the protocol tests open. SAMPLE has a shared mutation on
 * `counter += 1` and a CPU-bound thread target `work` started from a
 * comprehension; POOL_SAMPLE maps a CPU-bound function over a
 * ThreadPoolExecutor. Line numbers below are 0-based, as in LSP.
 */
export const SAMPLE = `import threading

counter = 0


def work():
    global counter
    for _ in range(100_000):
        counter += 1


threads = [threading.Thread(target=work) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
`;

export const SAMPLE_LINES = { work: 5, mutation: 8, spawn: 11 };

/** SAMPLE with the mutation replaced by a local assignment: no race. */
export const SAMPLE_NO_RACE = SAMPLE.replace('        counter += 1', '        local = 1');

export const POOL_SAMPLE = `from concurrent.futures import ThreadPoolExecutor


def work2(n):
    total = 0
    for i in range(n * 10_000):
        total += i * i
    return total


with ThreadPoolExecutor(max_workers=4) as pool:
    results = list(pool.map(work2, range(8)))
print(sum(results))
`;

export const POOL_LINES = { work2: 3, map: 11 };

/** Non-ASCII text (2-unit emoji, accented letters) before the finding on the same line. */
export const UNICODE_SAMPLE = SAMPLE.replace(
  '        counter += 1',
  '        label = "Größe 😀😀"; counter += 1',
).replace('import threading\n', 'import threading\n# Überprüfung: ünïcödé 🧵\n');

export const BROKEN_SAMPLE = `import threading

counter = 0


def work(:
    global counter
    for _ in range(100_000):
        counter += 1


def other():
    global counter
    counter += 1


threading.Thread(target=other).start()
threading.Thread(target=other).start()
`;

export const ASYNC_SAMPLE = `import time

import requests


async def handler(url):
    time.sleep(1)
    page = requests.get(url, timeout=5)
    return page.text
`;

export const LOCK_SAMPLE = `import threading

lock = threading.Lock()
total = 0


def add():
    global total
    for _ in range(1000):
        with lock:
            total += 1


threads = [threading.Thread(target=add) for _ in range(4)]
for t in threads:
    t.start()
`;

/** helpers.py on disk, imported by CROSS_MAIN; its loop makes `crunch` CPU-bound. */
export const CROSS_HELPERS = `def crunch(n):
    total = 0
    for i in range(n):
        total += i * i
    return total
`;

export const CROSS_HELPERS_IO = `import time


def crunch(n):
    time.sleep(n)
`;

export const CROSS_MAIN = `import threading

from helpers import crunch

workers = [threading.Thread(target=crunch, args=(10**6,)) for _ in range(4)]
for w in workers:
    w.start()
`;
