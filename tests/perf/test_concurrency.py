"""The provider server runs every create the engine sends at once, and polls their images together.

The stock host (bench.stock: the same provider with the server's 4-worker cap put back) is measured beside it, so
the difference is shown to come from the lifted cap and the bench's baseline is shown to be the stock behaviour.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from pulumi.dynamic import ResourceProvider

from bench.stock import STOCK_MAX_WORKERS, StockCvmImageProvider
from bench.workload import CreateRun, Emulator, deployment, stopped_instances
from components.provider import CvmImageProvider
from emulator import EmulatorServer

BUILD_SECONDS = 1.5
CREATES = 8


@dataclass(frozen=True)
class Runs:
    one: CreateRun
    many: CreateRun


def run_creates(server: EmulatorServer, provider: ResourceProvider) -> Runs:
    """One create alone, then CREATES creates at once, each from its own STOPPED instance."""
    emulator = Emulator(server.url)
    emulator.control.reset()
    emulator.control.set_config(image_build_seconds=BUILD_SECONDS)
    instances = stopped_instances(emulator, CREATES + 1)
    with deployment(emulator, provider) as deployed:
        return Runs(deployed.create("one", instances[:1]), deployed.create("many", instances[1:]))


@pytest.fixture(scope="module")
def ours(emulator_server: EmulatorServer) -> Iterator[Runs]:
    yield run_creates(emulator_server, CvmImageProvider())
    emulator_server.reset()


@pytest.fixture(scope="module")
def stock(emulator_server: EmulatorServer) -> Iterator[Runs]:
    yield run_creates(emulator_server, StockCvmImageProvider())
    emulator_server.reset()


def describes(run: CreateRun) -> int:
    return run.calls()["DescribeImages"]


def test_every_create_starts_before_any_image_is_ready(ours: Runs) -> None:
    assert ours.many.calls()["CreateImage"] == CREATES
    assert ours.many.creates_at_once(BUILD_SECONDS) == CREATES
    # One wave: two waves of creates take at least twice one create's time.
    assert ours.many.seconds < 2 * ours.one.seconds


def test_the_stock_baseline_runs_four_creates_at_a_time(stock: Runs) -> None:
    assert stock.many.creates_at_once(BUILD_SECONDS) == STOCK_MAX_WORKERS
    assert stock.many.seconds >= 2 * stock.one.seconds


def test_concurrent_creates_share_their_describe_calls(ours: Runs) -> None:
    one = describes(ours.one)
    assert one >= 1
    # Separate polling loops would cost CREATES * one calls.
    assert describes(ours.many) <= 2 * one
