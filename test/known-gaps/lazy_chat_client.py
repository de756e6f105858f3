"""Post build results to a chat channel, one notifier thread per channel.

The chat client is a lazily created module singleton: two threads can both
see ``_client is None`` and build two clients, and the single client that
survives counts its posts without a lock.
"""
import json
import os
import threading
import time
import urllib.request

API = "http://127.0.0.1:8065/api/v4/posts"

_client = None


class ChatClient:
    def __init__(self, url, token):
        self.url = url
        self.token = token
        self.sent = 0

    def post(self, channel, text):
        body = json.dumps({"channel_id": channel, "message": text}).encode()
        req = urllib.request.Request(self.url, data=body, method="POST")
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=5) as resp:
            self.sent += 1  # expect: shared-mutation
            return resp.status


def get_client():
    global _client
    if _client is None:
        with open(os.path.expanduser("~/.chat-token")) as fh:
            token = fh.read().strip()
        _client = ChatClient(API, token)  # expect: shared-mutation
    return _client


def notify(channel, builds):  # expect-target: io
    client = get_client()
    for build in builds:
        client.post(channel, f"build {build['id']} on {build['branch']}: {build['status']}")
        time.sleep(0.2)


def main(builds):
    by_channel = {}
    for build in builds:
        by_channel.setdefault(build["channel"], []).append(build)
    threads = [threading.Thread(target=notify, args=(ch, bs)) for ch, bs in by_channel.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("posted", get_client().sent)


if __name__ == "__main__":
    sample = [
        {"id": 101, "branch": "main", "status": "passed", "channel": "ci"},
        {"id": 102, "branch": "release", "status": "failed", "channel": "releases"},
        {"id": 103, "branch": "main", "status": "passed", "channel": "ci"},
    ]
    main(sample)
