"""Clock-driven state: a resource keeps a timeline of (absolute time, state) steps and its state is read off it.

So a saved state keeps moving after a restart, and nothing ever sleeps while holding the lock.
"""

import random
import string
import time
from typing import Any

Timeline = list[list[Any]]  # [[at_epoch_seconds, state], ...], oldest first


def iso_time(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def state_at(timeline: Timeline, now: float) -> str:
    current = timeline[0][1]
    for at, state in timeline:
        if at > now:
            break
        current = state
    return current


def step_progress(timeline: Timeline, now: float) -> float:
    """How far `now` is through the step it is in, from 0 to 1 (1 in the last step, which never ends)."""
    for (start, _), (end, _) in zip(timeline, timeline[1:]):
        if start <= now < end:
            return (now - start) / (end - start)
    return 1.0


def steps(start: float, *pairs: tuple[float, str]) -> Timeline:
    """A timeline from (delay after the previous step, state) pairs."""
    timeline, at = [], start
    for delay, state in pairs:
        at += delay
        timeline.append([at, state])
    return timeline


def new_id(prefix: str, taken: set[str]) -> str:
    alphabet = string.ascii_lowercase + string.digits
    while True:
        candidate = prefix + "".join(random.choices(alphabet, k=8))
        if candidate not in taken:
            return candidate
