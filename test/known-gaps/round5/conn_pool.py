"""Connection pooling for the storage backend.

One PoolManager is shared by every request thread of the application; all
public methods of HostPool and PoolManager are safe to call concurrently.
"""
import collections
import socket
import threading

DEFAULT_PORTS = {}
for _scheme, _port in (("postgres", 5432), ("redis", 6379), ("memcached", 11211)):
    DEFAULT_PORTS[_scheme] = _port


class HostPool:
    def __init__(self, host, port, maxsize=8):
        self.host, self.port = host, port
        self.maxsize = maxsize
        self._lock = threading.Lock()
        self._idle = collections.deque()
        self._in_use = 0
        self._created = 0

    def _connect(self):
        with self._lock:
            self._created += 1
        return socket.create_connection((self.host, self.port), timeout=5)

    def get(self):
        try:
            conn = self._idle.popleft()
        except IndexError:
            conn = self._connect()
        with self._lock:
            self._in_use += 1
        return conn

    def get_nowait(self):
        """Return an idle connection, or None when the pool is empty."""
        if not self._idle:
            return None
        conn = self._idle.pop()  # expect: shared-mutation
        self._in_use += 1  # expect: shared-mutation
        return conn

    def put(self, conn):
        with self._lock:
            self._in_use -= 1
            if len(self._idle) >= self.maxsize:
                conn.close()
                return
            self._idle.append(conn)

    def trim(self, keep):
        while len(self._idle) > keep:
            self._idle.popleft().close()  # expect: shared-mutation


class PoolManager:
    def __init__(self, maxsize=8):
        self._maxsize = maxsize
        self._lock = threading.Lock()
        self._pools = {}
        self._local = threading.local()

    def pool_for(self, host, scheme="postgres"):
        key = (host, DEFAULT_PORTS[scheme])
        pool = self._pools.get(key)
        if pool is None:
            with self._lock:
                pool = self._pools.get(key)
                if pool is None:
                    pool = HostPool(host, key[1], self._maxsize)
                    self._pools[key] = pool
        self._local.lookups = getattr(self._local, "lookups", 0) + 1
        self._local.last_pool = pool
        return pool

    def forget(self, host, scheme="postgres"):
        key = (host, DEFAULT_PORTS[scheme])
        if key in self._pools:
            del self._pools[key]  # expect: shared-mutation

    def clear(self):
        with self._lock:
            pools, self._pools = self._pools, {}
        for pool in pools.values():
            pool.trim(0)
