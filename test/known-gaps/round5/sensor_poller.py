"""Poll field sensors through their gateway, smooth the series and archive them."""
import functools
import socket
import sys
import zlib
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing.pool import ThreadPool

import numpy as np
import requests

GATEWAY = "http://10.1.0.1:8000"


def resolve(hostnames):  # expect-target: io
    addrs = {}
    for name in hostnames:
        info = socket.getaddrinfo(name, 443, proto=socket.IPPROTO_TCP)
        addrs[name] = info[0][4][0]
    return addrs


def poll_history(sensor_id):  # expect-target: mixed
    resp = requests.get(f"{GATEWAY}/sensors/{sensor_id}/history", timeout=10)
    readings = []
    for line in resp.text.splitlines():
        ts, raw = line.split(",", 1)
        values = [float(x) for x in raw.split(";") if x]
        readings.append((int(ts), sum(values) / max(len(values), 1)))
    readings.sort()
    return readings


def smooth(series, window=25):  # expect-target: cpu
    out = []
    for i in range(len(series)):
        chunk = series[max(0, i - window):i + 1]
        out.append(sum(v for _, v in chunk) / len(chunk))
    return out


def count_spikes(series, threshold=3.0):  # expect-target: cpu
    spikes = 0
    for i in range(1, len(series)):
        for j in range(max(0, i - 50), i):
            if abs(series[i] - series[j]) > threshold:
                spikes += 1
                break
    return spikes


def compress(blob):  # expect-target: native
    return zlib.compress(blob, 9)


def eigen_summary(rows):  # expect-target: native
    arr = np.asarray(rows, dtype=np.float64)
    return float(np.linalg.eigvalsh(np.cov(arr)).max())


def main(sensor_ids, hostnames):
    with ThreadPoolExecutor(max_workers=8) as pool:
        addrs = pool.submit(resolve, hostnames)
        histories = list(pool.map(poll_history, sensor_ids))
        smoothed = list(pool.map(smooth, histories))  # expect: cpu-bound-thread
        n = min(len(s) for s in smoothed)
        packed = pool.submit(compress, np.concatenate([np.asarray(s) for s in smoothed]).tobytes())
        top = pool.submit(eigen_summary, [s[-n:] for s in smoothed])
    with ThreadPool(4) as tpool:
        spikes = list(tpool.imap(count_spikes, smoothed))  # expect: cpu-bound-thread
    with ProcessPoolExecutor() as procs:
        wide = list(procs.map(functools.partial(smooth, window=200), histories))
        narrow = procs.submit(lambda h: smooth(h, 3), histories[0])  # expect: process-pool-hazard
    print(addrs.result(), len(packed.result()), top.result(), sum(spikes), len(wide), len(narrow.result()))


if __name__ == "__main__":
    main(sys.argv[1].split(","), sys.argv[2].split(","))
