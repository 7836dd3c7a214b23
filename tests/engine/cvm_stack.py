"""CvmImage stacks over the engine double: a provider server configured like the engine configures it, goals, and
what the emulator saw.

Importable by the provider server too (it runs in the project root), so `RevisedCvmImageProvider` unpickles there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from components.provider import CvmImageProvider
from emulator.control import EmulatorControl
from tests.engine.engine import Goal
from tests.engine.host import ProviderHost

PROJECT = "cvm-images"
SECRET_CONFIG_KEYS = frozenset({"tencentcloud:secretKey"})
MUTATING_ACTIONS = frozenset({"CreateImage", "ModifyImageAttribute", "DeleteImages", "SyncImages", "ModifyImageSharePermission"})

T = TypeVar("T")


class RevisedCvmImageProvider(CvmImageProvider):
    """The same provider under another import path: pickles to a different `__provider`, like a new provider version."""


def emulator_config(emulator: Any) -> dict[str, str]:
    """The provider config the engine sends for a stack pointed at the test emulator."""
    return {
        "tencentcloud:secretId": emulator.secret_id,
        "tencentcloud:secretKey": emulator.secret_key,
        "tencentcloud:region": emulator.region,
        "cvmImage:endpoint": emulator.url,
    }


def start_host(config: Mapping[str, str]) -> ProviderHost:
    """A provider server for this project, configured with the stack config (the secret key marked secret)."""
    host = ProviderHost(project=PROJECT)
    try:
        host.configure(config, SECRET_CONFIG_KEYS & config.keys())
    except BaseException:
        host.close()
        raise
    return host


def image_goal(name: str, provider: CvmImageProvider | None = None, **inputs: Any) -> Goal:
    """A CvmImage registration with the given inputs (None values left out, as CvmImage leaves them out)."""
    return Goal(name, {key: value for key, value in inputs.items() if value is not None}, provider or CvmImageProvider())


def during(host: ProviderHost, action: Callable[[], T]) -> tuple[T, list[str]]:
    """What the action returned and the provider methods the engine called meanwhile."""
    before = len(host.calls)
    result = action()
    return result, host.methods()[before:]


def actions(control: EmulatorControl) -> list[str]:
    """Every API action the emulator answered since its log was last cleared, oldest first."""
    return [entry["action"] for entry in control.requests()]


def mutations(control: EmulatorControl) -> list[str]:
    """The API actions that changed something, oldest first."""
    return [action for action in actions(control) if action in MUTATING_ACTIONS]


def images(control: EmulatorControl) -> dict[str, dict[str, Any]]:
    """The emulator's custom images by id."""
    return {image["ImageId"]: image for image in control.state()["images"]}
