"""The provider server runs every create the engine sends at once, and polls their images together.

The stock host (bench.stock: the same provider with the server's 4-worker cap put back) is measured beside it, so
the difference is shown to come from the lifted cap and the bench's baseline is shown to be the stock behaviour.

Checked by order of events rather than by durations where possible: when each CreateImage reached the emulator
(its request log) against when the first image turned NORMAL (its timeline in the emulator's own state). A busy
machine can only delay a CreateImage, never make the stock host's 5th start before an image is done; where a
duration is compared, the margin is a whole image build.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from pulumi.dynamic import ResourceProvider

from bench.stock import STOCK_MAX_WORKERS, StockCvmImageProvider
from bench.workload import CreateRun, Emulator, deployment, stopped_instances
from components.provider import CvmImageProvider
from emulator import EmulatorServer

BUILD_SECONDS = 1.5
CREATES = 8
LOG_RESOLUTION = 0.001  # the request log's times are ISO strings to the millisecond (truncated)


@dataclass(frozen=True)
class Run:
    create: CreateRun
    normal_at: dict[str, float]  # image name -> epoch second it turned NORMAL, read off its timeline

    @property
    def create_times(self) -> list[float]:
        """When each CreateImage reached the emulator, oldest first."""
        return sorted(datetime.fromisoformat(r["time"]).timestamp() for r in self.create.requests if r["action"] == "CreateImage")

    @property
    def first_normal(self) -> float:
        return min(self.normal_at.values())

    def started_before_first_normal(self) -> int:
        return sum(1 for at in self.create_times if at < self.first_normal)


@dataclass(frozen=True)
class Runs:
    one: Run
    many: Run


def normal_times(server: EmulatorServer, prefix: str) -> dict[str, float]:
    with server.backend.transaction(save=False):
        images = [image for region in server.backend.regions.values() for image in region.images.values()]
        return {
            image.name: next(at for at, state in image.timeline if state == "NORMAL")
            for image in images if image.name.startswith(prefix + "-")
        }


def run_creates(server: EmulatorServer, provider: ResourceProvider) -> Runs:
    """One create alone, then CREATES creates at once, each from its own STOPPED instance."""
    emulator = Emulator(server.url)
    emulator.control.reset()
    emulator.control.set_config(image_build_seconds=BUILD_SECONDS)
    instances = stopped_instances(emulator, CREATES + 1)
    with deployment(emulator, provider) as deployed:
        one = Run(deployed.create("one", instances[:1]), normal_times(server, "one"))
        # every step at once: the engine's default --parallel (4 x CPUs) is the engine's limit, not the provider's
        many = Run(deployed.create("many", instances[1:], parallel=CREATES), normal_times(server, "many"))
    assert len(one.normal_at) == 1 and len(many.normal_at) == CREATES
    return Runs(one, many)


@pytest.fixture(scope="module")
def ours(emulator_server: EmulatorServer) -> Iterator[Runs]:
    yield run_creates(emulator_server, CvmImageProvider())
    emulator_server.reset()


@pytest.fixture(scope="module")
def stock(emulator_server: EmulatorServer) -> Iterator[Runs]:
    yield run_creates(emulator_server, StockCvmImageProvider())
    emulator_server.reset()


def describes(run: Run) -> int:
    return run.create.calls()["DescribeImages"]


def test_every_create_starts_before_any_image_is_ready(ours: Runs) -> None:
    assert ours.many.create.calls()["CreateImage"] == CREATES
    # All CREATES images baked together: every CreateImage reached the emulator before the first image was NORMAL.
    assert ours.many.started_before_first_normal() == CREATES
    # One wave: the up took about one create's time. Two waves would add a whole build (1.5 s) at least.
    assert ours.many.create.seconds < ours.one.create.seconds + BUILD_SECONDS


def test_the_stock_baseline_runs_four_creates_at_a_time(stock: Runs) -> None:
    assert stock.many.create.calls()["CreateImage"] == CREATES
    times = stock.many.create_times
    # The first wave: 4 workers, 4 creates before any image is done ...
    assert stock.many.started_before_first_normal() == STOCK_MAX_WORKERS
    # ... and the 5th waits for a worker: it starts only after the first image is NORMAL (and polled as such).
    assert times[STOCK_MAX_WORKERS] >= stock.many.first_normal - LOG_RESOLUTION
    # So the up takes two builds at least, whatever the machine's load.
    assert stock.many.create.seconds >= 2 * BUILD_SECONDS


def test_concurrent_creates_share_their_describe_calls(ours: Runs) -> None:
    one = describes(ours.one)
    assert one >= 1
    # Separate polling loops would cost CREATES * one calls.
    assert describes(ours.many) <= 2 * one
