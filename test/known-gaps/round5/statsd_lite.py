"""A small statsd-style UDP collector: listener threads parse packets, a flusher ships totals."""
import socket
import threading
import time


def make_guard():
    return threading.RLock()


class Registry:
    def __init__(self, guard):
        self.guard, self.ready = guard, threading.Condition(guard)
        self.counters, self.peaks, self.timings, self.dropped = {}, {}, [], 0

    def count(self, name, n):
        with self.guard:
            self.counters[name] = self.counters.get(name, 0) + n

    def gauge(self, name, value):
        self.guard.acquire()
        try:
            if value > self.peaks.get(name, float("-inf")):
                self.peaks[name] = value
        finally:
            self.guard.release()

    def timing(self, name, ms):
        with self.ready:
            self.timings.append((name, ms))
            self.ready.notify()

    def drop(self):
        with threading.Lock():
            self.dropped += 1  # expect: shared-mutation

    def take_counters(self):
        with self.guard:
            taken, self.counters = self.counters, {}
        return taken

    def take_timings(self):
        taken = self.timings
        self.timings = []  # expect: shared-mutation
        return taken


class Collector:
    def __init__(self, registry, port, workers=4):
        self.registry, self.stop = registry, threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("0.0.0.0", port))
        self.sock.settimeout(0.5)
        self.threads = [threading.Thread(target=self.listen) for _ in range(workers)]
        self.threads += [threading.Thread(target=self.flush_loop)]

    def listen(self):  # expect-target: io
        handlers = {"c": self.registry.count, "g": self.registry.gauge, "ms": self.registry.timing}
        while not self.stop.is_set():
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            name, _, rest = data.decode("ascii", "replace").strip().partition(":")
            value, _, kind = rest.partition("|")
            try:
                handlers[kind](name, float(value))
            except (KeyError, ValueError):
                self.registry.drop()

    def flush_loop(self):  # expect-target: io
        while not self.stop.wait(10.0):
            counters = self.registry.take_counters()
            timings = self.registry.take_timings()
            print(f"{time.strftime('%X')} {len(counters)} counters, {len(timings)} timings", flush=True)


def main(port=8125):
    col = Collector(Registry(make_guard()), port)
    for t in col.threads:
        t.start()
    try:
        for t in col.threads:
            t.join()
    except KeyboardInterrupt:
        col.stop.set()


if __name__ == "__main__":
    main()
