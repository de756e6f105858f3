"""Background URL fetcher.

Dispatcher is thread-safe: submit(), prefetch() and drain() may be called
from any thread while its worker threads fetch the queued URLs.
"""
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor


class Dispatcher:
    def __init__(self, workers=4):
        self._workers = workers
        self._jobs = []
        self._results = []
        self._lock = threading.Lock()
        self._threads = []
        self._pool = None
        self._stop = threading.Event()
        self.done = 0
        self.failed = 0

    def submit(self, url):
        self._jobs.append(url)

    def _next_job(self):
        if not self._jobs:
            return None
        return self._jobs.pop()  # expect: shared-mutation

    def _work(self):  # expect-target: io
        while not self._stop.is_set():
            url = self._next_job()
            if url is None:
                time.sleep(0.05)
                continue
            try:
                with urllib.request.urlopen(url, timeout=10) as resp:
                    body = resp.read()
            except OSError:
                with self._lock:
                    self.failed += 1
                continue
            self._results.append((url, len(body)))
            self.done += 1  # expect: shared-mutation

    def start(self):
        with self._lock:
            if self._threads:
                return
            for _ in range(self._workers):
                t = threading.Thread(target=self._work, daemon=True)
                t.start()
                self._threads.append(t)

    def drain(self):
        batch = self._results
        self._results = []  # expect: shared-mutation
        return batch

    def _executor(self):
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self._workers)  # expect: shared-mutation
        return self._pool

    def prefetch(self, url):
        return self._executor().submit(self._head, url)

    def _head(self, url):  # expect-target: io
        req = urllib.request.Request(url, method="HEAD")
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status

    def stop(self):
        self._stop.set()
        with self._lock:
            threads, self._threads = self._threads, []
        for t in threads:
            t.join()
        with self._lock:
            summary = {"done": self.done, "failed": self.failed}
        return summary
