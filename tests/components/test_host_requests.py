"""What the provider takes from the engine's requests beyond their properties, through the stock host: the detailed
diff `preview --json` shows, the per-operation custom timeout, and the engine going away (issue 18)."""

from __future__ import annotations

import time
from typing import Any

from tests.components.host_helpers import (
    STOPPED, cvm_host, fake_engine, image_inputs, image_urn, warm_up,
)
from tests.engine.host import ProviderError


def test_the_diff_answer_marks_replacing_properties_update_replace(emulator: Any) -> None:
    urn = image_urn("web-image")
    with cvm_host(emulator) as host:
        olds = image_inputs(STOPPED, "web-base")
        news = image_inputs("ins-emu00003", "web-base-v2")
        diff = host.diff(urn, "img-00000001", olds, {**olds, "image_id": "img-00000001"}, news)

    assert diff.detailed == {"instance_id": "UPDATE_REPLACE", "image_name": "UPDATE"}
    assert diff.replaces == ("instance_id",) and not diff.delete_before_replace


def test_a_custom_create_timeout_shorter_than_the_build_ends_the_create_and_says_which_limit(emulator: Any) -> None:
    emulator.control.set_config(image_build_seconds=30, image_visibility_lag_seconds=0)
    with cvm_host(emulator) as host:
        started = time.monotonic()
        try:
            host.create(image_urn("web-image"), image_inputs(STOPPED, "web-base"), timeout=3)
        except ProviderError as error:
            details = error.details
        else:
            raise AssertionError("the create outlived its custom timeout")
        elapsed = time.monotonic() - started

    assert elapsed < 15  # the 3 s timeout, not wait_timeout_minutes' 60 minutes nor the 30 s build
    assert "is still CREATING when the resource's customTimeouts create (3 s) ran out" in details
    assert "The next `pulumi up` adopts it and waits again" in details


def test_the_provider_process_ends_when_its_engine_is_gone(emulator: Any) -> None:
    with fake_engine() as (_, address):
        host_context = cvm_host(emulator, engine_address=address)
        host = host_context.__enter__()
        warm_up(host)
        assert not host.exited_within(1)  # alive while the engine answers
    try:
        assert host.exited_within(20)  # a killed CLI leaves no provider behind
    finally:
        host_context.__exit__(None, None, None)
