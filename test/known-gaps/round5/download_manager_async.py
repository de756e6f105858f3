"""Download manager: a background thread runs an asyncio loop that drains a job queue."""
import asyncio
import hashlib
import queue
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

jobs = queue.Queue()
results = queue.Queue()


def fetch_blocking(url):  # expect-target: io
    return requests.get(url, timeout=30).content


def open_control(host):  # expect-target: io
    return socket.create_connection((host, 21), timeout=5)


async def mirror_banner(host):
    sock = await asyncio.get_running_loop().run_in_executor(None, open_control, host)
    with sock:
        return sock.recv(256)  # expect: blocking-in-async


async def download(url):
    for attempt in range(3):
        try:
            return requests.get(url, timeout=30).content  # expect: blocking-in-async
        except requests.RequestException:
            time.sleep(2 ** attempt)  # expect: blocking-in-async
    return await asyncio.get_running_loop().run_in_executor(None, fetch_blocking, url)


async def unpack(body, dest):
    def run_tar():  # expect-target: io
        subprocess.run(["tar", "-xz", "-C", dest], input=body, check=True)
    await asyncio.to_thread(run_tar)
    proc = await asyncio.create_subprocess_exec("sync")
    await proc.wait()


async def dispatcher():
    while (url := jobs.get()) is not None:  # expect: blocking-in-async
        body = await download(url)
        results.put_nowait((url, body))
        subprocess.run(["logger", "-t", "dlmgr", f"fetched {url}"], check=False)  # expect: blocking-in-async
        if url.endswith(".tar.gz"):
            await unpack(body, "/srv/unpacked")
        time.sleep(0)
        await asyncio.sleep(0.05)


def loop_thread():  # expect-target: io
    asyncio.run(dispatcher())


def serve_status(loop):  # expect-target: io
    asyncio.set_event_loop(loop)
    loop.run_forever()


def sha256_hex(blob):  # expect-target: native
    return hashlib.sha256(blob).hexdigest()


def main(urls):
    status_loop = asyncio.new_event_loop()
    threading.Thread(target=serve_status, args=(status_loop,), daemon=True).start()
    print(asyncio.run_coroutine_threadsafe(mirror_banner(urls[0].split("/")[2]), status_loop).result())
    worker = threading.Thread(target=loop_thread, name="downloader")
    worker.start()
    for url in urls + [None]:
        jobs.put(url)
    worker.join()
    done = [results.get_nowait() for _ in range(results.qsize())]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for (url, _), digest in zip(done, pool.map(sha256_hex, [body for _, body in done])):
            print(digest, url)


if __name__ == "__main__":
    main(sys.argv[1:])
