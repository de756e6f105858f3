"""Roll up a sales export: the file is read once, then parsed and aggregated in Python.

The single read is trivial next to the per-row splitting, float conversion
and dictionary arithmetic that follow.
"""
import threading
from concurrent.futures import ThreadPoolExecutor

HEADER = "date,store,sku,qty,unit_price,discount"


def make_export(rows=200_000):
    lines = [HEADER]
    for i in range(rows):
        lines.append(f"2024-01-{i % 28 + 1:02d},S{i % 40},K{i % 997},{i % 9 + 1},{(i % 50) + 0.99},{(i % 4) * 0.05}")
    return "\n".join(lines)


def rollup(path):  # expect-target: cpu
    with open(path) as fh:
        text = fh.read()
    by_store = {}
    by_day = {}
    for line in text.splitlines()[1:]:
        date, store, sku, qty, price, discount = line.split(",")
        amount = int(qty) * float(price) * (1.0 - float(discount))
        by_store[store] = by_store.get(store, 0.0) + amount
        day = date[-2:]
        if sku.endswith("7"):
            amount *= 1.1
        by_day[day] = by_day.get(day, 0.0) + round(amount, 2)
    return by_store, by_day


def main(paths):
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(rollup, paths))  # expect: cpu-bound-thread
    extra = threading.Thread(target=rollup, args=(paths[0],))  # expect: cpu-bound-thread
    extra.start()
    extra.join()
    print(len(results))


if __name__ == "__main__":
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as tmp:
        tmp.write(make_export())
    main([tmp.name] * 4)
