"""A CvmImageProvider configured the way the engine configures it, pointed at the test emulator."""

import os
from pathlib import Path

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from components import CvmImageProvider


def images_in(emulator) -> list[dict]:
    """The custom images the emulator holds (its control state lists no public image)."""
    return emulator.control.state()["images"]


def configured_provider(emulator, **overrides: str) -> CvmImageProvider:
    config = {
        "tencentcloud:secretId": emulator.secret_id,
        "tencentcloud:secretKey": emulator.secret_key,
        "tencentcloud:region": emulator.region,
        "cvmImage:endpoint": emulator.url,
        **overrides,
    }
    provider = CvmImageProvider()
    provider.configure(ConfigureRequest(Config(config, "cvm-images")))
    return provider


@pytest.fixture
def provider(emulator) -> CvmImageProvider:
    return configured_provider(emulator)


@pytest.fixture
def checked(provider):
    """Inputs as the engine would pass them to create: after check."""

    def run(**props):
        result = provider.check({}, props)
        assert not result.failures, result.failures
        return result.inputs

    return run


@pytest.fixture
def no_credentials(monkeypatch, tmp_path) -> Path:
    """No TENCENTCLOUD_* credential or role in the environment and a HOME of the test's own (no ~/.tccli); returns
    that HOME."""
    for name in list(os.environ):
        if name.startswith("TENCENTCLOUD_") and name != "TENCENTCLOUD_CVM_ENDPOINT":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path
