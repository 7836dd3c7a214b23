"""Helpers for tests that arrange the emulator in detail: today's API, many images, busy instances, the request log."""

from __future__ import annotations

import threading
from typing import Any

from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from components.operations.facts import MARKER_TAG_KEY

STOPPED = "ins-emu00001"  # seeded STOPPED instance, imaged without a shutdown


def today_without_lags(emulator: Any, **config: Any) -> None:
    """Today's API with new images and their tags visible at once, so a test sees only what it arranges."""
    emulator.control.set_config(api_era="today", image_visibility_lag_seconds=0, tag_binding_lag_seconds=0, **config)


def calls(emulator: Any, action: str | None = None) -> list[dict[str, Any]]:
    return [entry for entry in emulator.control.requests() if action is None or entry["action"] == action]


def make_images(client: CvmClient, names: list[str], instance_id: str = STOPPED, marker: str | None = None) -> list[str]:
    """CreateImage for each name (needs image_build_seconds=0, so no image task is left running); their ids."""
    extra: dict[str, Any] = {}
    if marker is not None:
        extra["TagSpecification"] = [{"ResourceType": "image", "Tags": [{"Key": MARKER_TAG_KEY, "Value": marker}]}]
    return [
        client.call_json("CreateImage", {"InstanceId": instance_id, "ImageName": name, **extra})["Response"]["ImageId"]
        for name in names
    ]


def later(seconds: float, action: Any) -> threading.Timer:
    """Run `action` once, `seconds` from now, in the background; cancel the returned timer at teardown."""
    timer = threading.Timer(seconds, action)
    timer.daemon = True
    timer.start()
    return timer


def detail_of(message: str, code: str) -> str:
    """What a failure message says after `failed with <code>: `: the fix (or the API's own words)."""
    marker = f" failed with {code}: "
    assert marker in message, f"{marker!r} not in {message!r}"
    return message.split(marker, 1)[1]
