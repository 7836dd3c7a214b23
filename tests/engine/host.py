"""Run the stock Python dynamic provider server and talk to it the way the Pulumi engine does.

Mirrors the engine's client side of the provider protocol, `provider` in pulumi/pulumi
`sdk/go/common/resource/plugin/provider_plugin.go` (`NewProvider`, `Configure`, `Check`, `Diff`,
`Create`, `Read`, `Update`, `Delete`, `annotateSecrets`):

* `NewProvider` starts the plugin with `PULUMI_PROJECT` in its environment; the CLI runs
  `python -u -m pulumi.dynamic` in the program's directory, which prints its port on the first line.
* `Configure` sends the config with secrets kept and `acceptSecrets=True`; the protocol for every later
  call comes from the `ConfigureResponse`. The Python server answers `acceptSecrets=False` (and does not
  implement `Handshake`), so the engine strips secret markers from everything it sends to a dynamic
  provider, `__provider` included, and afterwards re-marks as secret any returned property whose input of
  the same name held a secret (`annotateSecrets`). A property the provider derives from a secret under
  another name comes back, and is stored, in the clear.
* Check: olds = old inputs, news = program inputs. Diff and Update: `olds` = old *outputs*,
  `old_inputs` = old inputs, `news` = checked new inputs. Read: `properties` = old outputs, `inputs` =
  old inputs. Delete: `properties` = old outputs, `old_inputs` = old inputs.
* A Read answered with an empty id means the resource is gone (`Read`: "If the resource was missing").
* Unknowns (`rpc.UNKNOWN`) are sent as they are; only a preview has any.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Optional

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

PROJECT_ROOT = Path(__file__).resolve().parents[2]

Properties = dict[str, Any]


class ProviderError(Exception):
    """A gRPC error from the provider: its status and the server's message (a traceback for Python)."""

    def __init__(self, status: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{status.name}: {details}")
        self.status = status
        self.details = details


@dataclass(frozen=True)
class RpcCall:
    method: str
    urn: str


@dataclass(frozen=True)
class DiffResult:
    changes: int  # provider_pb2.DiffResponse.DIFF_NONE / DIFF_SOME / DIFF_UNKNOWN
    replaces: tuple[str, ...]
    changed_keys: tuple[str, ...]
    delete_before_replace: bool
    detailed: dict[str, str] = field(default_factory=dict)  # property -> PropertyDiff kind name, when the provider gave it


@dataclass(frozen=True)
class ReadResult:
    id: str
    outputs: Properties
    inputs: Optional[Properties]


class ProviderHost:
    """The dynamic provider server in a subprocess, with an engine-like client for it."""

    def __init__(
        self, env: Optional[Mapping[str, str]] = None, project: str = "proj", engine_address: Optional[str] = None
    ) -> None:
        """`engine_address` is passed as the CLI passes it (the host's one argument); None: no engine to call back."""
        self._process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic", *([engine_address] if engine_address else [])],
            cwd=PROJECT_ROOT,
            env={**os.environ, "PULUMI_PROJECT": project, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self._process.stdout is not None and self._process.stderr is not None
        port_line = self._process.stdout.readline().strip()
        if not port_line.isdigit():
            self._process.kill()
            raise RuntimeError(f"provider did not start: {port_line!r} {self._process.stderr.read()!r}")
        self._output: list[str] = []
        self._lock = threading.Lock()
        self._drains = [self._drain(stream) for stream in (self._process.stdout, self._process.stderr)]
        self._channel = grpc.insecure_channel(f"127.0.0.1:{int(port_line)}")
        grpc.channel_ready_future(self._channel).result(timeout=10)
        self._stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        self.calls: list[RpcCall] = []
        self.accept_secrets = False
        self.configured_with: Properties = {}

    def __enter__(self) -> ProviderHost:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()
        self.kill()
        for drain in self._drains:
            drain.join()

    def kill(self) -> None:
        """SIGKILL, as a second Ctrl-C or a killed CLI leaves its plugins."""
        self._process.kill()
        self._process.wait()

    def exited_within(self, seconds: float) -> bool:
        """Whether the provider process ends by itself within `seconds`."""
        try:
            self._process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return False
        return True

    @property
    def output(self) -> str:
        """Everything the provider printed (after its port line): the engine shows it to the user."""
        with self._lock:
            return "".join(self._output)

    def methods(self) -> list[str]:
        with self._lock:
            return [call.method for call in self.calls]

    def configure(self, config: Mapping[str, str], secret_keys: Set[str] = frozenset()) -> None:
        """Send the whole stack config (namespaced keys, string values), secrets marked as secrets."""
        args = {key: rpc.wrap_rpc_secret(value) if key in secret_keys else value for key, value in config.items()}
        self.configured_with = args
        request = provider_pb2.ConfigureRequest(
            args=_marshal(args, keep_secrets=True),
            acceptSecrets=True,
            acceptResources=True,
            sends_old_inputs=True,
            sends_old_inputs_to_delete=True,
        )
        self.accept_secrets = self._call("Configure", "", request).acceptSecrets

    def check(self, urn: str, olds: Properties, news: Properties) -> tuple[Properties, list[tuple[str, str]]]:
        request = provider_pb2.CheckRequest(**_names(urn), olds=self._marshal(olds), news=self._marshal(news))
        response = self._call("Check", urn, request)
        inputs = self._annotate(_unmarshal(response.inputs), news)
        return inputs, [(failure.property, failure.reason) for failure in response.failures]

    def diff(
        self, urn: str, id_: str, old_inputs: Properties, old_outputs: Properties, new_inputs: Properties
    ) -> DiffResult:
        request = provider_pb2.DiffRequest(**self._change_fields(urn, id_, old_inputs, old_outputs, new_inputs))
        response = self._call("Diff", urn, request)
        # The engine takes the provider's detailed diff for the changed keys when it gives one (`diffResource`).
        changed = tuple(sorted(response.detailedDiff)) if response.hasDetailedDiff else tuple(response.diffs)
        kinds = provider_pb2.PropertyDiff.Kind
        detailed = {key: kinds.Name(diff.kind) for key, diff in response.detailedDiff.items()}
        return DiffResult(response.changes, tuple(response.replaces), changed, response.deleteBeforeReplace, detailed)

    def create(self, urn: str, inputs: Properties, timeout: float = 0) -> tuple[str, Properties]:
        """`timeout`: the resource's customTimeouts create, in seconds (0: none), as the engine sends it."""
        request = provider_pb2.CreateRequest(**_names(urn), properties=self._marshal(inputs), timeout=timeout)
        response = self._call("Create", urn, request)
        return response.id, self._annotate(_unmarshal(response.properties), inputs)

    def read(self, urn: str, id_: str, inputs: Properties, outputs: Properties) -> ReadResult:
        request = provider_pb2.ReadRequest(
            **_names(urn), id=id_, properties=self._marshal(outputs), inputs=self._marshal(inputs)
        )
        response = self._call("Read", urn, request)
        new_inputs = self._annotate(_unmarshal(response.inputs), inputs) if response.HasField("inputs") else None
        return ReadResult(response.id, self._annotate(_unmarshal(response.properties), outputs), new_inputs)

    def update(
        self, urn: str, id_: str, old_inputs: Properties, old_outputs: Properties, new_inputs: Properties
    ) -> Properties:
        request = provider_pb2.UpdateRequest(**self._change_fields(urn, id_, old_inputs, old_outputs, new_inputs))
        response = self._call("Update", urn, request)
        return self._annotate(_unmarshal(response.properties), new_inputs)

    def delete(self, urn: str, id_: str, inputs: Properties, outputs: Properties) -> None:
        request = provider_pb2.DeleteRequest(
            **_names(urn), id=id_, properties=self._marshal(outputs), old_inputs=self._marshal(inputs)
        )
        self._call("Delete", urn, request)

    def cancel(self) -> None:
        """What the engine sends every provider on the first Ctrl-C."""
        self._call("Cancel", "", empty_pb2.Empty())

    def _change_fields(
        self, urn: str, id_: str, old_inputs: Properties, old_outputs: Properties, new_inputs: Properties
    ) -> dict[str, Any]:
        """What Diff and Update both send; their `olds` are the old *outputs*."""
        return {
            **_names(urn),
            "id": id_,
            "olds": self._marshal(old_outputs),
            "old_inputs": self._marshal(old_inputs),
            "news": self._marshal(new_inputs),
        }

    def _call(self, method: str, urn: str, request: Any) -> Any:
        with self._lock:
            self.calls.append(RpcCall(method, urn))
        try:
            return getattr(self._stub, method)(request)
        except grpc.RpcError as error:
            raise ProviderError(error.code(), error.details()) from None

    def _marshal(self, props: Properties) -> struct_pb2.Struct:
        return _marshal(props, keep_secrets=self.accept_secrets)

    def _annotate(self, outs: Properties, ins: Properties) -> Properties:
        return outs if self.accept_secrets else _annotate_secrets(outs, ins)

    def _drain(self, stream: IO[bytes]) -> threading.Thread:
        def run() -> None:
            for line in iter(stream.readline, b""):
                with self._lock:
                    self._output.append(line.decode(errors="replace"))

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread


def _names(urn: str) -> dict[str, str]:
    """The urn, name and type fields every resource request carries (`urn:pulumi:stack::project::type::name`)."""
    *_, type_, name = urn.split("::")
    return {"urn": urn, "name": name, "type": type_}


def _marshal(props: Properties, keep_secrets: bool) -> struct_pb2.Struct:
    """`MarshalProperties` with `KeepSecrets`, via the SDK's own `serialize_properties`."""
    plain = props if keep_secrets else _strip_secrets(props)
    # A private loop, as the server does: asyncio.run would unset the calling thread's event loop,
    # which breaks later tests that run a Pulumi program under mocks in the same process.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(plain, {}))
    finally:
        loop.close()


def _unmarshal(struct: struct_pb2.Struct) -> Properties:
    """The engine's view of a returned struct: secret markers and the UNKNOWN sentinel stay where they are.

    `rpc.deserialize_properties` would turn UNKNOWN into `Unknown()` objects and lift secrets up to the
    enclosing object, which is the SDK's view, not the engine's; so the struct is read as it is.
    """
    return json_format.MessageToDict(struct)


def _strip_secrets(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return _strip_secrets(value["value"])
    if isinstance(value, dict):
        return {key: _strip_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_strip_secrets(item) for item in value]
    return value


def _contains_secrets(value: Any) -> bool:
    if rpc.is_rpc_secret(value):
        return True
    if isinstance(value, dict):
        return any(_contains_secrets(item) for item in value.values())
    if isinstance(value, list):
        return any(_contains_secrets(item) for item in value)
    return False


def _is_object(value: Any) -> bool:
    return isinstance(value, dict) and not rpc.is_rpc_secret(value)


def _annotate_secrets(outs: Properties, ins: Properties) -> Properties:
    """`annotateSecrets`: mark an output secret when the input of the same name held a secret."""
    for key, in_value in ins.items():
        if key not in outs:
            continue
        if _is_object(outs[key]) and _is_object(in_value):
            _annotate_secrets(outs[key], in_value)
        elif not rpc.is_rpc_secret(outs[key]) and _contains_secrets(in_value):
            outs[key] = rpc.wrap_rpc_secret(outs[key])
    return outs
