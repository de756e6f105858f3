"""A small job runner: worker threads claim shell jobs, a reaper requeues stale claims."""
import subprocess
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor


class Scheduler:
    def __init__(self, jobs, parallel=4):
        self._lock = threading.Lock()
        self._ready = deque(jobs)
        self._claims = {}  # job id -> (worker, claimed_at, argv)
        self._slots = threading.Semaphore(parallel)
        self._tally_guard = threading.Semaphore(1)
        self.running = 0
        self.exit_codes = {}

    def claim(self, worker):
        with self._lock:
            if not self._ready:
                return None
            job_id, argv = self._ready.popleft()
            self._claims[job_id] = (worker, time.monotonic(), argv)
        return job_id, argv

    def execute(self, job_id, argv):
        with self._slots:
            self.running += 1  # expect: shared-mutation
            rc = subprocess.run(argv, timeout=600).returncode
            self.running -= 1  # expect: shared-mutation
        with self._tally_guard:
            self.exit_codes[rc] = self.exit_codes.get(rc, 0) + 1
        with self._lock:
            still_ours = job_id in self._claims
        if still_ours:
            subprocess.run(["logger", "-t", "jobs", f"{job_id} exited {rc}"], check=False)
            with self._lock:
                del self._claims[job_id]  # expect: shared-mutation

    def busy_workers(self):
        return sorted(worker for worker, _at, _argv in self._claims.values())  # expect: shared-mutation

    def requeue_stale(self, older_than):
        now = time.monotonic()
        stale = [j for j in self._claims.keys() if now - self._claims[j][1] > older_than]  # expect: shared-mutation
        with self._lock:
            for job_id in stale:
                if job_id in self._claims:
                    self._ready.append((job_id, self._claims.pop(job_id)[2]))


def work(sched, name):  # expect-target: io
    while True:
        job = sched.claim(name)
        if job is None:
            time.sleep(0.2)
            continue
        sched.execute(*job)


def reaper(sched, stop):  # expect-target: io
    while not stop.wait(5):
        sched.requeue_stale(older_than=900)


def toposort(graph):  # expect-target: cpu
    order, seen = [], set()
    def visit(node):
        if node not in seen:
            seen.add(node)
            for dep in graph.get(node, ()):
                visit(dep)
            order.append(node)
    for node in sorted(graph):
        visit(node)
    return order


def main(projects):
    with ThreadPoolExecutor(max_workers=4) as pool:
        plans = [pool.submit(toposort, graph) for graph in projects.values()]  # expect: cpu-bound-thread
    sched, stop = Scheduler((s, ["make", s]) for p in plans for s in p.result()), threading.Event()
    for i in range(6):
        threading.Thread(target=work, args=(sched, f"w{i}"), daemon=True).start()
    threading.Thread(target=reaper, args=(sched, stop), daemon=True).start()
    while not stop.wait(60):
        print("busy:", sched.busy_workers(), "exit codes:", sched.exit_codes)
