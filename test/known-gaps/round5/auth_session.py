"""OAuth2 client-credentials tokens shared by all API client threads."""
import http.cookiejar
import json
import threading
import time
import urllib.request

_revoked = set()
_revoked_lock = threading.Lock()
_watcher = None


class _Usage:
    def __init__(self):
        self.requests = 0
        self.refreshes = 0
    def record(self, refreshed):
        self.requests += 1  # expect: shared-mutation
        if refreshed:
            self.refreshes += 1  # expect: shared-mutation


class TokenProvider:
    """Thread-safe token cache: one provider serves every client thread."""

    def __init__(self, url, client_id, secret):
        self._url = url
        self._form = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}".encode()
        self._lock = threading.Lock()
        self._token, self._expires = None, 0.0
        self._refresher = None
        self._local = threading.local()
        self.usage = _Usage()

    def _fetch(self):
        with urllib.request.urlopen(self._url, data=self._form, timeout=10) as resp:
            payload = json.loads(resp.read())
        return payload["access_token"], time.time() + payload["expires_in"]

    def token(self):
        with self._lock:
            refreshed = self._token is None or time.time() > self._expires - 30
            if refreshed:
                self._token, self._expires = self._fetch()
            token = self._token
        self.usage.record(refreshed)
        self._local.token = token
        return token

    def cookie_jar(self):
        try:
            return self._jar
        except AttributeError:
            self._jar = http.cookiejar.CookieJar()  # expect: shared-mutation
            return self._jar

    def extra_headers(self):
        """Mutable dict of headers that callers add to; sent with every request."""
        if not hasattr(self, "_headers"):
            self._headers = {}  # expect: shared-mutation
        return self._headers

    def start_auto_refresh(self, every=300.0):
        with self._lock:
            if self._refresher is None:
                self._refresher = threading.Timer(every, self._refresh_tick)
                self._refresher.daemon = True
                self._refresher.start()

    def _refresh_tick(self):  # expect-target: io
        token, expires = self._fetch()
        with self._lock:
            self._token, self._expires = token, expires
            self._refresher = None
        self.start_auto_refresh()


def _watch_revocations(url):  # expect-target: io
    while True:
        with urllib.request.urlopen(url, timeout=10) as resp:
            ids = resp.read().decode("ascii").split()
        with _revoked_lock:
            _revoked.update(ids)
        time.sleep(30)

def watch_revocations(url):
    global _watcher
    if _watcher is None:
        _watcher = threading.Thread(target=_watch_revocations, args=(url,), daemon=True)  # expect: shared-mutation
        _watcher.start()
