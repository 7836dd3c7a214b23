"""The one way to look again: today's API is eventually consistent (a new image can be missing from DescribeImages
for a moment, CreateImage's tags bind a moment later), so a lookup that finds nothing yet may be repeated for a
bounded grace before "nothing" is believed."""

import time
from collections.abc import Callable
from typing import TypeVar

from ..cloud.cancel import CANCELLATION
from ..cloud.retry import Deadline

LOOK_AGAIN_SECONDS = 0.5

T = TypeVar("T")


def look_again(look: Callable[[], T | None], grace: float, deadline: Deadline) -> T | None:
    """`look()` again every LOOK_AGAIN_SECONDS while it answers None, until `grace` seconds (within the deadline) have
    passed; its last answer. A cancel ends the wait (Cancelled)."""
    started = time.monotonic()
    while True:
        found = look()
        if found is not None or time.monotonic() - started >= min(grace, deadline.remaining()):
            return found
        CANCELLATION.sleep(LOOK_AGAIN_SECONDS)
