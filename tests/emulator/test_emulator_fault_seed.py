"""The fault dice are seeded: a seed replays a run's faults; the shares a fault mix really gets."""

from collections import Counter
from typing import Any

import pytest

from emulator import EmulatorServer
from emulator.__main__ import parse_args
from emulator.control import ControlError, EmulatorControl
from emulator.faults import FaultBook
from tests.fault_mix import SHARES, chained

MIX = chained(SHARES)


def draws(book: FaultBook, count: int, action: str = "DescribeImages") -> list[str | None]:
    return [rule.kind if (rule := book.pick(action)) else None for _ in range(count)]


def seeded_book(seed: int, rules: list[dict[str, Any]]) -> FaultBook:
    book = FaultBook(seed)
    book.set_rules(rules)
    return book


def test_the_same_seed_gives_the_same_faults_and_another_seed_others(fault_seed: int) -> None:
    first, again = draws(seeded_book(fault_seed, MIX), 200), draws(seeded_book(fault_seed, MIX), 200)
    other = draws(seeded_book(fault_seed + 1, MIX), 200)
    assert first == again
    assert first != other


def test_the_chained_mix_fires_each_kind_at_its_share(fault_seed: int) -> None:
    """First matching rule that wins its roll fires: the chained probabilities give exactly the wanted shares."""
    count = 20_000
    seen = Counter(draws(seeded_book(fault_seed, MIX), count))
    for kind, share in SHARES.items():
        assert abs(seen[kind] / count - share) < 0.015, (kind, seen)  # >= 4.5 standard deviations
    assert abs(seen[None] / count - (1 - sum(SHARES.values()))) < 0.015, seen


def test_unchained_probabilities_are_not_shares(fault_seed: int) -> None:
    """The trap the README's first fault mix fell into: 30/10/10/5 as plain probabilities is 30/7/6.3/2.8."""
    naive = [{"action": "*", "kind": kind, "probability": share} for kind, share in SHARES.items()]
    count = 20_000
    seen = Counter(draws(seeded_book(fault_seed, naive), count))
    expected = {"throttle": 0.30, "http_500": 0.07, "lose_response": 0.063, "drop": 0.02835}
    for kind, share in expected.items():
        assert abs(seen[kind] / count - share) < 0.015, (kind, seen)


def test_the_seed_is_a_start_flag_a_control_field_and_what_reset_returns_to() -> None:
    assert parse_args(["--fault-seed", "7"]).fault_seed == 7
    assert parse_args([]).fault_seed is None
    with EmulatorServer(port=0, fault_seed=7) as server:
        control = EmulatorControl(server.url)
        assert control.faults() == {"rules": [], "seed": 7}
        control.set_faults([{"kind": "throttle", "probability": 0.5}], seed=9)
        assert control.fault_seed() == 9
        control.set_faults([{"kind": "throttle", "probability": 0.5}])  # rules alone keep the dice going
        assert control.fault_seed() == 9
        control.reset()
        assert control.faults() == {"rules": [], "seed": 7}
        with pytest.raises(ControlError) as refused:
            control.set_faults([], seed=-1)
        assert refused.value.status == 400 and "seed" in str(refused.value)


def test_without_a_seed_one_is_drawn_and_shown() -> None:
    with EmulatorServer(port=0) as first, EmulatorServer(port=0) as second:
        seeds = [EmulatorControl(server.url).fault_seed() for server in (first, second)]
    assert all(isinstance(seed, int) and seed >= 0 for seed in seeds) and seeds[0] != seeds[1]


def test_replaying_a_seed_replays_the_faults_a_client_meets(emulator: Any, cvm_client: Any) -> None:
    """Over the wire, one request at a time: the same seed, the same faulted calls."""
    rules = [{"action": "*", "kind": "throttle", "probability": 0.5}]

    def run() -> list[str | None]:
        emulator.control.clear_requests()
        emulator.control.set_faults(rules, seed=12345)
        for _ in range(30):
            try:
                cvm_client.call_json("DescribeImageQuota", {})
            except Exception:  # noqa: BLE001 - the throttled ones
                pass
        return [entry["fault"] for entry in emulator.control.requests()]

    first = run()
    assert first == run()
    assert "throttle" in first and None in first
