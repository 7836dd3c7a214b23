"""The `local` stack through the real Pulumi CLI (`pulumi.automation`), against a test emulator.

What only the CLI can show: the language host running `__main__.py` from the project's virtualenv, the CLI's own
provider server and engine, a file backend with encrypted config, and state kept across commands. Skipped when the
CLI is not installed.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

if shutil.which("pulumi") is None:
    pytest.skip(
        "the Pulumi CLI is not installed (https://www.pulumi.com/docs/iac/download-install/)", allow_module_level=True
    )

from pulumi import automation as auto

from tests.engine.cvm_stack import actions, images, mutations

ROOT = Path(__file__).resolve().parents[2]
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "requirements.txt")
PROJECT_DIRS = ("components", "stacks")
IMAGE_TYPE = "pulumi-python:dynamic/cvm:Image"
NAMES = {"web-image": "local-web-base", "api-image": "local-api-base"}

Steps = list[tuple[str, str]]


@pytest.fixture
def stack(tmp_path: Path, emulator: Any) -> auto.Stack:
    """A copy of the project with stack `local` in a file backend, its endpoint moved to this test's emulator."""
    project = tmp_path / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, project / name)
    for name in PROJECT_DIRS:
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    (project / ".venv").symlink_to(ROOT / ".venv")  # Pulumi.yaml: `virtualenv: .venv`
    backend = tmp_path / "backend"
    backend.mkdir()
    env = {
        "PULUMI_BACKEND_URL": backend.as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": "local",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
    created = auto.create_or_select_stack("local", work_dir=str(project), opts=auto.LocalWorkspaceOptions(env_vars=env))
    created.set_config("cvmImage:endpoint", auto.ConfigValue(emulator.url))
    return created


def image_steps(command: Callable[..., Any]) -> tuple[Any, Steps]:
    """Run a stack command; returns its result and the (op, resource name) of each step on an image, sorted."""
    steps: Steps = []

    def record(event: auto.EngineEvent) -> None:
        pre = event.resource_pre_event
        if pre is not None and pre.metadata.type == IMAGE_TYPE:
            steps.append((pre.metadata.op.value, pre.metadata.urn.rsplit("::", 1)[1]))

    result = command(on_event=record)
    return result, sorted(steps)


def state_images(stack: auto.Stack) -> dict[str, dict[str, Any]]:
    """The images in the stack's state, by resource name."""
    resources = stack.export_stack().deployment.get("resources") or []  # none at all after a destroy
    return {res["urn"].rsplit("::", 1)[1]: res for res in resources if res["type"] == IMAGE_TYPE}


def emulator_names(emulator: Any) -> dict[str, str]:
    """The emulator's images: id -> name."""
    return {id_: image["ImageName"] for id_, image in images(emulator.control).items()}


def up_both(stack: auto.Stack, emulator: Any) -> dict[str, str]:
    """`pulumi up` of a new stack: both images made; returns the `image_ids` export; clears the request log."""
    result, steps = image_steps(stack.up)
    assert steps == [("create", "api-image"), ("create", "web-image")]
    image_ids = result.outputs["image_ids"].value
    assert emulator_names(emulator) == {image_ids["web"]: NAMES["web-image"], image_ids["api"]: NAMES["api-image"]}
    emulator.control.clear_requests()
    return image_ids


def test_preview_then_up_then_up_again(stack: auto.Stack, emulator: Any) -> None:
    _, planned = image_steps(stack.preview)

    assert planned == [("create", "api-image"), ("create", "web-image")]
    assert actions(emulator.control) == []  # check and diff make no API call
    assert images(emulator.control) == {}

    image_ids = up_both(stack, emulator)
    assert {name: res["id"] for name, res in state_images(stack).items()} == {
        "web-image": image_ids["web"],
        "api-image": image_ids["api"],
    }

    again, steps = image_steps(stack.up)

    assert steps == [("same", "api-image"), ("same", "web-image")]
    assert again.outputs["image_ids"].value == image_ids
    assert actions(emulator.control) == []


def test_refresh_takes_in_changes_by_hand_and_up_undoes_them(
    stack: auto.Stack, emulator: Any, cvm_client: Any
) -> None:
    image_ids = up_both(stack, emulator)
    cvm_client.call_json("ModifyImageAttribute", {"ImageId": image_ids["web"], "ImageName": "renamed-by-hand"})
    cvm_client.call_json("DeleteImages", {"ImageIds": [image_ids["api"]]})

    stack.refresh()

    assert mutations(emulator.control) == ["ModifyImageAttribute", "DeleteImages"]  # the refresh changed nothing
    in_state = state_images(stack)
    assert list(in_state) == ["web-image"]  # the deleted image left the stack
    assert in_state["web-image"]["outputs"]["image_name"] == "renamed-by-hand"
    _, planned = image_steps(stack.preview)
    assert planned == [("create", "api-image"), ("update", "web-image")]
    emulator.control.clear_requests()

    result, steps = image_steps(stack.up)

    assert steps == [("create", "api-image"), ("update", "web-image")]
    new_ids = result.outputs["image_ids"].value
    assert new_ids["web"] == image_ids["web"] and new_ids["api"] != image_ids["api"]
    assert emulator_names(emulator) == {new_ids["web"]: NAMES["web-image"], new_ids["api"]: NAMES["api-image"]}
    assert sorted(mutations(emulator.control)) == ["CreateImage", "ModifyImageAttribute"]


def test_destroy_leaves_nothing_behind(stack: auto.Stack, emulator: Any) -> None:
    up_both(stack, emulator)

    _, steps = image_steps(stack.destroy)

    assert steps == [("delete", "api-image"), ("delete", "web-image")]
    assert emulator.control.state()["images"] == []
    assert mutations(emulator.control) == ["DeleteImages", "DeleteImages"]
    assert state_images(stack) == {}
