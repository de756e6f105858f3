"""Tail a syslog-over-TCP feed and fan each line out to subscriber queues."""
import queue
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


class Fanout:
    def __init__(self):
        self._subscribers = {}
        self._sources = set()

    def subscribe(self, name, inbox):
        raise NotImplementedError

    def publish(self, host, line):
        self._sources.add(host)
        for name, inbox in self._subscribers.items():  # expect: shared-mutation
            inbox.put_nowait(line)

    def names(self):
        return list(self._subscribers)

    def remote_sources(self):
        return set(h for h in self._sources if not h.startswith("127."))  # expect: shared-mutation


class LockedFanout(Fanout):
    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()

    def subscribe(self, name, inbox):
        with self._lock:
            self._subscribers[name] = inbox

    def unsubscribe(self, name):
        with self._lock:
            self._subscribers.pop(name, None)


def pump(fanout, addr):  # expect-target: io
    with socket.create_connection(addr) as conn:
        for line in conn.makefile("r", encoding="utf-8", errors="replace"):
            host, _, message = line.partition(" ")
            fanout.publish(host, message.rstrip("\n"))


def archive(fanout, name, path):  # expect-target: io
    inbox = queue.Queue(maxsize=10_000)
    fanout.subscribe(name, inbox)
    try:
        with open(path, "a", encoding="utf-8") as out:
            while True:
                out.write(inbox.get(timeout=30) + "\n")
    except queue.Empty:
        pass
    finally:
        fanout.unsubscribe(name)


def reverse_lookup(hosts):  # expect-target: io
    names = {}
    for host in hosts:
        try:
            names[host] = socket.gethostbyaddr(host)[0]
        except OSError:
            names[host] = host
    return names


def main(feed_host, feed_port, paths):
    fanout = LockedFanout()
    threading.Thread(target=pump, args=(fanout, (feed_host, int(feed_port))), daemon=True).start()
    for i, path in enumerate(paths):
        threading.Thread(target=archive, args=(fanout, f"archive{i}", path), daemon=True).start()
    with ThreadPoolExecutor(max_workers=2) as pool:
        while True:
            time.sleep(60)
            print("subscribers:", fanout.names())
            print(pool.submit(reverse_lookup, fanout.remote_sources()).result())


if __name__ == "__main__":
    main(*sys.argv[1:3], sys.argv[3:])
