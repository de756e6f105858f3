"""gil-lens benchmark harness: times one Python function in several modes.

The TypeScript side (server/src/bench/harnessProcess.ts) starts this file with
the user's interpreter, without a shell, and writes one JSON request to stdin:

    {"module_path": "/abs/mod.py", "function": "work" | "Class.method",
     "call": "work(10)", "workers": 2, "budget_s": 10.0,
     "modes": ["sequential", "threads", "processes"]}

Nothing in the request is ever interpolated into code. The call text is parsed
with `ast` and accepted only when it is a single call of the named function
whose arguments are literals (each one read with `ast.literal_eval`), and it
is checked before the user's module is imported, so a hostile call runs nothing.

The harness answers with JSON lines on its original stdout: progress events
(`{"event": "progress", ...}`) and one final `{"event": "result", ...}`. Anything
the user's code prints goes to stderr, because fd 1 is pointed at fd 2 before
the module is imported.

Statistics follow pyperf's method, scaled down: a calibration call that is also
the warm-up, an inner loop count so that each task lasts a few milliseconds,
one unmeasured warm-up sample per mode, then repeated samples until the mode's
share of the budget is spent (at least MIN_REPEATS), summarised by median and
interquartile range. Per-task CPU time from `time.thread_time` against wall
time separates waiting for the GIL from waiting for I/O.
"""

import ast
import concurrent.futures
import importlib.util
import json
import math
import os
import pickle
import statistics
import sys
import threading
import time
import traceback

TARGET_MODULE_NAME = "gil_lens_target"
MIN_REPEATS = 3
MAX_REPEATS = 25
# Each task runs the call enough times to last this long, so that thread and
# process start-up costs do not dominate a fast function.
MIN_TASK_S = 0.025
MAX_LOOPS = 1_000_000
MAX_CALL_TEXT = 10_000
SPREAD_WARNING = 0.10

_protocol = None


class HarnessError(Exception):
    """A failure reported to the caller instead of timings."""

    def __init__(self, kind, message, tb=None, mode=None, rule=None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.tb = tb
        self.mode = mode
        self.rule = rule

    def to_json(self):
        out = {"kind": self.kind, "message": self.message}
        if self.tb:
            out["traceback"] = self.tb
        if self.mode:
            out["mode"] = self.mode
        if self.rule:
            out["rule"] = self.rule
        return out


def emit(obj):
    _protocol.write(json.dumps(obj) + "\n")
    _protocol.flush()


def user_traceback():
    """The current exception's traceback without the harness's own frames."""
    exc = sys.exc_info()[1]
    frames = traceback.extract_tb(exc.__traceback__)
    kept = [f for f in frames if os.path.basename(f.filename) != os.path.basename(__file__)]
    lines = ["Traceback (most recent call last):\n"]
    lines += traceback.format_list(kept)
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


# --- the call expression -----------------------------------------------------


def dotted_name(node):
    """`a.b.c` as a string, or None when the node is not a plain dotted name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return base + "." + node.attr if base else None
    return None


def literal_arguments(call):
    """Positional and keyword arguments of a call, each required to be a literal."""
    args, kwargs = [], {}
    for arg in call.args:
        if isinstance(arg, ast.Starred):
            raise HarnessError("invalid-call", "star-arguments are not allowed in the call; write the values out")
        args.append(literal_value(arg))
    for kw in call.keywords:
        if kw.arg is None:
            raise HarnessError("invalid-call", "**-arguments are not allowed in the call; write the values out")
        kwargs[kw.arg] = literal_value(kw.value)
    return args, kwargs


def literal_value(node):
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        text = ast.unparse(node) if hasattr(ast, "unparse") else "an argument"
        raise HarnessError(
            "invalid-call",
            f"argument {text!r} is not a literal; only numbers, strings, bytes, "
            "booleans, None, and tuples, lists, dicts and sets of them are allowed",
        ) from None


def parse_call(text, function):
    """Checks the call text against the named function and returns its plan.

    Accepted forms, for FUNCTION `f`: `f(...)`. For FUNCTION `C.m`: `m(...)`,
    `C.m(...)` (an instance is made with `C()` unless m is static or a
    classmethod) and `C(...).m(...)`. Every argument must be a literal.
    """
    if not isinstance(text, str) or len(text) > MAX_CALL_TEXT:
        raise HarnessError("invalid-call", "the call must be a string of at most 10000 characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise HarnessError("invalid-call", f"the call is not a Python expression: {exc.msg}") from None
    call = tree.body
    if not isinstance(call, ast.Call):
        raise HarnessError("invalid-call", f"the call must be a single call of {function}, like {short(function)}()")
    parts = function.split(".")
    if len(parts) > 2 or not all(p.isidentifier() for p in parts):
        raise HarnessError("invalid-call", f"{function!r} is not a function name or Class.method")
    args, kwargs = literal_arguments(call)
    plan = {"args": args, "kwargs": kwargs, "ctor": None}
    callee = dotted_name(call.func)
    if callee in (function, parts[-1]):
        return plan
    func = call.func
    if (
        len(parts) == 2
        and isinstance(func, ast.Attribute)
        and func.attr == parts[1]
        and isinstance(func.value, ast.Call)
        and dotted_name(func.value.func) == parts[0]
    ):
        ctor_args, ctor_kwargs = literal_arguments(func.value)
        plan["ctor"] = (ctor_args, ctor_kwargs)
        return plan
    raise HarnessError(
        "invalid-call", f"the call must call {function} directly, like {short(function)}(...); got {callee or 'an expression'}"
    )


def short(function):
    return function.split(".")[-1]


# --- loading the target --------------------------------------------------------


def load_module(path):
    """Imports the user's file by path under a name that is not "__main__"."""
    directory = os.path.dirname(os.path.abspath(path))
    if directory not in sys.path:
        sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location(TARGET_MODULE_NAME, path)
    if spec is None or spec.loader is None:
        raise HarnessError("import", f"cannot import {path}: not a Python source file")
    module = importlib.util.module_from_spec(spec)
    # Registered before running so pickle (processes mode) finds the functions.
    sys.modules[TARGET_MODULE_NAME] = module
    spec.loader.exec_module(module)
    return module


def resolve_target(module, function, plan):
    parts = function.split(".")
    if not hasattr(module, parts[0]):
        raise HarnessError("not-found", f"{parts[0]} is not defined at the top level of the module")
    obj = getattr(module, parts[0])
    if len(parts) == 2:
        import inspect

        static = inspect.getattr_static(obj, parts[1], None)
        if static is None:
            raise HarnessError("not-found", f"{parts[0]} has no attribute {parts[1]}")
        if plan["ctor"] is None and isinstance(static, (staticmethod, classmethod)):
            obj = getattr(obj, parts[1])
        else:
            ctor_args, ctor_kwargs = plan["ctor"] or ([], {})
            obj = getattr(obj(*ctor_args, **ctor_kwargs), parts[1])
    if not callable(obj):
        raise HarnessError("not-found", f"{function} is not callable")
    return obj


# --- timing --------------------------------------------------------------------


def run_task(fn, args, kwargs, loops):
    """Runs the call `loops` times; returns (wall seconds, thread CPU seconds)."""
    w0, c0 = time.perf_counter(), time.thread_time()
    for _ in range(loops):
        fn(*args, **kwargs)
    return time.perf_counter() - w0, time.thread_time() - c0


def worker_init(path):
    """Process-pool initialiser: loads the target module under the same name.

    Under the fork start method the module is already there; under spawn and
    forkserver it is not, and unpickling the target needs it.
    """
    if TARGET_MODULE_NAME not in sys.modules:
        load_module(path)


def sample_sequential(fn, args, kwargs, loops, workers):
    tasks = []
    w0 = time.perf_counter()
    for _ in range(workers):
        tasks.append(run_task(fn, args, kwargs, loops))
    return time.perf_counter() - w0, tasks


def sample_threads(fn, args, kwargs, loops, workers):
    start = threading.Event()
    tasks = [None] * workers
    errors = []

    def body(i):
        start.wait()
        try:
            tasks[i] = run_task(fn, args, kwargs, loops)
        except BaseException:
            errors.append(user_traceback())

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(workers)]
    for t in threads:
        t.start()
    w0 = time.perf_counter()
    start.set()
    for t in threads:
        t.join()
    wall = time.perf_counter() - w0
    if errors:
        raise HarnessError("exception", "the function raised in a thread", tb=errors[0], mode="threads")
    return wall, tasks


def sample_processes(pool, fn, args, kwargs, loops, workers):
    w0 = time.perf_counter()
    futures = [pool.submit(run_task, fn, args, kwargs, loops) for _ in range(workers)]
    tasks = []
    for f in futures:
        try:
            tasks.append(f.result())
        except concurrent.futures.process.BrokenProcessPool as exc:
            raise HarnessError("exception", f"a worker process died: {exc}", mode="processes") from None
        except BaseException as exc:
            tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            raise HarnessError("exception", "the function raised in a worker process", tb=tb, mode="processes") from None
    return time.perf_counter() - w0, tasks


def quartiles(values):
    if len(values) < 2:
        return values[0], values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], statistics.median(values), q[2]


def measure(mode, sample, budget_s):
    """Warm-up, then samples until the budget is spent; returns the mode's stats."""
    emit({"event": "progress", "mode": mode, "message": f"warming up {mode}"})
    sample(warmup=True)
    walls, cpus, task_walls = [], [], []
    deadline = time.perf_counter() + budget_s
    while len(walls) < MAX_REPEATS and (len(walls) < MIN_REPEATS or time.perf_counter() < deadline):
        wall, tasks = sample(warmup=False)
        walls.append(wall)
        cpus.append(sum(t[1] for t in tasks))
        task_walls.append(statistics.mean(t[0] for t in tasks))
    q1, median, q3 = quartiles(walls)
    cpu = statistics.median(cpus)
    cpu_per_task = cpu / len(tasks)
    task_wall = statistics.median(task_walls)
    emit({"event": "progress", "mode": mode, "message": f"{mode}: median {median:.4f} s over {len(walls)} samples"})
    return {
        "mode": mode,
        "median_s": median,
        "iqr_s": q3 - q1,
        # CPU seconds of all tasks in a sample, from time.thread_time.
        "cpu_s": cpu,
        "repeats": len(walls),
        "spread_warning": median > 0 and (q3 - q1) / median > SPREAD_WARNING,
        # The share of each task's wall time spent off the CPU: I/O waits in
        # sequential mode, I/O plus GIL waits in threads mode.
        "wait_fraction": max(0.0, 1 - cpu_per_task / task_wall) if task_wall > 0 else 0.0,
    }


def calibrate(fn, args, kwargs):
    """Calls the function twice (the first call is the warm-up) and picks the loop count."""
    run_task(fn, args, kwargs, 1)
    wall, _ = run_task(fn, args, kwargs, 1)
    if wall <= 0:
        return MAX_LOOPS, wall
    return max(1, min(MAX_LOOPS, math.ceil(MIN_TASK_S / wall))), wall


def run_modes(request, fn, plan):
    args, kwargs = plan["args"], plan["kwargs"]
    workers = request["workers"]
    modes = request["modes"]
    share = request["budget_s"] / max(1, len(modes))
    emit({"event": "progress", "mode": "sequential", "message": "calibrating"})
    loops, call_s = calibrate(fn, args, kwargs)
    results = []
    errors = []
    for mode in modes:
        if mode == "sequential":
            results.append(
                measure(mode, lambda warmup: sample_sequential(fn, args, kwargs, 1 if warmup else loops, workers), share)
            )
        elif mode == "threads":
            results.append(
                measure(mode, lambda warmup: sample_threads(fn, args, kwargs, 1 if warmup else loops, workers), share)
            )
        elif mode == "processes":
            outcome = run_processes(request, fn, args, kwargs, loops, workers, share)
            (results if "median_s" in outcome else errors).append(outcome)
    return {"loops": loops, "call_s": call_s, "modes": results, "mode_errors": errors}


def run_processes(request, fn, args, kwargs, loops, workers, share):
    try:
        pickle.dumps((fn, args, kwargs))
    except Exception as exc:
        return HarnessError(
            "unpicklable",
            f"ProcessPoolExecutor cannot pickle the target ({type(exc).__name__}: {exc}). "
            "Worker processes receive the function by pickling; define it at module level, "
            "without a wrapping decorator or closure.",
            mode="processes",
            rule="process-pool-hazard",
        ).to_json()
    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, initializer=worker_init, initargs=(request["module_path"],)
    )
    try:
        return measure(
            "processes",
            lambda warmup: sample_processes(pool, fn, args, kwargs, 1 if warmup else loops, workers),
            share,
        )
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# --- entry point -------------------------------------------------------------------


def validate_request(request):
    if not isinstance(request, dict):
        raise HarnessError("usage", "the request must be a JSON object")
    for key, kind in (("module_path", str), ("function", str), ("call", str), ("workers", int), ("modes", list)):
        if not isinstance(request.get(key), kind):
            raise HarnessError("usage", f"the request needs {key} ({kind.__name__})")
    if not 1 <= request["workers"] <= 256:
        raise HarnessError("usage", "workers must be between 1 and 256")
    budget = request.get("budget_s", 10.0)
    if not isinstance(budget, (int, float)) or budget <= 0:
        raise HarnessError("usage", "budget_s must be a positive number")
    request["budget_s"] = float(budget)
    known = {"sequential", "threads", "processes"}
    if not all(m in known for m in request["modes"]):
        raise HarnessError("usage", f"modes must be among {sorted(known)}")


def interpreter_info():
    gil = getattr(sys, "_is_gil_enabled", None)
    return {
        "version": sys.version.split()[0],
        "executable": sys.executable,
        "free_threaded_build": free_threaded_build(),
        "gil_enabled": gil() if gil else True,
        "cpu_count": os.cpu_count(),
    }


def free_threaded_build():
    import sysconfig

    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def main():
    global _protocol
    # The protocol gets a private copy of stdout; fd 1 then points at stderr so
    # the user's prints (in this process and in pool workers) cannot corrupt it.
    _protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    sys.dont_write_bytecode = True
    try:
        request = json.loads(sys.stdin.read())
        validate_request(request)
        plan = parse_call(request["call"], request["function"])
        try:
            module = load_module(request["module_path"])
        except HarnessError:
            raise
        except BaseException:
            raise HarnessError("import", "the module failed to import", tb=user_traceback()) from None
        fn = resolve_target(module, request["function"], plan)
        try:
            measured = run_modes(request, fn, plan)
        except HarnessError:
            raise
        except BaseException:
            raise HarnessError("exception", "the function raised", tb=user_traceback()) from None
        emit({"event": "result", "ok": True, "interpreter": interpreter_info(), **measured})
        return 0
    except HarnessError as err:
        emit({"event": "result", "ok": False, "interpreter": interpreter_info(), "error": err.to_json()})
        return 1
    except Exception as exc:
        emit({"event": "result", "ok": False, "error": {"kind": "harness", "message": repr(exc)}})
        return 1


if __name__ == "__main__":
    sys.exit(main())
