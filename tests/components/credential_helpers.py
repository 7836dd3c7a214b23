"""Helpers for the credential tests: a provider configured with only what a test gives (objects and lists as the JSON
text the engine sends), creates through it, and the emulator's request log as who signed what."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from pulumi.dynamic import Config, ConfigureRequest, CreateResult

from components import CvmImageProvider
from emulator import EmulatorConfig
from emulator.config import ACCOUNT_UIN, SECOND_ACCOUNT_UIN
from tests.components.emulator_helpers import STOPPED

ROLE = f"qcs::cam::uin/{ACCOUNT_UIN}:roleName/deployer"
SECOND_ROLE = f"qcs::cam::uin/{SECOND_ACCOUNT_UIN}:roleName/deployer"
SECOND_KEY = (EmulatorConfig().second_secret_id, EmulatorConfig().second_secret_key)
TEMPORARY = "AKIDTMP"  # the emulator's temporary secret ids


class Signed(NamedTuple):
    service: str
    action: str
    secret_id: str | None
    token: bool
    error: str | None


def provider_with(emulator: Any, **config: Any) -> CvmImageProvider:
    """A provider configured as the engine configures it, with these `tencentcloud:` keys beside the emulator's
    endpoint and region (`region=None`: none)."""
    values = {"tencentcloud:region": emulator.region, "cvmImage:endpoint": emulator.url}
    for key, value in config.items():
        values[f"tencentcloud:{key}"] = value if isinstance(value, str) else json.dumps(value)
    values = {key: value for key, value in values.items() if value != "null"}
    provider = CvmImageProvider()
    provider.configure(ConfigureRequest(Config(values, "cvm-images")))
    return provider


def create(provider: CvmImageProvider, **props: Any) -> CreateResult:
    checked = provider.check({}, {"instance_id": STOPPED, "image_name": "web-base", "wait_timeout_minutes": 0.5, **props})
    assert not checked.failures, checked.failures
    return provider.create(checked.inputs)


def signed(emulator: Any) -> list[Signed]:
    return [
        Signed(entry["service"], entry["action"], entry["secret_id"], entry["token"], entry["error"])
        for entry in emulator.control.requests()
    ]


def key_of(emulator: Any) -> dict[str, str]:
    """The emulator account's static key as stack config."""
    return {"secretId": emulator.secret_id, "secretKey": emulator.secret_key}
