"""Runs shell jobs from shared backlogs on worker threads, plus two housekeeping threads."""
import shlex
import subprocess
import sys
import threading


def spawn(fn, *args, name=None):
    t = threading.Thread(target=fn, args=args, name=name, daemon=True)
    t.start()
    return t


class Board:
    def __init__(self, commands):
        self.backlog = [shlex.split(c) for c in commands]
        self.results = []
        self.failures = 0
        self.ticks = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()


def run_jobs(board, timeout):  # expect-target: io
    take = board.backlog.pop
    record = board.results.append
    while board.backlog:
        argv = take()  # expect: shared-mutation
        proc = subprocess.run(argv, capture_output=True, timeout=timeout)
        record((argv, proc.returncode))
        if proc.returncode != 0:
            board.failures += 1  # expect: shared-mutation


def run_jobs_safely(board, timeout):  # expect-target: io
    take = board.backlog.pop
    while True:
        try:
            argv = take()
        except IndexError:
            return
        proc = subprocess.run(argv, capture_output=True, timeout=timeout)
        board.results.append((argv, proc.returncode))
        if proc.returncode != 0:
            with board.lock:
                board.failures += 1


class Heartbeat(threading.Thread):
    def __init__(self, board, interval):
        super().__init__(daemon=True)
        self.board, self.interval = board, interval
        self.beats = 0

    def run(self):  # expect-target: io
        while not self.board.stop.wait(self.interval):
            self.beats += 1
            self.board.ticks += 1  # expect: shared-mutation
            print(f"alive: {len(self.board.backlog)} queued, {self.board.failures} failed", flush=True)


class Reaper(Heartbeat):
    def run(self):  # expect-target: io
        seen = 0
        while not self.board.stop.wait(self.interval):
            fresh = self.board.results[seen:]
            seen += len(fresh)
            for argv, rc in (r for r in fresh if r[1]):
                print("failed:", " ".join(argv), "->", rc, file=sys.stderr)
            self.board.ticks += 1  # expect: shared-mutation


def main(fast_cmds, batch_cmds, workers=3):
    fast, batch = Board(fast_cmds), Board(batch_cmds)
    lanes = [spawn(run_jobs, fast, 60, name=f"fast-{i}") for i in range(workers)]
    lanes += [spawn(run_jobs_safely, batch, 600, name=f"batch-{i}") for i in range(2)]
    keepers = [kind(fast, 5.0) for kind in (Heartbeat, Reaper)]
    for keeper in keepers:
        keeper.start()
    for lane in lanes:
        lane.join()
    fast.stop.set()
    for keeper in keepers:
        keeper.join()
    print(f"{len(fast.results)} fast jobs, {fast.failures + batch.failures} failed, {fast.ticks} ticks")


if __name__ == "__main__":
    main(["make -C app test", "pytest -q lib", "ruff check ."], ["make docs", "make dist"])
