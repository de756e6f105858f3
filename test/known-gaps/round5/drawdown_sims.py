"""Monte-Carlo drawdown batch: simulations run in worker processes, packing on threads."""
import functools
import multiprocessing
import os
import random
import zlib
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

ProcPool = functools.partial(ProcessPoolExecutor, max_workers=os.cpu_count())


def simulate(seed, steps=200_000):
    rng = random.Random(seed)
    value = worst = 100.0
    for _ in range(steps):
        value *= 1.0 + rng.gauss(0.0, 0.01)
        worst = min(worst, value)
    return seed, worst


def apply_all(fn, values):
    return [fn(v) for v in values]


def total(values):
    return sum(values)


def lower_priority():
    os.nice(5)


def make_threshold(limit):
    def breached(result):
        return result[1] < limit
    return breached


def format_row(row):
    return f"{row.seed:>6} {row.worst:10.2f}"


def run_sims(pool, seeds):
    return list(pool.map(simulate, seeds, chunksize=4))


def report(pool, results):
    class Row:
        def __init__(self, seed, worst):
            self.seed, self.worst = seed, worst
    return list(pool.map(format_row, [Row(s, w) for s, w in results]))  # expect: process-pool-hazard


def pack(ex, blobs):
    def squeeze(blob):  # expect-target: native
        return zlib.compress(blob, 9)
    return list(ex.map(squeeze, blobs))


def checksums(ex, blobs):
    futs = [ex.submit(lambda b=b: zlib.crc32(b)) for b in blobs]  # expect-target: native
    return [f.result() for f in futs]


def main():
    with ProcPool() as procs:
        results = run_sims(procs, range(64))
        flags = list(procs.map(make_threshold(80.0), results))  # expect: process-pool-hazard
        squares = procs.submit(functools.partial(apply_all, lambda v: v * v, [w for _, w in results]))  # expect: process-pool-hazard
        magnitudes = procs.submit(functools.partial(apply_all, abs, [w - 100 for _, w in results]))
        rows = report(procs, results)
    with multiprocessing.Pool(4, initializer=lower_priority) as mp:
        worst = (w for _, w in results)
        grand = mp.apply_async(total, args=(worst,))  # expect: process-pool-hazard
        breaches = mp.apply_async(total, args=([1 for f in flags if f],))
        print(grand.get(), breaches.get())
    blobs = [row.encode() * 20_000 for row in rows]
    with ThreadPoolExecutor(max_workers=4) as ex:
        packed, sums = pack(ex, blobs), checksums(ex, blobs)
    print(len(packed), sums[:3], squares.result()[:3], magnitudes.result()[:3])

    def reseed():
        random.seed(os.getpid())
    with ProcessPoolExecutor(max_workers=2, initializer=reseed) as extra:  # expect: process-pool-hazard
        print(list(extra.map(simulate, range(4))))


if __name__ == "__main__":
    main()
