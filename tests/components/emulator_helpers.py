"""Helpers for tests that arrange the emulator in detail: today's API, many images, busy instances, the request log."""

from __future__ import annotations

import threading
from typing import Any

from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from components.cloud.errors import ImageRef
from components.operations.facts import CLAIM_TAG_KEY, MARKER_TAG_KEY, OWNER_TAG_KEY
from components.operations.ownership import Owner

STOPPED = "ins-emu00001"  # seeded STOPPED instance, imaged without a shutdown


def provider_marks(image_name: str, instance_id: str, urn: str | None = None) -> dict[str, str]:
    """The marks the provider puts on an image it makes for the resource `urn` (None: a direct call in a test, where
    the resource is known by its image name), as tags."""
    owner = Owner.of(ImageRef(image_name=image_name, region="ap-guangzhou", urn=urn))
    return {MARKER_TAG_KEY: instance_id, OWNER_TAG_KEY: owner.tag}


def without_claim(tags: dict[str, str]) -> dict[str, str]:
    """The tags less the claim, a fresh token each create; asserts the claim is there."""
    assert CLAIM_TAG_KEY in tags, tags
    return {key: value for key, value in tags.items() if key != CLAIM_TAG_KEY}


def today_without_lags(emulator: Any, **config: Any) -> None:
    """Today's API with new images and their tags visible at once, so a test sees only what it arranges."""
    emulator.control.set_config(api_era="today", image_visibility_lag_seconds=0, tag_binding_lag_seconds=0, **config)


def calls(emulator: Any, action: str | None = None) -> list[dict[str, Any]]:
    return [entry for entry in emulator.control.requests() if action is None or entry["action"] == action]


def tag_specification(tags: dict[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": "image", "Tags": [{"Key": key, "Value": value} for key, value in tags.items()]}]


def make_images(client: CvmClient, names: list[str], instance_id: str = STOPPED, tags: dict[str, str] | None = None) -> list[str]:
    """CreateImage for each name (needs image_build_seconds=0, so no image task is left running), with `tags` (e.g.
    `provider_marks(...)`: as if a resource had made it); their ids."""
    extra = {"TagSpecification": tag_specification(tags)} if tags else {}
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
