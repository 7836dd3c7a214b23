"""The emulator's clock in the test's hands: real time plus a shift the test moves forward, so that a build set to
last an hour ends exactly when the test says (`emulator_clock.shift += seconds`). Import the fixture to use it."""

import time
from collections.abc import Iterator

import pytest

HELD = 3600.0  # image_build_seconds for an image that must not finish before the test moves the clock on


class ShiftedClock:
    def __init__(self) -> None:
        self.shift = 0.0

    def __call__(self) -> float:
        return time.time() + self.shift


@pytest.fixture
def emulator_clock(emulator, emulator_server) -> Iterator[ShiftedClock]:
    """The session emulator's clock, shifted by the test, and real again afterwards."""
    clock, real = ShiftedClock(), emulator_server.backend.clock
    emulator_server.backend.clock = clock
    yield clock
    emulator_server.backend.clock = real
