"""Plain helpers for the emulator's tests (fixtures live in conftest.py)."""

import json
from typing import Any

from tencentcloud.cvm.v20170312 import models
from tencentcloud.cvm.v20170312.cvm_client import CvmClient


def call(client: CvmClient, action: str, **fields: Any) -> Any:
    """The action through the SDK's own request and response models."""
    request = getattr(models, f"{action}Request")()
    request.from_json_string(json.dumps(fields))
    return getattr(client, action)(request)


def image_in_state(emulator: Any, image_id: str) -> dict[str, Any] | None:
    """The image as the control view shows it (any region, invisible ones too)."""
    return next((image for image in emulator.control.state()["images"] if image["ImageId"] == image_id), None)


def state_of(emulator: Any, image_id: str) -> str | None:
    image = image_in_state(emulator, image_id)
    return image["ImageState"] if image else None
