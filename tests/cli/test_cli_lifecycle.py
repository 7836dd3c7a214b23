"""A stack's life through the real Pulumi CLI: preview, up, an unchanged up, refresh after changes by hand, destroy.

What only the CLI shows: the language host running `__main__.py` from `.venv`, the CLI's own engine and provider
server, a file backend with the stack's state kept across commands, and the display a user reads.
"""

from __future__ import annotations

from typing import Any

from tests.cli.cli_checks import (
    diff_block,
    diff_names,
    emulator_names,
    state_ids,
    step_lines,
    summary,
)
from tests.cli.conftest import WEB_DESCRIPTION, CliProject
from tests.engine.cvm_stack import actions, images, mutations


def test_preview_of_a_new_stack_calls_no_api_then_up_makes_the_images_and_an_unchanged_up_calls_none(
    project: CliProject, emulator: Any
) -> None:
    preview = project.preview("--diff")

    assert summary(preview) == {"to create": 5}  # the stack, two GoldenImages, two images
    assert diff_block(preview, "web-image")[0] == "create" and diff_block(preview, "api-image")[0] == "create"
    assert 'image_name : "test-web"' in diff_block(preview, "web-image")[1]
    assert actions(emulator.control) == []  # Check and Diff only: no API call, nothing made
    assert images(emulator.control) == {}

    up = project.up()

    assert summary(up) == {"created": 5}
    in_state = state_ids(project.images())
    assert sorted(in_state) == ["api-image", "web-image"]
    assert emulator_names(emulator.control) == {in_state["web-image"]: "test-web", in_state["api-image"]: "test-api"}
    assert {image["ImageState"] for image in images(emulator.control).values()} == {"NORMAL"}
    assert sorted(mutations(emulator.control)) == ["CreateImage", "CreateImage"]
    emulator.control.clear_requests()

    again = project.up()

    assert summary(again) == {"unchanged": 5}
    assert step_lines(again, "web-image") == [] and step_lines(again, "api-image") == []  # no step shown at all
    assert actions(emulator.control) == []
    assert state_ids(project.images()) == in_state


def test_refresh_takes_in_a_rename_and_a_delete_by_hand_and_the_next_up_undoes_them(
    deployed: CliProject, emulator: Any, cvm_client: Any
) -> None:
    ids = state_ids(deployed.images())
    cvm_client.call_json("ModifyImageAttribute", {"ImageId": ids["web-image"], "ImageName": "renamed-by-hand"})
    cvm_client.call_json("DeleteImages", {"ImageIds": [ids["api-image"]]})
    emulator.control.clear_requests()

    refresh = deployed.refresh()

    assert summary(refresh) == {"updated": 1, "deleted": 1, "changes": 2, "unchanged": 3}
    assert any(line.startswith("updated") and "[diff: ~image_name]" in line for line in step_lines(refresh, "web-image"))
    assert any(line.startswith("deleted") for line in step_lines(refresh, "api-image"))
    assert mutations(emulator.control) == []  # refresh only reads
    in_state = deployed.images()
    assert list(in_state) == ["web-image"]  # the image deleted by hand left the stack
    assert in_state["web-image"]["outputs"]["image_name"] == "renamed-by-hand"
    assert in_state["web-image"]["outputs"]["image_description"] == WEB_DESCRIPTION

    preview = deployed.preview("--diff")

    assert summary(preview) == {"to create": 1, "to update": 1, "changes": 2, "unchanged": 3}
    assert diff_block(preview, "web-image") == ("update", ['~ image_name: "renamed-by-hand" => "test-web"'])
    assert diff_block(preview, "api-image")[0] == "create"
    assert mutations(emulator.control) == []

    up = deployed.up()

    assert summary(up) == {"created": 1, "updated": 1, "changes": 2, "unchanged": 3}
    assert sorted(mutations(emulator.control)) == ["CreateImage", "ModifyImageAttribute"]
    now = state_ids(deployed.images())
    assert now["web-image"] == ids["web-image"] and now["api-image"] != ids["api-image"]
    assert emulator_names(emulator.control) == {now["web-image"]: "test-web", now["api-image"]: "test-api"}
    emulator.control.clear_requests()
    converged = deployed.preview("--diff", "--expect-no-changes")
    assert diff_names(converged) == [] and summary(converged) == {"unchanged": 5}
    assert actions(emulator.control) == []


def test_destroy_leaves_nothing_in_the_emulator_and_no_image_in_the_state(deployed: CliProject, emulator: Any) -> None:
    destroy = deployed.destroy()

    assert summary(destroy) == {"deleted": 5}
    assert mutations(emulator.control) == ["DeleteImages", "DeleteImages"]
    assert emulator.control.state()["images"] == []
    assert deployed.images() == {}
    assert deployed.resources() == []  # not even the default provider is left
