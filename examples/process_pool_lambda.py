"""Resize a batch of images in worker processes.

A ProcessPoolExecutor pickles each callable it sends to a worker. A lambda
cannot be pickled, so this map fails at run time ("Can't pickle local
object ... <lambda>"); a module-level function would work.
"""

from concurrent.futures import ProcessPoolExecutor


def scale(size, factor):
    width, height = size
    return int(width * factor), int(height * factor)


def main():
    sizes = [(640, 480), (1920, 1080), (800, 600)]
    with ProcessPoolExecutor() as pool:
        thumbnails = list(pool.map(lambda size: scale(size, 0.25), sizes))
    print(thumbnails)


if __name__ == "__main__":
    main()
