"""Process-wide configuration registry.  Settings() is a thread-safe singleton
read and overridden from any thread (web workers, jobs, the admin console)."""
import os
import threading

_DEFAULTS = {}
for _key in ("timeout", "retries", "region"):
    _DEFAULTS[_key] = os.environ.get("APP_" + _key.upper())


class Settings:
    """Thread-safe process-wide settings."""
    _instance = None
    _lock = threading.Lock()
    _overrides = {}
    _watchers = {}
    _generation = 0
    _reads = 0

    def __new__(cls):
        if cls._instance is None:
            inst = super().__new__(cls)
            inst.listeners = []
            cls._instance = inst  # expect: shared-mutation
        return cls._instance

    @classmethod
    def override(cls, key, value):
        with cls._lock:
            cls._overrides[key] = value
            cls._generation += 1

    @classmethod
    def reset(cls, key):
        if key in cls._overrides:
            del cls._overrides[key]  # expect: shared-mutation
            cls._generation += 1  # expect: shared-mutation

    @classmethod
    def stats(cls):
        with cls._lock:
            reads, cls._reads = cls._reads, 0
            return {"reads": reads, "generation": cls._generation}

    def get(self, key, default=None):
        type(self)._reads += 1  # expect: shared-mutation
        value = self._overrides.get(key)
        if value is None:
            value = _DEFAULTS.get(key)
        return default if value is None else value

    def watch(self, key, callback):
        if key not in self.__class__._watchers:
            self.__class__._watchers[key] = [callback]  # expect: shared-mutation
        else:
            self.__class__._watchers[key].append(callback)


class _SingletonMeta(type):
    _instances = {}

    def __call__(cls, *args, **kwargs):
        if cls not in cls._instances:
            cls._instances[cls] = super().__call__(*args, **kwargs)  # expect: shared-mutation
        return cls._instances[cls]


class _LockedSingletonMeta(type):
    _instances = {}
    _guard = threading.Lock()

    def __call__(cls, *args, **kwargs):
        inst = cls._instances.get(cls)
        if inst is None:
            with cls._guard:
                inst = cls._instances.get(cls)
                if inst is None:
                    inst = super().__call__(*args, **kwargs)
                    cls._instances[cls] = inst
        return inst


class FeatureFlags(metaclass=_SingletonMeta):
    def __init__(self):
        self.enabled = set()


class SecretStore(metaclass=_LockedSingletonMeta):
    def __init__(self):
        self.secrets = {}
