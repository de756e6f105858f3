"""Find primes in several ranges with a thread pool.

Trial division is pure-Python computation, so the GIL runs the pool's threads
one at a time: four threads take as long as one. A ProcessPoolExecutor (or a
free-threaded CPython build) would use the other cores.
"""

from concurrent.futures import ThreadPoolExecutor


def count_primes(start, stop):
    found = 0
    for n in range(max(start, 2), stop):
        if all(n % d for d in range(2, int(n**0.5) + 1)):
            found += 1
    return found


def main():
    ranges = [(i, i + 25_000) for i in range(0, 100_000, 25_000)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(count_primes, lo, hi) for lo, hi in ranges]
        print(sum(f.result() for f in futures))


if __name__ == "__main__":
    main()
