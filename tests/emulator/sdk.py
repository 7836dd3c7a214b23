"""Plain helpers for the emulator's tests (fixtures live in conftest.py)."""

import base64
import json
import time
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


def web_identity_token(expires_in: float = 600) -> str:
    """A JWT as GitHub Actions issues one (the emulator checks its shape and expiry, not its signature)."""
    claims = {"iss": "https://token.actions.githubusercontent.com", "sub": "repo:org/repo:ref:refs/heads/main",
              "aud": "sts.tencentcloudapi.com", "exp": int(time.time() + expires_in)}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJSUzI1NiJ9.{payload}.c2lnbmF0dXJl"
