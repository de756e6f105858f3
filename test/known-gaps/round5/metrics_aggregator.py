"""Scrape metrics endpoints: one event loop per region thread, one shared rollup."""
import asyncio
import json
import sys
import threading
import urllib.request

REGIONS = {
    "eu": ["http://10.2.0.10:9100/metrics.json", "http://10.2.0.11:9100/metrics.json"],
    "us": ["http://10.3.0.10:9100/metrics.json", "http://10.3.0.11:9100/metrics.json"],
}

rollup_lock = asyncio.Lock()
rollup = {}
scrapes = 0
errors = 0
flush_lock = threading.Lock()
flush_count = 0


def _get(url):  # expect-target: io
    global errors
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.read()
    except OSError:
        with threading.Lock():
            errors += 1  # expect: shared-mutation
        return b"{}"


async def scrape_region(urls):
    global scrapes
    loop = asyncio.get_running_loop()
    pending = [loop.run_in_executor(None, _get, u) for u in urls]
    for fut in asyncio.as_completed(pending):
        sample = json.loads(await fut)
        async with rollup_lock:
            for name, value in sample.items():
                rollup[name] = rollup.get(name, 0.0) + value  # expect: shared-mutation
            scrapes += 1  # expect: shared-mutation


def region_thread(urls, rounds):  # expect-target: io
    for _ in range(rounds):
        asyncio.run(scrape_region(urls))


def write_snapshot(path):
    snapshot = dict(rollup)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(snapshot, sort_keys=True) + "\n")


def flusher(path, stop):  # expect-target: io
    global flush_count
    while not stop.wait(15):
        write_snapshot(path)
        with flush_lock:
            flush_count += 1


def admin_console(path):  # expect-target: io
    global flush_count
    for line in sys.stdin:
        if line.strip() == "flush":
            write_snapshot(path)
            flush_count += 1  # expect: shared-mutation


def main(path="rollup.jsonl", rounds=20):
    stop = threading.Event()
    regions = [threading.Thread(target=region_thread, args=(urls, rounds)) for urls in REGIONS.values()]
    helpers = [threading.Thread(target=flusher, args=(path, stop), daemon=True),
               threading.Thread(target=admin_console, args=(path,), daemon=True)]
    for t in regions + helpers:
        t.start()
    for t in regions:
        t.join()
    stop.set()
    print(f"{scrapes} scrapes, {errors} errors, {flush_count} flushes, {len(rollup)} series")


if __name__ == "__main__":
    main()
