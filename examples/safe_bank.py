"""Move money between accounts from several threads, safely.

Each teller waits on a (simulated) remote approval before every transfer, so
threads suit the job; every read-modify-write of the balances happens while
holding the bank's lock, so concurrent transfers never lose an update.
"""

import random
import threading
import time


class Bank:
    def __init__(self, accounts):
        self._lock = threading.Lock()
        self.balances = dict.fromkeys(range(accounts), 100)

    def transfer(self, source, target, amount):
        with self._lock:
            if self.balances[source] >= amount:
                self.balances[source] -= amount
                self.balances[target] += amount

    def total(self):
        with self._lock:
            return sum(self.balances.values())


def teller(bank, transfers, seed):
    rng = random.Random(seed)
    for _ in range(transfers):
        source, target = rng.sample(range(len(bank.balances)), 2)
        time.sleep(0.001)  # waiting for the payment network to approve
        bank.transfer(source, target, rng.randint(1, 20))


def main():
    bank = Bank(accounts=10)
    tellers = [threading.Thread(target=teller, args=(bank, 200, seed)) for seed in range(4)]
    for t in tellers:
        t.start()
    for t in tellers:
        t.join()
    print("total:", bank.total())


if __name__ == "__main__":
    main()
