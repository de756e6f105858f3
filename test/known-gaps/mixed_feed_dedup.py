"""Feed de-duplication: fetch items, then MinHash them in pure Python.

Each worker waits on the network (or on the sensor logger) and then runs a
comparable amount of interpreter-bound hashing or filtering, so both kinds
of cost are substantial.
"""
import json
import random
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

PRIME = (1 << 61) - 1
SEEDS = [(random.Random(i).randrange(1, PRIME), random.Random(-i).randrange(PRIME)) for i in range(64)]


def minhash(text, k=5):
    shingles = {hash(text[i:i + k]) & 0xFFFFFFFF for i in range(max(1, len(text) - k + 1))}
    return tuple(min((a * s + b) % PRIME for s in shingles) for a, b in SEEDS)


def signatures_for(feed_url):  # expect-target: mixed
    with urllib.request.urlopen(feed_url, timeout=15) as resp:
        items = json.load(resp)
    sigs = {}
    for item in items:
        with urllib.request.urlopen(item["link"], timeout=15) as page:
            text = page.read().decode("utf-8", "replace")
        sigs[item["id"]] = minhash(text[:2000])  # ~128k modular hashes per page
    return sigs


def replay_sensor_log():  # expect-target: mixed
    rng = random.Random(5)
    smoothed = 0.0
    peaks = 0
    for _ in range(6):
        time.sleep(0.2)  # the logger hands out one block every 200 ms
        block = [rng.gauss(0.0, 1.0) for _ in range(400_000)]
        for x in block:
            smoothed = 0.98 * smoothed + 0.02 * x
            if abs(x - smoothed) > 2.5:
                peaks += 1
    return peaks


def main():
    feeds = [f"http://127.0.0.1:8000/feeds/{name}.json" for name in ("world", "tech", "sport", "arts")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        sigs = list(pool.map(signatures_for, feeds))
        peaks = [pool.submit(replay_sensor_log) for _ in range(3)]
        print(sum(len(s) for s in sigs), [p.result() for p in peaks])


if __name__ == "__main__":
    main()
