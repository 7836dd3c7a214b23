"""The stock provider host (`python -m pulumi.dynamic`) serving CvmImageProvider against the test emulator, and a fake
engine for it to call back (the CLI passes the host the engine's address; the host's `Log` goes there)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

from components.provider import CvmImageProvider
from tests.engine.cvm_stack import PROJECT, SECRET_CONFIG_KEYS, emulator_config
from tests.engine.host import ProviderHost

STOPPED, RUNNING = "ins-emu00001", "ins-emu00002"
PICKLED_PROVIDER = serialize_provider(CvmImageProvider())


def image_urn(name: str) -> str:
    return f"urn:pulumi:test::{PROJECT}::cvm-images:index:GoldenImage$pulumi-python:dynamic/cvm:Image::{name}"


def image_inputs(instance_id: str, image_name: str, **more: Any) -> dict[str, Any]:
    """Create's properties as the engine sends them: the checked inputs and the pickled provider."""
    return {"instance_id": instance_id, "image_name": image_name, **more, PROVIDER_KEY: PICKLED_PROVIDER}


@contextmanager
def cvm_host(emulator: Any, engine_address: str | None = None) -> Iterator[ProviderHost]:
    """A configured stock host; cold: no request has loaded the provider's module yet."""
    with ProviderHost(project=PROJECT, engine_address=engine_address) as host:
        host.configure(emulator_config(emulator), SECRET_CONFIG_KEYS)
        yield host


def warm_up(host: ProviderHost) -> None:
    """A Check, which loads the provider's module (and so adapts the host) as the engine's first Check does."""
    _, failures = host.check(image_urn("warm-up"), {}, image_inputs(STOPPED, "warm-up"))
    assert failures == []


class FakeEngine(engine_pb2_grpc.EngineServicer):
    """The engine's Log service: records every request; answers UNAVAILABLE when `failing`."""

    def __init__(self, failing: bool) -> None:
        self.failing = failing
        self._logs: list[engine_pb2.LogRequest] = []
        self._lock = threading.Lock()

    def Log(self, request: engine_pb2.LogRequest, context: grpc.ServicerContext) -> empty_pb2.Empty:
        with self._lock:
            self._logs.append(request)
        if self.failing:
            context.abort(grpc.StatusCode.UNAVAILABLE, "the engine is gone")
        return empty_pb2.Empty()

    @property
    def logs(self) -> list[engine_pb2.LogRequest]:
        with self._lock:
            return list(self._logs)


@contextmanager
def fake_engine(failing: bool = False) -> Iterator[tuple[FakeEngine, str]]:
    """A fake engine and its address."""
    engine = FakeEngine(failing)
    server = grpc.server(ThreadPoolExecutor(max_workers=4))
    engine_pb2_grpc.add_EngineServicer_to_server(engine, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield engine, f"127.0.0.1:{port}"
    finally:
        server.stop(None)


def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def run_in_thread(call: Callable[[], object]) -> Callable[[float], tuple[float, BaseException | None]]:
    """Start `call`; the returned function joins it and gives (seconds it took after join started, error or None)."""
    outcome: dict[str, BaseException | None] = {"error": None}

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def join(timeout: float) -> tuple[float, BaseException | None]:
        started = time.monotonic()
        thread.join(timeout)
        assert not thread.is_alive(), f"still running {timeout} s after Cancel"
        return time.monotonic() - started, outcome["error"]

    return join
