"""A toy limit order book fed by gateway threads, crossed by a background thread."""
import random
import socket
import threading
import time


class OrderBook:
    def __init__(self):
        self._lock = threading.Lock()
        self._bids = {}  # price -> resting quantity
        self._asks = {}
        self._cash = {}  # account -> available cash
        self.trades = 0

    def lock(self):
        return self._lock

    def deposit(self, account, amount):
        with self.lock():
            self._cash[account] = self._cash.get(account, 0) + amount

    def place_bid(self, account, price, qty):
        with self._lock:
            affordable = self._cash.get(account, 0) >= price * qty
        if not affordable:
            return False
        time.sleep(0.001)  # round trip to the risk service
        with self._lock:
            self._cash[account] -= price * qty  # expect: shared-mutation
            self._bids[price] = self._bids.get(price, 0) + qty

    def place_ask(self, price, qty):
        with self.lock():
            self._asks[price] = self._asks.get(price, 0) + qty

    def cross(self):
        with self._lock:
            while self._bids and self._asks and max(self._bids) >= min(self._asks):
                self._bids.pop(max(self._bids))
                self._asks.pop(min(self._asks))
                self.trades += 1

    def record_external_fill(self, price):
        self.trades += 1  # expect: shared-mutation
        with self._lock:
            self._asks.pop(price, None)

    def best_bids(self, levels=5):
        ladder = []
        for price, qty in self._bids.items():  # expect: shared-mutation
            ladder.append((price, qty))
        return sorted(ladder, reverse=True)[:levels]

    def snapshot(self):
        return dict(self._bids), self._asks.copy()


def gateway(book, account, seed):  # expect-target: io
    rng = random.Random(seed)
    book.deposit(account, 50_000)
    for _ in range(500):
        price, qty = rng.randint(95, 105), rng.randint(1, 5)
        if rng.random() < 0.5:
            book.place_bid(account, price, qty)
        else:
            book.place_ask(price, qty)
        time.sleep(0.002)  # pacing of the exchange feed


def matcher(book, period=0.01):  # expect-target: io
    while True:
        time.sleep(period)
        book.cross()
        print("top of book:", book.best_bids(1))


def fills_listener(book, host="127.0.0.1", port=7001):  # expect-target: io
    with socket.create_connection((host, port)) as conn:
        for line in conn.makefile("r", encoding="ascii"):
            book.record_external_fill(int(line.split()[0]))


book = OrderBook()
gateways = [threading.Thread(target=gateway, args=(book, f"desk{i % 2}", i)) for i in range(4)]
threading.Thread(target=matcher, args=(book,), daemon=True).start()
threading.Thread(target=fills_listener, args=(book,), daemon=True).start()
for t in gateways:
    t.start()
for t in gateways:
    t.join()
bids, asks = book.snapshot()
print(f"{book.trades} trades, {len(bids)} bid levels, {len(asks)} ask levels")
