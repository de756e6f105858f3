"""Archive maintenance threads: verify gzip members and recompress blobs with bz2.

Both loops spend their time inside zlib / libbz2, which release the GIL
while they work on large buffers.
"""
import bz2
import gzip
import os
import threading
import zlib

CHUNK = 4 * 1024 * 1024


def verify_gzip(path):  # expect-target: native
    crc = 0
    size = 0
    with gzip.open(path, "rb") as fh:
        while True:
            block = fh.read(CHUNK)
            if not block:
                break
            crc = zlib.crc32(block, crc)
            size += len(block)
    return path, size, crc


def recompress_blob(seed):  # expect-target: native
    data = os.urandom(1024) * (16 * 1024) + bytes([seed]) * 1024 * 1024
    packed = bz2.compress(data, compresslevel=9)
    assert bz2.decompress(packed) == data
    return len(data), len(packed)


def main(paths):
    threads = [threading.Thread(target=verify_gzip, args=(p,)) for p in paths]
    threads += [threading.Thread(target=recompress_blob, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
