"""Progress lines while an image bakes, shown on the image's own row of `pulumi up`.

Under the Pulumi CLI each line goes to the engine's Log RPC with the image's URN and `ephemeral` set, as native
providers report status: the CLI shows it beside the resource and keeps it out of the diagnostics summary. Without an
engine address or a URN (tests, the engine double, a host whose internals differ) the line goes to stderr, which the
CLI would show under the stack. Reporting never fails the operation: a line the engine does not take goes to stderr.
"""

import sys
import threading

import grpc
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

LOG_TIMEOUT_SECONDS = 10.0


class ProgressLog:
    """Where progress lines go: the engine at `engine_address`, or stderr."""

    def __init__(self, engine_address: str | None) -> None:
        self._address = engine_address
        self._engine: engine_pb2_grpc.EngineStub | None = None
        self._lock = threading.Lock()

    def report(self, urn: str | None, message: str) -> None:
        """A transient status line on the resource's row (ephemeral); never raises."""
        self._send(urn, message, engine_pb2.INFO, ephemeral=True)

    def warn(self, urn: str | None, message: str) -> None:
        """A warning kept with the resource in the diagnostics (not ephemeral); never raises."""
        self._send(urn, message, engine_pb2.WARNING, ephemeral=False)

    def _send(self, urn: str | None, message: str, severity: int, ephemeral: bool) -> None:
        """Send one line without waiting for the engine; stderr where there is no engine to take it."""
        try:
            engine = self._engine_stub() if urn else None
            if engine is not None:
                request = engine_pb2.LogRequest(severity=severity, message=message, urn=urn, ephemeral=ephemeral)
                sent = engine.Log.future(request, timeout=LOG_TIMEOUT_SECONDS)
                sent.add_done_callback(lambda call: _unless_delivered(call, message))
                return
        except Exception:  # noqa: BLE001 - a progress line must never fail the operation it reports on
            pass
        _to_stderr(message)

    def _engine_stub(self) -> engine_pb2_grpc.EngineStub | None:
        with self._lock:
            if self._engine is None and self._address:
                self._engine = engine_pb2_grpc.EngineStub(grpc.insecure_channel(self._address))
            return self._engine


def _unless_delivered(call: grpc.Future, message: str) -> None:
    """The line on stderr after all, when the engine did not take it."""
    try:
        delivered = call.exception() is None
    except Exception:  # noqa: BLE001 - e.g. cancelled as the process ends
        delivered = False
    if not delivered:
        _to_stderr(message)


def _to_stderr(message: str) -> None:
    try:
        print(message, file=sys.stderr, flush=True)
    except Exception:  # noqa: BLE001 - e.g. stderr closed: the line is lost, the operation goes on
        pass
