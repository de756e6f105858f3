"""Plugin discovery and loading.  load_plugin() and friends are called from
any request thread; plugin instances and the catalog are process-wide."""
import importlib
import threading

BUILTIN = {"csv": "plugins.csv_:CsvPlugin", "json": "plugins.json_:JsonPlugin"}
_registry = {}
_registry.update(BUILTIN)
_instances = {}
_services = {}
_failures = {}
_load_lock = threading.RLock()
_load_count = 0
_on_load = ()
_on_unload = ()
_catalog = None


class Catalog:
    def __init__(self):
        self.lookups = 0
        self.entries = dict(_registry)

    def describe(self, name):
        self.lookups += 1  # expect: shared-mutation
        return self.entries.get(name, "<unknown>")


def _resolve(spec):
    mod_name, _, attr = spec.partition(":")
    return getattr(importlib.import_module(mod_name), attr)


def catalog():
    global _catalog
    with _load_lock:
        if _catalog is None:
            _catalog = Catalog()
        return _catalog


def load_plugin(name):
    global _load_count
    try:
        return _instances[name]
    except KeyError:
        plugin = _resolve(_registry[name])()
        _instances[name] = plugin  # expect: shared-mutation
        _load_count += 1  # expect: shared-mutation
        return plugin


def cached_plugin(name):
    if (plugin := _instances.get(name)) is not None:
        return plugin
    plugin = _resolve(_registry[name])()
    _instances[name] = plugin  # expect: shared-mutation
    return plugin


def unload_plugin(name):
    return _instances.pop(name, None)


def get_service(name):
    with _load_lock:
        service = _services.get(name)
        if service is None:
            service = _resolve(_registry[name])()
            _services[name] = service
        return service


def on_load(fn):
    global _on_load
    _on_load = _on_load + (fn,)  # expect: shared-mutation


def on_unload(fn):
    global _on_unload
    with _load_lock:
        _on_unload = _on_unload + (fn,)


def record_failure(name, exc):
    if name in _failures:
        _failures[name] = _failures[name] + [repr(exc)]  # expect: shared-mutation
    else:
        _failures[name] = [repr(exc)]  # expect: shared-mutation
