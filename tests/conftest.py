"""Fixtures shared by the whole suite: one CVM emulator per session, reset before each test that asks."""

import os
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
# port through the environment, never to Tencent Cloud's public endpoint.
os.environ.setdefault("TENCENTCLOUD_CVM_ENDPOINT", "http://127.0.0.1:9")


@dataclass(frozen=True)
class EmulatorHandle:
    url: str
    endpoint: str
    secret_id: str
    secret_key: str
    region: str
    control: EmulatorControl


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(image_build_seconds=0.3, instance_transition_seconds=0.1)
    with EmulatorServer(port=0, config=config) as server:
        yield server


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> EmulatorHandle:
    control = EmulatorControl(emulator_server.url)
    control.reset()
    config = emulator_server.backend.config
    return EmulatorHandle(
        url=emulator_server.url, endpoint=emulator_server.endpoint, secret_id=config.secret_id,
        secret_key=config.secret_key, region="ap-guangzhou", control=control,
    )


@pytest.fixture
def cvm_client(emulator: EmulatorHandle) -> CvmClient:
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emulator.endpoint))
    return CvmClient(Credential(emulator.secret_id, emulator.secret_key), emulator.region, profile)
