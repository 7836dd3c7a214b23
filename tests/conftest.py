"""Fixtures shared by the whole suite: one CVM emulator per session, reset before each test that asks."""

import os
import random
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from tencentcloud.common.credential import Credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from emulator import EmulatorConfig, EmulatorServer
from emulator.control import EmulatorControl


# Safety net: a test (or provider process it starts) that forgets to name the emulator falls back to a dead local
# port through the environment, never to Tencent Cloud's public endpoint. Forced, not defaulted: an endpoint exported
# in the shell that runs the tests is overridden too (tests/test_safety_net.py).
DEAD_ENDPOINT = "http://127.0.0.1:9"
os.environ["TENCENTCLOUD_CVM_ENDPOINT"] = DEAD_ENDPOINT

# The emulator's fault dice are seeded: export this to replay the faults of a failed run (its seed is printed with
# the failure: "fault seed N").
FAULT_SEED_VARIABLE = "CVM_EMULATOR_FAULT_SEED"


def chosen_fault_seed() -> int:
    """The seed exported in CVM_EMULATOR_FAULT_SEED, else a fresh one: each run tries other dice, any can be replayed."""
    raw = os.environ.get(FAULT_SEED_VARIABLE, "").strip()
    if raw:
        if not raw.isdigit():
            raise pytest.UsageError(f"{FAULT_SEED_VARIABLE} must be a non-negative integer, got {raw!r}")
        return int(raw)
    return random.SystemRandom().randrange(2**32)


def announce_fault_seed(seed: int) -> None:
    """Printed during setup, so pytest shows it beside a failure (captured stdout)."""
    print(f"fault seed {seed} (replay: {FAULT_SEED_VARIABLE}={seed})")


@dataclass(frozen=True)
class EmulatorHandle:
    url: str
    endpoint: str
    secret_id: str
    secret_key: str
    region: str
    control: EmulatorControl


@pytest.fixture(scope="session")
def fault_seed() -> int:
    """The seed of every emulator's fault dice in this run (each test's emulator starts from it again)."""
    return chosen_fault_seed()


@pytest.fixture(scope="session")
def emulator_server(fault_seed: int) -> Iterator[EmulatorServer]:
    config = EmulatorConfig(image_build_seconds=0.3, image_copy_seconds=0.3, instance_transition_seconds=0.1)
    with EmulatorServer(port=0, config=config, fault_seed=fault_seed) as server:
        yield server


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> EmulatorHandle:
    control = EmulatorControl(emulator_server.url)
    control.reset()  # also starts the fault dice again from the run's seed
    announce_fault_seed(control.fault_seed())
    config = emulator_server.backend.config
    return EmulatorHandle(
        url=emulator_server.url, endpoint=emulator_server.endpoint, secret_id=config.secret_id,
        secret_key=config.secret_key, region="ap-guangzhou", control=control,
    )


@pytest.fixture
def cvm_client(emulator: EmulatorHandle) -> CvmClient:
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emulator.endpoint))
    return CvmClient(Credential(emulator.secret_id, emulator.secret_key), emulator.region, profile)
