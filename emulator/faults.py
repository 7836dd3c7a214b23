"""Fault rules: make chosen API actions fail the way a real network or service can.

The dice are a `random.Random` of their own, seeded: the same seed and the same sequence of requests give the same
faults, so a run that failed under a fault mix can be replayed. Without a seed one is drawn, and shown.
"""

import random
import secrets
import threading
from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("throttle", "internal_error", "http_500", "delay", "drop", "lose_response")
_RULE_KEYS = {"action", "kind", "probability", "count", "seconds"}


@dataclass
class FaultRule:
    kind: str
    action: str = "*"
    probability: float = 1.0
    count: int | None = None  # how many more times it may fire; None = unlimited
    seconds: float = 0.0

    def matches(self, action: str) -> bool:
        return self.action in ("*", action) and self.count != 0


def _number(raw: dict[str, Any], key: str, default: float, low: float, high: float | None) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"`{key}` must be a number")
    if value < low or (high is not None and value > high):
        raise ValueError(f"`{key}` must be between {low} and {high if high is not None else 'infinity'}")
    return float(value)


def parse_rule(raw: Any) -> FaultRule:
    """Build a rule from its JSON form; ValueError says what is wrong."""
    if not isinstance(raw, dict):
        raise ValueError("each rule must be an object")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise ValueError(f"unknown rule keys: {sorted(unknown)}")
    if raw.get("kind") not in KINDS:
        raise ValueError(f"`kind` must be one of {list(KINDS)}")
    action = raw.get("action") or "*"
    if not isinstance(action, str):
        raise ValueError("`action` must be a string")
    count = raw.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ValueError("`count` must be a positive integer")
    return FaultRule(
        kind=raw["kind"],
        action=action,
        probability=_number(raw, "probability", 1.0, 0.0, 1.0),
        count=count,
        seconds=_number(raw, "seconds", 0.0, 0.0, 600.0),
    )


def parse_seed(raw: Any) -> int:
    """A fault seed from its JSON form (a non-negative integer); ValueError says what is wrong."""
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise ValueError("`seed` must be a non-negative integer")
    return raw


def new_seed() -> int:
    return secrets.randbelow(2**32)


class FaultBook:
    """The active rules. For each request the matching rules (right action, count left) are tried in order, each
    with its own roll of the one seeded die: the first that wins its roll fires, and no later rule is tried. So a
    rule's share of the requests is its probability times the chance that every earlier matching rule missed.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._seed = new_seed() if seed is None else parse_seed(seed)
        self._dice = random.Random(self._seed)

    @property
    def seed(self) -> int:
        with self._lock:
            return self._seed

    def reseed(self, seed: int) -> int:
        """Start the dice again from `seed`: from here on the same requests meet the same faults."""
        seed = parse_seed(seed)
        with self._lock:
            self._seed, self._dice = seed, random.Random(seed)
        return seed

    def set_rules(self, raw_rules: Any) -> list[dict[str, Any]]:
        if not isinstance(raw_rules, list):
            raise ValueError("`rules` must be a list")
        rules = [parse_rule(raw) for raw in raw_rules]
        with self._lock:
            self._rules = rules
        return self.rules()

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(rule) for rule in self._rules]

    def pick(self, action: str) -> FaultRule | None:
        """The rule that fires for this request, if any; its count is used up by one."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(action) and self._dice.random() < rule.probability:
                    if rule.count is not None:
                        rule.count -= 1
                    return rule
        return None
