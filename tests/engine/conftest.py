"""Fixtures for the engine harness: a configured provider server, an engine over it, the sample provider."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.engine.engine import Engine
from tests.engine.host import ProviderHost
from tests.engine.sample_provider import FileProvider

TOKEN = "s3cr3t-token-value"

StartHost = Callable[[Mapping[str, str]], ProviderHost]


@pytest.fixture
def resource_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def start_host(resource_dir: Path) -> Iterator[StartHost]:
    """Start provider servers configured for the sample provider (plus extra config); closed at teardown."""
    hosts: list[ProviderHost] = []

    def start(extra_config: Mapping[str, str]) -> ProviderHost:
        host = ProviderHost()
        hosts.append(host)
        host.configure({"sample:dir": str(resource_dir), "sample:token": TOKEN, **extra_config}, {"sample:token"})
        return host

    yield start
    for host in hosts:
        host.close()


@pytest.fixture
def host(start_host: StartHost) -> ProviderHost:
    return start_host({})


@pytest.fixture
def engine(host: ProviderHost) -> Engine:
    return Engine(host)


@pytest.fixture
def provider() -> FileProvider:
    return FileProvider()
