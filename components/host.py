"""Adjustments to the stock dynamic-provider host (`python -m pulumi.dynamic`, run by the Pulumi CLI).

The host cannot be configured, so the provider adjusts it from inside when its module is first loaded there:
- errors meant for the user (CvmImageError) reach the engine as their message, not as a Python traceback;
- the 4-worker cap on concurrent operations is lifted, so every image the engine creates at once bakes at once.
Anywhere else (tests, `pulumi.runtime` mocks) and on a host whose internals differ, nothing is changed.
"""

import gc
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType, SimpleNamespace

from .errors import CvmImageError

MAX_CONCURRENT_OPERATIONS = 256


def adapt() -> None:
    server_module = _dynamic_host()
    if server_module is None:
        return
    server_module.traceback = SimpleNamespace(format_exc=_format_for_user)
    _lift_worker_cap()


def _dynamic_host() -> ModuleType | None:
    main = sys.modules.get("__main__")
    if main is None or not hasattr(main, "DynamicResourceProviderServicer") or not hasattr(main, "traceback"):
        return None
    return main


def _format_for_user() -> str:
    """What the host sends the engine when an operation fails: the message alone for the user's own errors."""
    error = sys.exc_info()[1]
    if isinstance(error, CvmImageError):
        return str(error)
    return traceback.format_exc()


def _lift_worker_cap() -> None:
    """Raise the gRPC server's ThreadPoolExecutor limit; threads are still only started as requests arrive."""
    for obj in gc.get_objects():
        if type(obj).__module__ == "grpc._server" and type(obj).__name__ == "_Server":
            pool = getattr(getattr(obj, "_state", None), "thread_pool", None)
            if isinstance(pool, ThreadPoolExecutor) and getattr(pool, "_max_workers", 0) < MAX_CONCURRENT_OPERATIONS:
                pool._max_workers = MAX_CONCURRENT_OPERATIONS
