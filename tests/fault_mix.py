"""The fault mix of the stack reliability test (README "Failure behaviour"), and each kind's share of the calls.

The emulator tries the rules that match a call in order, each with its own roll of the seeded die, and the first
that wins its roll fires (emulator/README.md, "Control API"). So a later rule's probability is its wanted share of
all calls divided by the share the earlier rules leave; `chained` does that sum, and
tests/emulator/test_emulator_fault_seed.py measures the shares that come out.
"""

from typing import Any

# First, faults that always happen, so that every kind surely hits the run, not only by chance.
FORCED: list[dict[str, Any]] = [
    {"action": "CreateImage", "kind": "lose_response", "count": 2},  # created, but the answer is lost
    {"action": "CreateImage", "kind": "drop", "count": 1},  # the connection closes, nothing done
    {"action": "DescribeImages", "kind": "http_500", "count": 1},
    {"action": "DeleteImages", "kind": "lose_response", "count": 1},  # deleted, but the answer is lost
]
# Then, on every call: its share of all calls for each kind.
SHARES: dict[str, float] = {"throttle": 0.30, "http_500": 0.10, "lose_response": 0.10, "drop": 0.05}


def chained(shares: dict[str, float], action: str = "*") -> list[dict[str, Any]]:
    """Rules, in order, that fire for the given shares of the calls under "first rule that wins its roll fires"."""
    rules, left = [], 1.0
    for kind, share in shares.items():
        rules.append({"action": action, "kind": kind, "probability": share / left})
        left -= share
    return rules


FAULT_MIX: list[dict[str, Any]] = FORCED + chained(SHARES)
