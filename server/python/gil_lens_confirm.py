"""gil-lens race confirmation: runs the code around one statement and shows a race happen.

The TypeScript side (server/src/confirm/runConfirm.ts, through the benchmark's
process runner server/src/bench/harnessProcess.ts) starts this file with the
user's interpreter, without a shell, and writes one JSON request to stdin:

    {"module_path": "/abs/mod.py", "line": 19,
     "entry": "main" | null, "call": "get_registry()" | null,
     "threads": 8, "runs": 5, "force_switch": true, "budget_s": 48.0}

With `entry`, each run calls that top-level function with no arguments (it is
the function that starts the threads). With `call`, each run starts `threads`
threads that wait on a threading.Barrier and then make the call at once. The
call text is restricted exactly as the benchmark's (gil_lens_harness.parse_call:
one call whose arguments are literals), and its callee must be a function or
class defined at the top level of the module's source; both are checked with
`ast` before the module is imported, so a hostile call runs nothing.

The race window is widened by rewriting only the named statement, and the `if`
that guards it when the statement is the act of a check-then-act, while the
module is imported (an import hook: a MetaPathFinder and its loader). The read
and the write are split into separate steps with a forced thread switch
(`time.sleep(0)`, under sys.setswitchinterval(1e-6)) between them, and a
version number of the location written (a global, `obj.attr`, `obj[key]`, a
closure cell) is recorded at each read, check and write. The statement keeps
its normal semantics: the same expressions are evaluated once each, in the
same order, and the same values are stored. From the versions:

- lost update: a write whose read saw a version that another thread's write has
  since replaced, so that write is overwritten;
- stale check: an act whose guarding check saw a version that another thread's
  act has since replaced (lazy initialisation creating two objects);
- exception: one raised at the statement or its check, counted as evidence when
  another thread was inside the statement at the time or when it is a
  "changed size during iteration" error.

A write is only counted when its order relative to the other writes is certain:
the bookkeeping notes writes in progress, and a read or check that overlapped
one is not used as evidence. Nothing is ever claimed "safe": without evidence
the answer is how many read-write windows were opened and how many of them
another thread entered.

The answer is JSON lines on the original stdout, progress events and one final
`{"event": "result", ...}`; the user's prints go to stderr.
"""

import ast
import collections
import copy
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import re
import symtable
import sys
import threading
import time
import traceback

import gil_lens_harness as harness

TARGET_MODULE_NAME = harness.TARGET_MODULE_NAME
RUNTIME_NAME = "__gil_lens_rt__"
# Temporaries get a single leading underscore so that name mangling inside a
# class body leaves them alone, and a prefix no hand-written code uses.
TEMP = "_gil_lens_{}_"
# A forced switch costs about 20 microseconds; past this many per run the
# bookkeeping calls alone keep the window open, so a long loop stays fast.
MAX_FORCED_SWITCHES = 50_000
# How long a run waits for the threads its entry left running after it returned.
JOIN_S = 10.0
HISTORY = 32
ITERATION_ERROR = re.compile(r"(changed size|mutated|changed) during iteration")

_protocol = None


class ConfirmError(harness.HarnessError):
    """A request the confirmation cannot carry out, reported as the `error` verdict."""


def emit(obj):
    _protocol.write(json.dumps(obj) + "\n")
    _protocol.flush()


# --- finding the statement -------------------------------------------------------


def parents_of(tree):
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    return parents


def statement_at(tree, line):
    """The innermost statement that spans `line`, or a ConfirmError saying why there is none."""
    found = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.stmt) and node.lineno <= line <= (node.end_lineno or node.lineno)
    ]
    if not found:
        raise ConfirmError("no-statement", f"line {line} holds no statement")
    # The statement starting last is the innermost; on one line, a simple statement beats the compound around it.
    innermost = max(found, key=lambda node: (node.lineno, not has_body(node), -(node.end_lineno or node.lineno)))
    same_line = [node for node in found if node.lineno == innermost.lineno and not has_body(node)]
    if len(same_line) > 1:
        raise ConfirmError(
            "no-statement", f"line {line} holds several statements; put the one to confirm on its own line"
        )
    return innermost


def has_body(node):
    """Compound statements (if, for, with, def, match...) hold other statements."""
    return isinstance(getattr(node, "body", None), list) or hasattr(node, "cases")


def assignment_parts(stmt, line):
    """(target, value, op) of an assignment with one plain target, or a ConfirmError."""
    if isinstance(stmt, ast.AugAssign):
        target, value, op = stmt.target, stmt.value, stmt.op
    elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value, op = stmt.targets[0], stmt.value, None
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        target, value, op = stmt.target, stmt.value, None
    else:
        what = "a call" if isinstance(stmt, ast.Expr) else f"a `{type(stmt).__name__}` statement"
        raise ConfirmError(
            "no-statement",
            f"line {line} is {what}, not an assignment; confirm splits an assignment "
            "(`x = ...`, `x += ...`, `obj.attr = ...`, `d[key] = ...`) into its read and its write",
        )
    if not isinstance(target, (ast.Name, ast.Attribute, ast.Subscript)):
        raise ConfirmError(
            "no-statement", f"line {line} assigns to several targets at once; confirm needs one name, attribute or item"
        )
    return target, value, op


def enclosing(node, parents, kinds):
    while node in parents:
        node = parents[node]
        if isinstance(node, kinds):
            return node
    return None


FUNCTION_KINDS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def function_of(node, parents):
    """The innermost def or class body around a node, or None at module level."""
    return enclosing(node, parents, FUNCTION_KINDS + (ast.ClassDef,))


def name_kind(name, stmt, parents, source, path):
    """'global' or 'cell' for a shared name, from the compiler's own scoping (symtable)."""
    scope = function_of(stmt, parents)
    if scope is None:
        return "global"
    if isinstance(scope, ast.ClassDef):
        raise ConfirmError(
            "no-statement", f"`{name}` on line {stmt.lineno} is a class attribute set while the class is created"
        )
    table = function_table(symtable.symtable(source, path, "exec"), scope)
    symbol = table.lookup(name) if table else None
    if symbol is None:
        raise ConfirmError("no-statement", f"cannot tell how `{name}` is scoped on line {stmt.lineno}")
    if symbol.is_global():
        return "global"
    if symbol.is_free() or any(child_uses_free(child, name) for child in table.get_children()):
        return "cell"
    raise ConfirmError(
        "no-statement",
        f"`{name}` on line {stmt.lineno} is a local variable of `{scope.name}`: every call has its own, "
        "so no other thread can write it",
    )


def function_table(table, scope):
    if table.get_type() == "function" and table.get_name() == scope.name and table.get_lineno() == scope.lineno:
        return table
    for child in table.get_children():
        found = function_table(child, scope)
        if found:
            return found
    return None


def child_uses_free(table, name):
    """True when a nested scope reads `name` from the enclosing function, making it a closure cell."""
    try:
        if table.lookup(name).is_free():
            return True
    except KeyError:
        pass
    return any(child_uses_free(child, name) for child in table.get_children())


def shape(node):
    """A node's structure without load/store context or positions, for comparing expressions."""
    return re.sub(r",? ?ctx=\w+\(\)", "", ast.dump(node))


def reads_target(value, target):
    """True when the right-hand side reads the location the statement writes."""
    want = shape(target)
    for node in ast.walk(value):
        if isinstance(node, type(target)) and shape(node) == want:
            return True
        if isinstance(target, ast.Subscript) and isinstance(node, ast.Call) and keyed_read(node, target):
            return True
        if isinstance(target, ast.Attribute) and isinstance(node, ast.Call) and getattr_read(node, target):
            return True
    return False


def subscript_key(target):
    key = target.slice
    # Python 3.8 wraps a plain key in ast.Index.
    return key.value if type(key).__name__ == "Index" else key


def keyed_read(call, target):
    """`d.get(k, ...)`, `d.setdefault(k, ...)` and `d.pop(k, ...)` read `d[k]`."""
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in ("get", "setdefault", "pop")
        and shape(func.value) == shape(target.value)
        and call.args
        and shape(call.args[0]) == shape(subscript_key(target))
    )


def getattr_read(call, target):
    return (
        isinstance(call.func, ast.Name)
        and call.func.id == "getattr"
        and len(call.args) >= 2
        and shape(call.args[0]) == shape(target.value)
        and isinstance(call.args[1], ast.Constant)
        and call.args[1].value == target.attr
    )


def is_pure(node):
    """Names, constants and attribute or item chains of them: safe to evaluate once more at the check."""
    if isinstance(node, (ast.Name, ast.Constant)):
        return True
    if isinstance(node, ast.Attribute):
        return is_pure(node.value)
    if isinstance(node, ast.Subscript):
        return is_pure(node.value) and is_pure(subscript_key(node))
    if isinstance(node, ast.Tuple):
        return all(is_pure(e) for e in node.elts)
    return False


def mentions(test, target):
    """Does an `if` test look at the target: its name, its attribute, or the container it indexes?"""
    wanted = shape(target.value) if isinstance(target, ast.Subscript) else shape(target)
    return any(shape(node) == wanted for node in ast.walk(test) if isinstance(node, ast.expr))


def guard_of(stmt, target, parents):
    """The nearest `if` in the same function whose test looks at the target: the check of a check-then-act."""
    node = stmt
    while node in parents:
        parent = parents[node]
        if isinstance(parent, FUNCTION_KINDS + (ast.ClassDef,)):
            return None
        if isinstance(parent, ast.If) and node is not parent.test and mentions(parent.test, target):
            return parent
        node = parent
    return None


class Site:
    """What is rewritten: the statement, its location and, for a check-then-act, its guard."""

    def __init__(self, tree, source, path, line):
        parents = parents_of(tree)
        self.stmt = statement_at(tree, line)
        self.target, self.value, self.op = assignment_parts(self.stmt, line)
        self.line = self.stmt.lineno
        self.kind = self.location_kind(parents, source, path)
        self.reads = self.op is not None or reads_target(self.value, self.target)
        self.guard = guard_of(self.stmt, self.target, parents)
        if self.guard is not None and not self.location_is_pure():
            self.guard = None
        if not self.reads and self.guard is None:
            raise ConfirmError(
                "no-statement",
                f"line {self.line} writes `{unparse(self.target)}` without reading it and without an `if` "
                "that checks it: there is no read-write window to widen",
            )
        self.parents = parents

    def location_kind(self, parents, source, path):
        if isinstance(self.target, ast.Name):
            return name_kind(self.target.id, self.stmt, parents, source, path)
        return "attr" if isinstance(self.target, ast.Attribute) else "item"

    def location_is_pure(self):
        if isinstance(self.target, ast.Name):
            return True
        if isinstance(self.target, ast.Attribute):
            return is_pure(self.target.value)
        return is_pure(self.target.value) and is_pure(subscript_key(self.target))

    def location_text(self, key):
        """The location as the user wrote it, with the item's key filled in: `counts['alpha']`."""
        if self.kind == "item":
            return f"{unparse(self.target.value)}[{key!r}]"
        return unparse(self.target)

    def describe(self, lines):
        return {
            "line": self.line,
            "end_line": self.stmt.end_lineno or self.line,
            "text": lines[self.line - 1].strip() if self.line - 1 < len(lines) else "",
            "target": unparse(self.target),
            "location": {"global": "global", "cell": "closure cell", "attr": "attribute", "item": "item"}[self.kind],
            "reads": self.reads,
            "guard_line": self.guard.lineno if self.guard is not None else None,
        }


def unparse(node):
    return ast.unparse(node) if hasattr(ast, "unparse") else type(node).__name__


# --- the rewrite ---------------------------------------------------------------------


def template(text, **nodes):
    """Statements parsed from `text` and marked as generated, each Name in `nodes` replaced by a copy of its node."""

    class Fill(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id in nodes:
                return copy.deepcopy(nodes[node.id])
            return node

    stmts = ast.parse(text).body
    for stmt in stmts:
        for node in ast.walk(stmt):
            node._gil_lens_new = True
    return [Fill().visit(stmt) for stmt in stmts]


def located(stmts, origin):
    """Gives generated nodes the position of the statement they replace, so tracebacks point at it.

    The user's own expressions inside them keep their positions.
    """
    for stmt in stmts:
        for node in ast.walk(stmt):
            if "lineno" in node._attributes and (getattr(node, "_gil_lens_new", False) or not hasattr(node, "lineno")):
                ast.copy_location(node, origin)
    return stmts


def name(identifier, ctx=None):
    return ast.Name(id=identifier, ctx=ctx or ast.Load())


def assign(identifier, value):
    return ast.Assign(targets=[name(identifier, ast.Store())], value=value)


def item(obj, key):
    """`obj[key]` for the running Python (3.8 wraps a plain key in ast.Index)."""
    if sys.version_info < (3, 9):
        key = ast.Index(value=key)
    return ast.Subscript(value=obj, slice=key, ctx=ast.Load())


def parts_code(site, prefix):
    """Evaluates the target's object and key once (as the original statement does) and names the location.

    Returns the statements that evaluate them, the location's arguments for the
    runtime (as source text) and the expression that reads the location.
    """
    t = lambda part: TEMP.format(prefix + part)  # noqa: E731
    target = site.target
    if site.kind == "global":
        return [], f"'global', None, {target.id!r}", as_load(target)
    if site.kind == "cell":
        return [], f"'cell', (lambda: {target.id}).__closure__[0], None", as_load(target)
    code = [assign(t("o"), copy.deepcopy(target.value))]
    if site.kind == "attr":
        access = ast.Attribute(value=name(t("o")), attr=target.attr, ctx=ast.Load())
        return code, f"'attr', {t('o')}, {target.attr!r}", access
    code.append(assign(t("k"), copy.deepcopy(subscript_key(target))))
    return code, f"'item', {t('o')}, {t('k')}", item(name(t("o")), name(t("k")))


def as_store(node):
    node = copy.deepcopy(node)
    node.ctx = ast.Store()
    return node


def as_load(node):
    node = copy.deepcopy(node)
    node.ctx = ast.Load()
    return node


def rewrite_statement(site):
    """The statement as read, forced switch, write; wrapped so an exception at it is recorded."""
    t = TEMP.format
    rt = RUNTIME_NAME
    setup, loc, access = parts_code(site, "")
    body = []
    if site.op is not None:
        # `x op= e`: the object and key are evaluated first, then x is read, then e.
        body += setup
        body += template(f"{t('r')} = {rt}.begin_read({loc})")
        body += [assign(t("v"), access)]
        body += template(f"{t('t')} = {rt}.end_read({t('r')}, {loc})\n{rt}.switch()")
        body += [ast.AugAssign(target=name(t("v"), ast.Store()), op=site.op, value=site.value)]
    elif site.reads:
        # `x = f(x)`: the right-hand side (the read) comes first, then the object and key. When
        # they are plain names or attributes, naming the location first changes nothing.
        early, early_loc, _ = parts_code(site, "p") if site.location_is_pure() else ([], "", None)
        body += early
        body += template(f"{t('r')} = {rt}.begin_read({early_loc})")
        body += [assign(t("v"), site.value)]
        body += setup
        body += template(f"{t('t')} = {rt}.end_read({t('r')}, {loc})\n{rt}.switch()")
    else:
        # A guarded act: the value, then the location; its check token comes from the guard.
        body += [assign(t("v"), site.value)]
        body += setup
        body += template(f"{t('t')} = None\n{rt}.switch()")
    body += template(f"{t('w')} = {rt}.begin_write({t('t')}, {loc})")
    body += [ast.Assign(targets=[as_store(access)], value=name(t("v")))]
    body += template(f"{rt}.end_write({t('w')})")
    return located(recording(body, site.line), site.stmt)


def recording(body, line):
    """try: body / except BaseException as e: record it at `line`, then re-raise it unchanged."""
    rt = RUNTIME_NAME
    e = TEMP.format("e")
    handler = template(f"try:\n    pass\nexcept BaseException as {e}:\n    {rt}.raised({line}, {e})\n    raise")[0]
    handler.body = body
    return [handler]


def rewrite_guard(site):
    """`if test:` becomes: note the location's version around the test, then `if <the test's value>:`."""
    t = TEMP.format
    rt = RUNTIME_NAME
    guard = site.guard
    setup, loc, _ = parts_code(site, "g")
    body = list(setup)
    body += template(f"{t('gr')} = {rt}.begin_read({loc})")
    body += [assign(t("gc"), guard.test)]
    # A switch right after the check lets the other threads make the same check before this one acts.
    body += template(f"{rt}.checked({t('gr')}, {loc})\n{rt}.switch()")
    before = located(recording(body, guard.lineno), guard)
    guard.test = ast.copy_location(name(t("gc")), guard.test)
    return before


def replace_in_parent(node, parents, replacement):
    parent = parents[node]
    for field in ("body", "orelse", "finalbody"):
        stmts = getattr(parent, field, None)
        if isinstance(stmts, list) and any(s is node for s in stmts):
            index = next(i for i, s in enumerate(stmts) if s is node)
            stmts[index : index + 1] = replacement
            return
    raise ConfirmError("no-statement", f"cannot rewrite the statement on line {node.lineno}")


def instrument(tree, site):
    """Rewrites the site in place: the statement, and the guard's test when there is one."""
    replace_in_parent(site.stmt, site.parents, rewrite_statement(site))
    if site.guard is not None:
        replace_in_parent(site.guard, site.parents, rewrite_guard(site) + [site.guard])
    ast.fix_missing_locations(tree)
    for node in ast.walk(tree):
        if hasattr(node, "_gil_lens_new"):
            del node._gil_lens_new
    return tree


# --- the runtime the rewritten statement calls --------------------------------------------


class Token:
    """What one read or check saw: the location's version, and whether that is certain."""

    __slots__ = ("key", "version", "certain", "events", "thread", "line", "kind")

    def __init__(self, key, version, certain, events, thread, line, kind):
        self.key, self.version, self.certain, self.events = key, version, certain, events
        self.thread, self.line, self.kind = thread, line, kind


class Recorder:
    """Versions of the rewritten location and what every thread did to it, for one run.

    One lock guards the bookkeeping only; the user's loads and stores run
    outside it, so the race stays a race. `busy` counts stores in progress: a
    read or check that overlaps one cannot know which value it saw, and is
    never used as evidence.
    """

    def __init__(self, site, force_switch):
        self.site = site
        self.force_switch = force_switch
        self.forced = 0
        self.lock = threading.Lock()
        self.local = threading.local()
        self.writes = 0
        self.busy = 0
        self.writing = {}
        self.events = 0
        self.versions = {}
        self.pins = {}
        self.history = {}
        self.executions = 0
        self.contended = 0
        self.threads = set()
        self.evidence = {}
        self.exceptions = {}

    def key(self, kind, obj, name):
        """A location: a global by its module's dict, a cell by itself, an attribute or item by its object.

        Every caller is a method that the rewritten statement calls directly, so
        the statement's frame, whose globals a global lives in, is two frames up.
        """
        if kind == "global":
            obj = sys._getframe(2).f_globals
        try:
            hash(name)
        except TypeError:
            return None
        key = (kind, id(obj), name)
        # The object is kept alive for the run so that its id cannot be reused by another.
        self.pins.setdefault(key, obj)
        return key

    def begin_read(self, kind=None, obj=None, name=None):
        """Starts a read or check; the location is named here when it is known before the read."""
        key = self.key(kind, obj, name) if kind else None
        with self.lock:
            self.events += 1
            self.local.start = self.events
            if key is not None:
                return (key, self.versions.get(key, 0), self.writing.get(key, 0), self.events)
            return (None, self.writes, self.busy, self.events)

    def end_read(self, snapshot, kind, obj, name):
        return self.token(snapshot, self.key(kind, obj, name), self.site.line, "read")

    def checked(self, snapshot, kind, obj, name):
        self.local.check = self.token(snapshot, self.key(kind, obj, name), self.site.guard.lineno, "check")

    def token(self, snapshot, key, line, kind):
        """The version the read saw; certain only when no write of the location overlapped it."""
        named, writes, busy, events = snapshot
        thread = threading.current_thread().name
        with self.lock:
            version = self.versions.get(key, 0)
            if named is not None:
                certain = named == key and writes == version and busy == 0 and self.writing.get(key, 0) == 0
            else:
                # The location was not known before the read: no write anywhere at the site may overlap it.
                certain = key is not None and writes == self.writes and busy == 0 and self.busy == 0
            self.threads.add(thread)
        return Token(key, version, certain, events, thread, line, kind)

    def switch(self):
        if self.force_switch and self.forced < MAX_FORCED_SWITCHES:
            self.forced += 1
            time.sleep(0)

    def begin_write(self, read, kind, obj, name):
        """Marks a store in progress. A store that raises leaves the location busy for the rest of
        the run, which only makes later reads uncertain: it can hide evidence, never invent it."""
        check = getattr(self.local, "check", None)
        self.local.check = None
        key = self.key(kind, obj, name)
        with self.lock:
            self.busy += 1
            self.writing[key] = self.writing.get(key, 0) + 1
            return (key, read, check, self.versions.get(key, 0))

    def end_write(self, ticket):
        key, read, check, before = ticket
        thread = threading.current_thread().name
        with self.lock:
            self.busy -= 1
            self.writing[key] -= 1
            version = self.versions.get(key, 0) + 1
            self.versions[key] = version
            self.writes += 1
            start = read or check
            contended = start is not None and self.events != start.events
            self.events += 1
            self.executions += 1
            self.contended += contended
            self.threads.add(thread)
            history = self.history.setdefault(key, collections.deque(maxlen=HISTORY))
            history.append((version, thread))
            for token, kind in ((read, "lost-update"), (check, "stale-check")):
                if token is not None and token.certain and token.key == key and before > token.version:
                    self.note(kind, token, before, version, thread, history)
                    break

    def note(self, kind, token, before, version, thread, history):
        entry = self.evidence.setdefault(kind, {"count": 0, "example": None})
        entry["count"] += 1
        if entry["example"] is None:
            entry["example"] = interleaving(kind, token, before, version, thread, history, self.site)

    def raised(self, line, exc):
        if not isinstance(exc, Exception):
            return
        thread = threading.current_thread().name
        with self.lock:
            start = getattr(self.local, "start", None)
            contended = start is not None and self.events != start
        message = str(exc).splitlines()[0][:200] if str(exc) else ""
        typical = isinstance(exc, RuntimeError) and bool(ITERATION_ERROR.search(message))
        entry = self.exceptions.setdefault(
            (type(exc).__name__, line), {"count": 0, "evidence": 0, "example": None, "uncounted": None}
        )
        entry["count"] += 1
        described = {"thread": thread, "line": line, "exception": type(exc).__name__, "message": message}
        if typical or contended:
            entry["evidence"] += 1
            if entry["example"] is None:
                described["text"] = (
                    f"thread {thread} raised {type(exc).__name__}"
                    f"{': ' + message if message else ''} at line {line}"
                    + (" while another thread was inside the statement" if contended else "")
                )
                entry["example"] = described
        elif entry["uncounted"] is None:
            entry["uncounted"] = described

    def summary(self):
        evidence = [{"kind": kind, "line": self.site.line, **entry} for kind, entry in self.evidence.items()]
        uncounted = []
        for (exception, line), entry in self.exceptions.items():
            if entry["evidence"]:
                count = entry["evidence"]
                evidence.append({"kind": "exception", "line": line, "count": count, "example": entry["example"]})
            if entry["count"] > entry["evidence"]:
                message = (entry["uncounted"] or entry["example"])["message"]
                uncounted.append((exception, line, entry["count"] - entry["evidence"], message))
        return {
            "executions": self.executions,
            "contended": self.contended,
            "forced_switches": self.forced,
            "threads_seen": len(self.threads),
            "evidence": evidence,
            "uncounted": uncounted,
        }


def interleaving(kind, token, before, version, thread, history, site):
    """One concrete interleaving, as steps and as a sentence."""
    others = [(v, t) for v, t in history if token.version < v <= before]
    other_version, other = others[0] if others else (token.version + 1, "another thread")
    more = before - token.version - 1
    did = "read" if kind == "lost-update" else "checked"
    where = site.location_text(token.key[2])
    steps = [
        {"thread": token.thread, "action": did, "version": token.version, "line": token.line},
        {"thread": other, "action": "write", "version": other_version, "line": site.line},
        {"thread": thread, "action": "write", "version": version, "based_on": token.version, "line": site.line},
    ]
    also = f" (and {more} more write{'s' if more > 1 else ''})" if more > 0 else ""
    if kind == "lost-update":
        text = (
            f"thread {token.thread} read {where} at version {token.version} (line {token.line}); thread {other} wrote "
            f"version {other_version}{also}; thread {thread} wrote version {version} based on {token.version}, "
            f"so the update of version {other_version} was lost"
        )
    else:
        text = (
            f"thread {token.thread} checked {where} at version {token.version} (line {token.line}); "
            f"thread {other} wrote "
            f"version {other_version} at line {site.line}{also}; thread {thread} still acted on its check and "
            f"wrote version {version} at line {site.line}"
        )
    return {"location": where, "thread": token.thread, "other_thread": other, "steps": steps, "text": text}


# --- the import hook ----------------------------------------------------------------------


class RewritingLoader(importlib.abc.Loader):
    """Executes the rewritten code in a fresh module with the run's recorder in its globals."""

    def __init__(self, code, recorder):
        self.code = code
        self.recorder = recorder

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__dict__[RUNTIME_NAME] = self.recorder()
        exec(self.code, module.__dict__)


class RewritingFinder(importlib.abc.MetaPathFinder):
    """Serves the user's file, under the target name or its own, from the rewritten code."""

    def __init__(self, path, code, recorder):
        self.path = os.path.abspath(path)
        self.stem = os.path.splitext(os.path.basename(path))[0]
        self.loader = RewritingLoader(code, recorder)

    def find_spec(self, fullname, path=None, target=None):
        if fullname == TARGET_MODULE_NAME:
            return importlib.util.spec_from_file_location(fullname, self.path, loader=self.loader)
        if fullname.rpartition(".")[2] != self.stem:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.origin and same_file(spec.origin, self.path):
            return importlib.util.spec_from_file_location(fullname, self.path, loader=self.loader)
        return None


def same_file(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


# --- what runs -------------------------------------------------------------------------------


def top_level_names(tree):
    """Top-level defs and classes (with their method names), from the source alone."""
    names = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names[node.name] = node
        elif isinstance(node, ast.ClassDef):
            names[node.name] = {
                item.name: item for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
    return names


def call_function(text):
    """The `name` or `Class.method` a call text calls, read with ast only."""
    try:
        call = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ConfirmError("invalid-call", f"the call is not a Python expression: {exc.msg}") from None
    if not isinstance(call, ast.Call):
        raise ConfirmError("invalid-call", "the call must be a single call, like register('x', None)")
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
        inner = harness.dotted_name(func.value.func)
        return f"{inner}.{func.attr}" if inner and "." not in inner else None
    return harness.dotted_name(func)


def plan_call(text, tree):
    """Checks the call text like the benchmark does, plus: it calls a def or class of this module."""
    if not isinstance(text, str) or len(text) > harness.MAX_CALL_TEXT:
        raise ConfirmError("invalid-call", "the call must be a string of at most 10000 characters")
    function = call_function(text)
    if not function or function.count(".") > 1:
        raise ConfirmError("invalid-call", "the call must call a function or Class.method of the module by name")
    plan = harness.parse_call(text, function)
    names = top_level_names(tree)
    head, _, method = function.partition(".")
    defined = names.get(head)
    if defined is None or head.startswith("__"):
        raise ConfirmError(
            "invalid-call", f"`{head}` is not a function or class defined at the top level of the module"
        )
    if method and (not isinstance(defined, dict) or method not in defined):
        raise ConfirmError("invalid-call", f"`{head}` has no method `{method}` in the module's source")
    return function, plan


def plan_entry(name, tree):
    """The default run: a top-level function called with no arguments."""
    node = top_level_names(tree).get(name) if isinstance(name, str) else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise ConfirmError("usage", f"`{name}` is not a function defined at the top level of the module")
    args = node.args
    required = len(args.args) + len(getattr(args, "posonlyargs", [])) - len(args.defaults)
    required += sum(1 for d in args.kw_defaults if d is None)
    if isinstance(node, ast.AsyncFunctionDef):
        raise ConfirmError("usage", f"`{name}` is a coroutine function; name a plain call with --call")
    if required > 0:
        raise ConfirmError("usage", f"`{name}` needs arguments; name a call with --call")
    return name, {"args": [], "kwargs": {}, "ctor": None}


def fresh_module():
    """Imports the user's module again, so each run starts from the module's initial state."""
    sys.modules.pop(TARGET_MODULE_NAME, None)
    return importlib.import_module(TARGET_MODULE_NAME)


def run_entry(fn, plan):
    """Calls the entry in this thread, then waits (bounded) for the threads it left running."""
    before = set(threading.enumerate())
    fn(*plan["args"], **plan["kwargs"])
    deadline = time.monotonic() + JOIN_S
    for thread in threading.enumerate():
        if thread not in before and not thread.daemon:
            thread.join(max(0.0, deadline - time.monotonic()))


def run_threads(fn, plan, count):
    """Starts `count` threads that make the call at once, released by a barrier."""
    barrier = threading.Barrier(count)
    errors = []

    def body():
        barrier.wait()
        try:
            fn(*plan["args"], **plan["kwargs"])
        except Exception:
            errors.append(short_traceback())

    threads = [threading.Thread(target=body, name=f"T{i + 1}", daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    # A call that never returns is stopped by the caller's hard timeout, which kills the process group.
    for thread in threads:
        thread.join()
    return errors


def install_hook(path, code, current):
    """Puts the rewriting finder first on sys.meta_path and the module's folder on sys.path."""
    sys.meta_path.insert(0, RewritingFinder(path, code, lambda: current["recorder"]))
    directory = os.path.dirname(os.path.abspath(path))
    if directory not in sys.path:
        sys.path.insert(0, directory)


def catch_thread_errors(errors):
    """Keeps the tracebacks of exceptions that end a thread; they are still printed to stderr."""
    original = threading.excepthook

    def hook(args):
        if len(errors) < 3 and args.exc_type is not SystemExit:
            errors.append(user_traceback(args.exc_value))
        original(args)

    threading.excepthook = hook


def run_once(request, function, plan, errors):
    """One run: a fresh import of the rewritten module, then the entry or the N simultaneous calls."""
    try:
        module = fresh_module()
    except BaseException:
        raise ConfirmError("import", "the module failed to import", tb=short_traceback()) from None
    target = harness.resolve_target(module, function, plan)
    try:
        if request.get("call"):
            errors += run_threads(target, plan, request["threads"])
        else:
            run_entry(target, plan)
    except Exception:
        errors.append(short_traceback())


def confirm(request, tree, site, code):
    """Runs until evidence appears, the runs are done or the time budget would be exceeded."""
    function, plan = (
        plan_call(request["call"], tree) if request.get("call") else plan_entry(request.get("entry"), tree)
    )
    current = {}
    install_hook(request["module_path"], code, current)
    sys.setswitchinterval(1e-6)
    totals = {"executions": 0, "contended": 0, "forced_switches": 0, "threads_seen": 0}
    evidence, uncounted, notes, errors = {}, {}, [], []
    catch_thread_errors(errors)
    started = time.monotonic()
    runs, last = 0, 0.0
    while runs < request["runs"] and not evidence:
        if runs and time.monotonic() - started + last > request["budget_s"]:
            notes.append(f"stopped after {runs} of {request['runs']} runs to stay within the time limit")
            break
        begun = time.monotonic()
        current["recorder"] = Recorder(site, request["force_switch"])
        emit({"event": "progress", "mode": "run", "message": f"run {runs + 1} of {request['runs']}"})
        run_once(request, function, plan, errors)
        runs += 1
        last = time.monotonic() - begun
        merge(totals, evidence, uncounted, current["recorder"].summary())
    return {
        "function": function,
        "runs": runs,
        **totals,
        "evidence": list(evidence.values()),
        "notes": (notes + uncounted_notes(uncounted))[:10],
        "errors": errors[:3],
    }


def merge(totals, evidence, uncounted, summary):
    """Adds one run's summary to the totals; evidence and uncounted exceptions add up by kind and line."""
    for key in ("executions", "contended", "forced_switches"):
        totals[key] += summary[key]
    totals["threads_seen"] = max(totals["threads_seen"], summary["threads_seen"])
    for item in summary["evidence"]:
        key = (item["kind"], item["line"], (item.get("example") or {}).get("exception"))
        if key in evidence:
            evidence[key]["count"] += item["count"]
        else:
            evidence[key] = item
    for exception, line, count, message in summary["uncounted"]:
        seen = uncounted.setdefault((exception, line), [0, message])
        seen[0] += count


def uncounted_notes(uncounted):
    return [
        f"{count} × {exception} at line {line} with no other thread inside the statement, "
        f"so not counted as evidence: {message}"
        for (exception, line), (count, message) in uncounted.items()
    ]


def short_traceback():
    return user_traceback(sys.exc_info()[1])


def user_traceback(exc):
    """An exception's traceback without the frames of this file, the harness or the threading machinery."""
    hidden = {os.path.basename(__file__), os.path.basename(harness.__file__), "threading.py"}
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.basename(f.filename) not in hidden]
    lines = ["Traceback (most recent call last):\n"] + traceback.format_list(frames)
    return "".join(lines + traceback.format_exception_only(type(exc), exc))


# --- entry point --------------------------------------------------------------------------------


def validate_request(request):
    if not isinstance(request, dict) or not isinstance(request.get("module_path"), str):
        raise ConfirmError("usage", "the request needs module_path")
    for key, low, high in (("line", 1, 10**7), ("threads", 2, 256), ("runs", 1, 10_000)):
        value = request.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ConfirmError("usage", f"{key} must be an integer from {low} to {high}")
    if not isinstance(request.get("budget_s", 60), (int, float)):
        raise ConfirmError("usage", "budget_s must be a number")
    request.setdefault("budget_s", 60.0)
    request["force_switch"] = request.get("force_switch") is not False
    if not request.get("call") and not request.get("entry"):
        raise ConfirmError("usage", "the request needs an entry function or a call")


def read_site(request):
    """Parses the file and finds the statement; nothing of the user's runs yet."""
    path = request["module_path"]
    try:
        with open(path, "rb") as fh:
            source = importlib.util.decode_source(fh.read())
    except (OSError, UnicodeDecodeError, SyntaxError) as exc:
        raise ConfirmError("usage", f"cannot read {path}: {exc}") from None
    try:
        tree = ast.parse(source, path)
    except SyntaxError as exc:
        raise ConfirmError("usage", f"{path} is not valid Python: {exc.msg} (line {exc.lineno})") from None
    site = Site(tree, source, path, request["line"])
    return source, tree, site


def main():
    global _protocol
    _protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    sys.dont_write_bytecode = True
    try:
        request = json.loads(sys.stdin.read())
        validate_request(request)
        source, tree, site = read_site(request)
        statement = site.describe(source.splitlines())
        # The call is checked before the module is compiled or imported.
        if request.get("call"):
            plan_call(request["call"], tree)
        else:
            plan_entry(request.get("entry"), tree)
        code = compile(instrument(tree, site), request["module_path"], "exec")
        outcome = confirm(request, tree, site, code)
        info = harness.interpreter_info()
        emit({"event": "result", "ok": True, "interpreter": info, "statement": statement, **outcome})
        return 0
    except harness.HarnessError as err:
        emit({"event": "result", "ok": False, "interpreter": harness.interpreter_info(), "error": err.to_json()})
        return 1
    except Exception as exc:
        emit({"event": "result", "ok": False, "error": {"kind": "harness", "message": repr(exc)}})
        return 1


if __name__ == "__main__":
    code = main()
    # Threads the user's code left running must not hold the process open.
    sys.stderr.flush()
    os._exit(code)
