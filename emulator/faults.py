"""Fault rules: make chosen API actions fail the way a real network or service can."""

import random
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


class FaultBook:
    """The active rules. The first rule that matches the action and wins its dice roll fires."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []

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
                if rule.matches(action) and random.random() < rule.probability:
                    if rule.count is not None:
                        rule.count -= 1
                    return rule
        return None
