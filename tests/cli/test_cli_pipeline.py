"""A golden-image pipeline through the real CLI: copies in other regions and shares, declared in stack config,
changed in place with the engine's per-element list diff in the preview, and nothing left behind by destroy."""

from __future__ import annotations

from typing import Any

from tests.cli.cli_checks import diff_block, summary
from tests.cli.conftest import CliProject, image
from tests.engine.cvm_stack import actions, mutations

ALICE, BOB = "100000000011", "100000000012"


def web(**pipeline: Any) -> list[dict[str, Any]]:
    return [image("web", "ins-emu00001", **pipeline)]


def by_region(emulator: Any) -> dict[str, dict[str, Any]]:
    """The emulator's images by region (at most one a region in these tests)."""
    return {found["Region"]: found for found in emulator.control.state()["images"]}


def test_copies_and_shares_are_created_changed_in_place_and_destroyed(project: CliProject, emulator: Any) -> None:
    project.set_images(web(copyToRegions=["ap-shanghai"], shareWithAccounts=[ALICE]))
    project.up()

    [state] = project.images().values()
    image_id, copies = state["id"], state["outputs"]["copies"]
    live = by_region(emulator)
    assert copies == {"ap-shanghai": live["ap-shanghai"]["ImageId"]}
    assert live["ap-shanghai"]["CopiedFrom"]["ImageId"] == image_id and live["ap-shanghai"]["ImageState"] == "NORMAL"
    assert live["ap-guangzhou"]["SharedWith"] == [ALICE] and live["ap-shanghai"]["SharedWith"] == []  # share_copies off

    emulator.control.clear_requests()
    project.set_images(web(copyToRegions=["ap-beijing"], shareWithAccounts=[BOB]))
    preview = project.preview("--diff")

    assert summary(preview) == {"to update": 1, "unchanged": 2}
    kind, lines = diff_block(preview, "web-image")
    assert kind == "update"
    assert any("ap-shanghai" in line and "ap-beijing" in line for line in lines), lines  # the region list's change
    assert any(ALICE in line and BOB in line for line in lines), lines
    assert actions(emulator.control) == []  # a preview makes no API call

    project.up()

    [state] = project.images().values()
    assert state["id"] == image_id  # in place
    live = by_region(emulator)
    assert set(live) == {"ap-guangzhou", "ap-beijing"}  # the Shanghai copy is deleted
    assert state["outputs"]["copies"] == {"ap-beijing": live["ap-beijing"]["ImageId"]}
    assert live["ap-guangzhou"]["SharedWith"] == [BOB]
    assert "SyncImages" in mutations(emulator.control) and "CreateImage" not in mutations(emulator.control)

    project.destroy()

    assert emulator.control.state()["images"] == []  # no image, no copy, so no share either
