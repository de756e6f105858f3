"""A TTL cache in front of a slow profile service, shared by handler threads."""
import json
import threading
import time
import urllib.request
from lockutil import Lock

PROFILE_URL = "http://127.0.0.1:9000/profiles/"
_stats_lock = Lock()
origin_calls = 0


class _Held:
    def __init__(self, lock):
        self._lock = lock
    def __enter__(self):
        self._lock.acquire()
    def __exit__(self, *exc_info):
        self._lock.release()


class TTLCache:
    def __init__(self):
        self._entries = {}
        self._guard = _Held(threading.Lock())
        self.hits = 0

    def get(self, key):
        with self._guard:
            item = self._entries.get(key)
            if item is None or item[0] < time.monotonic():
                return None
            self.hits += 1
            return item[1]

    def put(self, key, value):
        with self._guard:
            if len(self._entries) >= 512:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (time.monotonic() + 60.0, value)

    def invalidate(self, key):
        if key in self._entries:
            del self._entries[key]  # expect: shared-mutation

    def expired_keys(self, now):
        return [k for k, (deadline, _v) in self._entries.items() if deadline < now]  # expect: shared-mutation


def fetch_profile(uid):
    with urllib.request.urlopen(PROFILE_URL + uid, timeout=5) as resp:
        return json.load(resp)


def handle(cache, user_ids):  # expect-target: io
    global origin_calls
    for uid in user_ids:
        if cache.get(uid) is None:
            cache.put(uid, fetch_profile(uid))
            with _stats_lock:
                origin_calls += 1


def prefetch(cache, user_ids):  # expect-target: io
    global origin_calls
    for uid in user_ids:
        cache.put(uid, fetch_profile(uid))
        origin_calls += 1  # expect: shared-mutation


def janitor(cache, stop):  # expect-target: io
    while not stop.wait(5.0):
        for key in cache.expired_keys(time.monotonic()):
            cache.invalidate(key)


def main():
    cache, stop, ids = TTLCache(), threading.Event(), [str(i) for i in range(2000)]
    threads = [threading.Thread(target=handle, args=(cache, ids[i::4])) for i in range(4)]
    threads.append(threading.Thread(target=prefetch, args=(cache, ids[:200])))
    threading.Thread(target=janitor, args=(cache, stop), daemon=True).start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"origin calls {origin_calls}, cache hits {cache.hits}")


if __name__ == "__main__":
    main()
