"""Resolve a list of host names from several threads.

All shared containers are changed only with single atomic calls whose
arguments do not depend on an earlier read of the container: ``append``,
``extend``, ``+=`` on a list, ``deque.append``, ``setdefault(...).append``
and ``dict.update`` with a freshly built dict.
"""
import collections
import socket
import sys
import threading

resolved = []
unresolved = collections.deque(maxlen=200)
names_by_family = {}
addresses = {}
log_lines = []


def resolve(names):  # expect-target: io
    global log_lines
    for name in names:
        try:
            infos = socket.getaddrinfo(name, 443, proto=socket.IPPROTO_TCP)
        except socket.gaierror as exc:
            unresolved.append((name, str(exc)))
            continue
        addrs = sorted({info[4][0] for info in infos})
        resolved.append(name)
        for family in {info[0].name for info in infos}:
            names_by_family.setdefault(family, []).append(name)
        addresses.update({name: addrs})
        log_lines += [f"{name} -> {a}" for a in addrs]


def main(names, workers=8):
    chunks = [names[i::workers] for i in range(workers)]
    threads = [threading.Thread(target=resolve, args=(chunk,)) for chunk in chunks if chunk]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"{len(resolved)} resolved, {len(unresolved)} failed")
    for family, members in sorted(names_by_family.items()):
        print(f"  {family}: {len(members)}")
    print("\n".join(log_lines[:20]))


if __name__ == "__main__":
    main(sys.argv[1:] or ["localhost", "python.org", "example.com"])
