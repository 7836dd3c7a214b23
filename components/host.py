"""Adjustments to the stock dynamic-provider host (`python -m pulumi.dynamic`, run by the Pulumi CLI).

The host cannot be configured, so the provider adjusts it from inside when its module is first loaded there:
- errors meant for the user (CvmImageError) reach the engine as their message, not as a Python traceback;
- the 4-worker cap on concurrent operations is lifted, and requests already queued behind it start at once;
- the engine's Cancel (the first Ctrl-C) throws the process's Cancellation instead of doing nothing;
- Diff answers carry the provider's detailed diff (the stock host drops it), so `pulumi preview --json` marks
  replacing properties `update-replace`;
- the process ends when the engine that started it is gone (a killed CLI), instead of lingering.
It also tells the provider what the host knows: the engine's address and the request each thread serves.
Anywhere else (tests, `pulumi.runtime` mocks) and on a host whose internals differ, nothing is changed.
"""

import gc
import os
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from types import FrameType, ModuleType, SimpleNamespace
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2

from .cloud.cancel import CANCELLATION
from .cloud.errors import CvmImageError

MAX_CONCURRENT_OPERATIONS = 256
SERVICE = "pulumirpc.ResourceProvider"
ENGINE_CHECK_SECONDS = 2.0
ENGINE_MISSES_TO_EXIT = 3
RESOURCE_REQUESTS = (
    provider_pb2.CreateRequest, provider_pb2.ReadRequest, provider_pb2.UpdateRequest, provider_pb2.DeleteRequest,
    provider_pb2.DiffRequest,
)
_detail = threading.local()


def adapt() -> None:
    server_module = _dynamic_host()
    if server_module is None:
        return
    server_module.traceback = SimpleNamespace(format_exc=_format_for_user)
    _wrap(server_module, "proto", _WithDetailedDiff)
    for state in _grpc_server_states():
        _lift_worker_cap(state)
        _handle_cancel(state)
    if (address := engine_address()) is not None:
        threading.Thread(target=_exit_when_gone, args=(address,), name="engine-watchdog", daemon=True).start()


def _wrap(module: ModuleType, name: str, wrapper: Any) -> None:
    """Replace `module.name` by `wrapper(module.name)`, where the host has it (and has not been wrapped already)."""
    original = getattr(module, name, None)
    if original is not None and not getattr(original, "_cvm_images_wrapped", False):
        wrapped = wrapper(original)
        wrapped._cvm_images_wrapped = True
        setattr(module, name, wrapped)


def detail_next_diff(detailed: Mapping[str, str]) -> None:
    """The detailed diff ({property: PropertyDiff kind name}) for the Diff answer this thread is about to send."""
    _detail.value = dict(detailed)


class _WithDetailedDiff:
    """The host's `proto` module, but a DiffResponse also carries the detailed diff its thread's provider gave."""

    def __init__(self, proto: Any) -> None:
        self._proto = proto
        self.DiffResponse = _DiffResponseWithDetail(proto.DiffResponse)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._proto, name)


class _DiffResponseWithDetail:
    """DiffResponse(**fields) plus the detailed diff; its constants (DIFF_SOME, ...) as the message class has them."""

    def __init__(self, message: Any) -> None:
        self._message = message

    def __getattr__(self, name: str) -> Any:
        return getattr(self._message, name)

    def __call__(self, **fields: Any) -> Any:
        detailed = getattr(_detail, "value", None)
        _detail.value = None
        if detailed is not None:
            kinds = provider_pb2.PropertyDiff.Kind
            fields["detailedDiff"] = {key: provider_pb2.PropertyDiff(kind=kinds.Value(kind), inputDiff=True) for key, kind in detailed.items()}
            fields["hasDetailedDiff"] = True
        return self._message(**fields)


def _exit_when_gone(address: str) -> None:
    """End the process once the engine has stopped answering: a killed CLI leaves its plugins running otherwise."""
    host, _, port = address.rpartition(":")
    misses = 0
    while misses < ENGINE_MISSES_TO_EXIT:
        time.sleep(ENGINE_CHECK_SECONDS)
        try:
            socket.create_connection((host or "127.0.0.1", int(port)), timeout=ENGINE_CHECK_SECONDS).close()
            misses = 0
        except OSError:
            misses += 1
    os._exit(0)


def engine_address() -> str | None:
    """The engine's gRPC address, which the CLI passes the host as its one argument; None anywhere else."""
    if _dynamic_host() is None or len(sys.argv) < 2:
        return None
    return sys.argv[1]


def serving_request() -> Any | None:
    """The engine's request (Create, Read, Update, Delete or Diff) the calling thread serves; None outside one.

    Read from the servicer method's `request` argument up the call stack rather than recorded by wrapping the
    host's handlers: requests the host dispatched before this module was loaded (every Delete of a cold
    `pulumi destroy`) already hold the unwrapped handler.
    """
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        request = frame.f_locals.get("request")
        if isinstance(request, RESOURCE_REQUESTS):
            return request
        frame = frame.f_back
    return None


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


def _grpc_server_states() -> Iterator[Any]:
    for obj in gc.get_objects():
        if type(obj).__module__ == "grpc._server" and type(obj).__name__ == "_Server":
            state = getattr(obj, "_state", None)
            if state is not None:
                yield state


def _lift_worker_cap(state: Any) -> None:
    """Raise the gRPC server's ThreadPoolExecutor limit and start a thread for each request already queued.

    ThreadPoolExecutor only starts a thread when work is submitted, so without the second step the requests that
    queued up behind the cap (while this module was being loaded) would still wait for one of the first 4 threads.
    """
    pool = getattr(state, "thread_pool", None)
    if not isinstance(pool, ThreadPoolExecutor) or getattr(pool, "_max_workers", 0) >= MAX_CONCURRENT_OPERATIONS:
        return
    pool._max_workers = MAX_CONCURRENT_OPERATIONS
    start_thread = getattr(pool, "_adjust_thread_count", None)
    queue = getattr(pool, "_work_queue", None)
    lock = getattr(pool, "_shutdown_lock", None)
    if start_thread is None or queue is None or lock is None:
        return
    with lock:  # as ThreadPoolExecutor.submit holds it around the same call
        if not getattr(pool, "_shutdown", True):
            for _ in range(queue.qsize()):
                start_thread()


def _handle_cancel(state: Any) -> None:
    """Answer the engine's Cancel ahead of the stock servicer's, whose Cancel does nothing."""
    handlers = getattr(state, "generic_handlers", None)
    lock = getattr(state, "lock", None)
    if not isinstance(handlers, list) or lock is None:
        return
    cancel = grpc.unary_unary_rpc_method_handler(
        _cancel, request_deserializer=empty_pb2.Empty.FromString, response_serializer=empty_pb2.Empty.SerializeToString
    )
    with lock:
        handlers.insert(0, grpc.method_handlers_generic_handler(SERVICE, {"Cancel": cancel}))


def _cancel(_request: empty_pb2.Empty, _context: grpc.ServicerContext) -> empty_pb2.Empty:
    CANCELLATION.cancel()
    return empty_pb2.Empty()
