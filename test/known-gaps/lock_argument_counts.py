"""Mirror checker: workers receive the shared dict and the lock guarding it."""
import hashlib
import threading
import urllib.request

MIRRORS = ["http://127.0.0.1:8001", "http://127.0.0.1:8002", "http://127.0.0.1:8003"]


def check_mirror(base, names, counts, lock):  # expect-target: io
    for name in names:
        try:
            with urllib.request.urlopen(f"{base}/{name}", timeout=5) as resp:
                digest = hashlib.sha256(resp.read()).hexdigest()
            outcome = "ok" if digest else "empty"
        except OSError:
            outcome = "error"
        with lock:
            counts[outcome] = counts.get(outcome, 0) + 1
            counts["total"] += 1
            if base not in counts["mirrors"]:
                counts["mirrors"][base] = 0
            counts["mirrors"][base] += 1


def main():
    names = [f"pkg-{i}.tar.gz" for i in range(25)]
    counts = {"total": 0, "mirrors": {}}
    lock = threading.Lock()
    threads = [
        threading.Thread(target=check_mirror, args=(base, names, counts, lock))
        for base in MIRRORS
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(counts)


if __name__ == "__main__":
    main()
