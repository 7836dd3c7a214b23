"""`pulumi up` of the `local` stack through the engine double: the program's images really appear in the emulator,
and a second run with edited config updates, replaces or deletes them as the diff table says."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.operations.facts import marker_of, user_tags
from tests.engine.cvm_stack import actions, images, mutations
from tests.program.engine_run import Run, StackState, up
from tests.program.stack_run import stack_config

WEB = ("web", "local-web-base", "ins-emu00001")
API = ("api", "local-api-base", "ins-emu00002")


@pytest.fixture
def config(emulator: Any) -> dict[str, str]:
    """The `local` stack's config, with its endpoint moved to this test's emulator."""
    return {**stack_config("local"), "cvmImage:endpoint": emulator.url}


@pytest.fixture
def stack(config: dict[str, str], emulator: Any) -> StackState:
    """The `local` stack after a first `pulumi up`; the emulator's request log is cleared."""
    state = StackState("local")
    first = up(state, config)
    assert first.steps == [("create", "api-image"), ("create", "web-image")]
    emulator.control.clear_requests()
    return state


def edited(config: dict[str, str], name: str, **changes: Any) -> dict[str, str]:
    """The config with the entry `name` of `cvm-images:images` changed."""
    entries = [{**entry, **changes} if entry["name"] == name else entry for entry in json.loads(config["cvm-images:images"])]
    return {**config, "cvm-images:images": json.dumps(entries)}


def without(config: dict[str, str], name: str) -> dict[str, str]:
    entries = [entry for entry in json.loads(config["cvm-images:images"]) if entry["name"] != name]
    return {**config, "cvm-images:images": json.dumps(entries)}


def made(emulator: Any) -> dict[str, tuple[str, str | None]]:
    """The emulator's images: id -> (name, instance it was made from)."""
    return {id_: (image["ImageName"], marker_of(image)) for id_, image in images(emulator.control).items()}


def test_up_of_the_local_stack_makes_its_images_and_a_rerun_changes_nothing(config: dict[str, str], emulator: Any) -> None:
    state = StackState("local")
    first = up(state, config)

    assert first.steps == [("create", "api-image"), ("create", "web-image")]
    assert made(emulator) == {first.image_ids["web"]: WEB[1:], first.image_ids["api"]: API[1:]}
    web_image = images(emulator.control)[first.image_ids["web"]]
    assert web_image["ImageDescription"] == "Web tier golden image (emulator)"
    assert user_tags(web_image) == {"team": "infra", "env": "local"}
    emulator.control.clear_requests()

    again = up(state, config)

    assert again == Run([("same", "api-image"), ("same", "web-image")], first.image_ids)
    assert actions(emulator.control) == []


def test_an_edited_description_updates_in_place(config: dict[str, str], stack: StackState, emulator: Any) -> None:
    before = images(emulator.control)

    run = up(stack, edited(config, "web", description="nginx on TencentOS"))

    assert run.steps == [("same", "api-image"), ("update", "web-image")]
    assert set(run.image_ids.values()) == set(before)
    assert images(emulator.control)[run.image_ids["web"]]["ImageDescription"] == "nginx on TencentOS"
    assert mutations(emulator.control) == ["ModifyImageAttribute"]


def test_a_changed_instance_replaces_the_image(config: dict[str, str], stack: StackState, emulator: Any) -> None:
    before = {made_from[0]: id_ for id_, made_from in made(emulator).items()}

    run = up(stack, edited(config, "web", instanceId="ins-emu00003", reboot=True))

    assert run.steps == [
        ("create-replacement", "web-image"),
        ("delete-replaced", "web-image"),
        ("replace", "web-image"),
        ("same", "api-image"),
    ]
    assert run.image_ids["api"] == before[API[1]] and run.image_ids["web"] != before[WEB[1]]
    assert made(emulator) == {run.image_ids["web"]: (WEB[1], "ins-emu00003"), run.image_ids["api"]: API[1:]}
    # Same name: built under a pending name, the old image retired, the new one renamed, then the old one deleted.
    assert mutations(emulator.control) == ["CreateImage", "ModifyImageAttribute", "ModifyImageAttribute", "DeleteImages"]


def test_an_entry_dropped_from_the_config_deletes_its_image(config: dict[str, str], stack: StackState, emulator: Any) -> None:
    web_id = next(id_ for id_, made_from in made(emulator).items() if made_from == WEB[1:])

    run = up(stack, without(config, "api"))

    assert run.steps == [("delete", "api-image"), ("same", "web-image")]
    assert made(emulator) == {web_id: WEB[1:]}
    assert mutations(emulator.control) == ["DeleteImages"]
