"""Drive the real provider server as the Pulumi engine does, against a CVM emulator, and read back what it cost.

The server is the stock `python -u -m pulumi.dynamic` (tests/engine/host.py), configured like the engine configures
it; creates and plans go through the engine double (tests/engine/engine.py), which runs independent steps in
parallel as the engine's step executor does. API calls are counted from the emulator's request log.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2
from tencentcloud.autoscaling.v20180419.autoscaling_client import AutoscalingClient
from tencentcloud.common.credential import Credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from emulator import EmulatorConfig
from emulator.control import EmulatorControl
from tests.engine.engine import DEFAULT_TYPE, Engine, Goal, ResourceState
from tests.engine.host import PROJECT_ROOT, ProviderHost

REGION = "ap-guangzhou"
ZONE = "ap-guangzhou-3"
SECRET_KEY = "tencentcloud:secretKey"
INSTANCE_WAIT_SECONDS = 30.0
# the engine double's default step parallelism (a dataclass field with a default_factory: not a class attribute)
ENGINE_PARALLELISM: int = next(f for f in fields(Engine) if f.name == "parallel").default_factory()
_DEFAULTS = EmulatorConfig()

Request = dict[str, Any]


@dataclass(frozen=True)
class Emulator:
    """An emulator at `url`, which accepts its default credential."""

    url: str

    @property
    def control(self) -> EmulatorControl:
        return EmulatorControl(self.url)

    def client(self, region: str = REGION) -> CvmClient:
        return CvmClient(Credential(_DEFAULTS.secret_id, _DEFAULTS.secret_key), region, self._profile())

    def autoscaling(self, region: str = REGION) -> AutoscalingClient:
        return AutoscalingClient(Credential(_DEFAULTS.secret_id, _DEFAULTS.secret_key), region, self._profile())

    def _profile(self) -> ClientProfile:
        return ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=self.url.removeprefix("http://")))

    def provider_config(self) -> dict[str, str]:
        """The stack config the engine sends to Configure for the `local` stack."""
        return {
            "tencentcloud:secretId": _DEFAULTS.secret_id,
            SECRET_KEY: _DEFAULTS.secret_key,
            "tencentcloud:region": REGION,
            "cvmImage:endpoint": self.url,
        }


@contextmanager
def emulator_process() -> Iterator[Emulator]:
    """`python -m emulator --port 0` in its own process; its first stdout line is its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0"], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the emulator did not start: {url!r}")
        yield Emulator(url)
    finally:
        process.terminate()
        process.wait()


def stopped_instances(emulator: Emulator, count: int) -> list[str]:
    """New STOPPED instances: each can take an image task at once, and is imaged without a shutdown first."""
    client = emulator.client()
    launch = {"Placement": {"Zone": ZONE}, "InstanceCount": count, "InstanceName": "bench-builder"}
    ids = client.call_json("RunInstances", launch)["Response"]["InstanceIdSet"]
    _await_state(client, ids, "RUNNING")
    client.call_json("StopInstances", {"InstanceIds": ids})
    _await_state(client, ids, "STOPPED")
    return ids


def _await_state(client: CvmClient, ids: list[str], state: str) -> None:
    deadline = time.monotonic() + INSTANCE_WAIT_SECONDS
    while time.monotonic() < deadline:
        found = client.call_json("DescribeInstances", {"InstanceIds": ids, "Limit": 100})["Response"]["InstanceSet"]
        if len(found) == len(ids) and all(instance["InstanceState"] == state for instance in found):
            return
        time.sleep(0.05)
    raise TimeoutError(f"instances {ids} did not reach {state} within {INSTANCE_WAIT_SECONDS} s")


@dataclass(frozen=True)
class CreateRun:
    """One `pulumi up` of new images: when it started and ended (epoch seconds) and the API calls it made."""

    started: float
    finished: float
    requests: list[Request]

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    def calls(self) -> Counter[str]:
        return count_actions(self.requests)

    def create_times(self) -> list[float]:
        return sorted(_epoch(request["time"]) for request in self.requests if request["action"] == "CreateImage")

    def creates_at_once(self, build_seconds: float) -> int:
        """CreateImage calls made before the first image turned NORMAL: how many images baked together."""
        times = self.create_times()
        return sum(1 for at in times if at < times[0] + build_seconds)

    def late_after_normal(self, build_seconds: float) -> float:
        """Seconds from the last image turning NORMAL to the up's end."""
        return self.finished - (self.create_times()[-1] + build_seconds)


@dataclass(frozen=True)
class PlanRun:
    """Check + Diff of an unchanged stack: each resource's round trips alone, then all resources at once."""

    latencies: list[float]
    parallel_seconds: float
    requests: list[Request]


@dataclass(frozen=True)
class _Stored:
    urn: str
    news: dict[str, Any]
    state: ResourceState


@dataclass
class Deployment:
    """A configured provider server for `provider`'s images, and the emulator they go to."""

    emulator: Emulator
    provider: ResourceProvider
    host: ProviderHost

    def goals(self, prefix: str, instance_ids: Sequence[str], **inputs: Any) -> list[Goal]:
        return [
            Goal(f"{prefix}-{n}", {"instance_id": instance_id, "image_name": f"{prefix}-{n}", **inputs}, self.provider)
            for n, instance_id in enumerate(instance_ids)
        ]

    def create(self, prefix: str, instance_ids: Sequence[str], parallel: int = ENGINE_PARALLELISM, **inputs: Any) -> CreateRun:
        """Check + Create of one new image per instance, `parallel` steps at once (the engine's `--parallel`; default
        its default), each with `inputs` besides its id and name."""
        goals = self.goals(prefix, instance_ids, **inputs)
        self.emulator.control.clear_requests()
        started = time.time()
        Engine(self.host, parallel=parallel).up(goals)
        finished = time.time()
        return CreateRun(started, finished, self.emulator.control.requests())

    def plan_unchanged(self, count: int) -> PlanRun:
        """Check + Diff through gRPC for `count` stored, unchanged images: one at a time, then all at once.

        The provider is pickled once: pulumi's serialize_provider wraps `pickle._Pickler._batch_setitems` again on
        every call and never restores it, so about 1,000 calls in one process end in RecursionError.
        """
        pickled = rpc.wrap_rpc_secret(serialize_provider(self.provider))
        stored = [self._stored(n, pickled) for n in range(count)]
        self.emulator.control.clear_requests()
        latencies = [self._check_diff(resource) for resource in stored]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=ENGINE_PARALLELISM) as pool:
            list(pool.map(self._check_diff, stored))
        parallel_seconds = time.perf_counter() - started
        return PlanRun(latencies, parallel_seconds, self.emulator.control.requests())

    def _stored(self, n: int, pickled: Any) -> _Stored:
        """An image as an earlier up left it: the program's inputs, and the checked inputs and outputs in the state."""
        urn = f"urn:pulumi:dev::proj::{DEFAULT_TYPE}::plan-{n}"
        news = {"instance_id": f"ins-{n:08x}", "image_name": f"plan-{n}", PROVIDER_KEY: pickled}
        inputs, _ = self.host.check(urn, {}, news)
        image_id = f"img-{n:08x}"
        outputs = {**inputs, "image_id": image_id, "image_state": "NORMAL"}
        return _Stored(urn, news, ResourceState(image_id, inputs, outputs))

    def _check_diff(self, resource: _Stored) -> float:
        """Seconds for one resource's Check and Diff, as the engine sends them for a stored resource."""
        old = resource.state
        started = time.perf_counter()
        inputs, _ = self.host.check(resource.urn, old.inputs, resource.news)
        diff = self.host.diff(resource.urn, old.id, old.inputs, old.outputs, inputs)
        elapsed = time.perf_counter() - started
        if diff.changes != provider_pb2.DiffResponse.DIFF_NONE:
            raise AssertionError(f"an unchanged image should diff as DIFF_NONE, got {diff}")
        return elapsed


@contextmanager
def deployment(emulator: Emulator, provider: ResourceProvider) -> Iterator[Deployment]:
    """A fresh provider server, configured and warmed up: its first Check has loaded the provider's module."""
    with ProviderHost() as host:
        host.configure(emulator.provider_config(), {SECRET_KEY})
        deployed = Deployment(emulator, provider, host)
        Engine(host).preview(deployed.goals("warm-up", ["ins-00000000"]))
        yield deployed


def count_actions(requests: list[Request]) -> Counter[str]:
    return Counter(request["action"] for request in requests)


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()
