"""Pure-Python arithmetic on a thread pool: the threads take turns on the GIL."""
from concurrent.futures import ThreadPoolExecutor


def cpu_work(n):
    # A plain Python loop: holds the GIL the whole time.
    total = 0
    for i in range(n):
        total += i * i
    return total


def main():
    with ThreadPoolExecutor(max_workers=4) as executor:
        futures = [executor.submit(cpu_work, 2_000_000) for _ in range(4)]
        print(sum(f.result() for f in futures))


if __name__ == "__main__":
    main()
