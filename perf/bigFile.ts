/**
 * The generated Python file `npm run bench:lsp` edits: blocks of CPU-bound
 * thread targets with shared counters, locks, and pool submissions. The
 * incremental-extraction test uses the same file, so it lives here, apart
 * from the benchmark's process-spawning code.
 */

export function block(i: number): string {
  return `counter_${i} = 0
lock_${i} = threading.Lock()


def cpu_${i}(n):
    global counter_${i}
    total = 0
    for k in range(n):
        total += k * k
        counter_${i} += 1
    return total


def io_${i}(path):
    with open(path) as f:
        data = f.read()
    with lock_${i}:
        results.append(data)


threads_${i} = [threading.Thread(target=cpu_${i}, args=(1000,)) for _ in range(4)]
for t in threads_${i}:
    t.start()
pool.submit(io_${i}, "data.txt")

`;
}

export const HEADER =
  'import threading\nfrom concurrent.futures import ThreadPoolExecutor\n\nresults = []\npool = ThreadPoolExecutor(8)\n\n';

/** The big file: blocks of thread targets, shared mutations, locks and spawns. */
export function generateBigFile(lines = 5_000): string {
  let text = HEADER;
  for (let i = 0; text.split('\n').length < lines; i++) text += block(i);
  return text;
}
