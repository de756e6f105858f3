"""Count HTTP status codes in an access log with several worker threads.

The workers update a module-level total and a shared dict without a lock, so
increments can be lost when two threads interleave.
"""

import threading

LOG_LINES = [f"10.0.0.{i % 7} GET /page/{i} {200 if i % 5 else 404}" for i in range(20_000)]

total_requests = 0
status_counts = {}


def tally(lines):
    global total_requests
    for line in lines:
        status = line.rsplit(" ", 1)[1]
        total_requests += 1
        status_counts[status] = status_counts.get(status, 0) + 1


def main():
    chunk = len(LOG_LINES) // 4
    workers = [
        threading.Thread(target=tally, args=(LOG_LINES[i * chunk : (i + 1) * chunk],))
        for i in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(total_requests, status_counts)


if __name__ == "__main__":
    main()
