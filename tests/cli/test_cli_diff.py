"""`pulumi preview --diff` and `pulumi up` through the real CLI for each row of the README's diff table.

Each test starts from `deployed` (test-web with a description, test-api; request log cleared), edits the stack's
declared images (or the copied project's provider code), and reads the engine's own per-property diff that the
provider's DIFF_UNKNOWN answer lets the CLI show. Previews must make no API call.
"""

from __future__ import annotations

from typing import Any

from tests.cli.cli_checks import diff_block, diff_names, first_line_index, state_ids, summary
from tests.cli.conftest import WEB_DESCRIPTION, CliProject, declared_images
from tests.engine.cvm_stack import actions, images, mutations


def declare(project: CliProject, **changes: dict[str, Any]) -> None:
    """The deployed declaration with the entries named by the keywords changed: declare(p, web={"tags": {...}})."""
    project.set_images([{**entry, **changes.get(entry["name"], {})} for entry in declared_images()])


def test_a_rename_and_a_new_description_update_in_place_showing_old_and_new_values(
    deployed: CliProject, emulator: Any
) -> None:
    before = state_ids(deployed.images())
    declare(deployed, web={"imageName": "test-web-2026", "description": "nginx on TencentOS"})

    preview = deployed.preview("--diff")

    assert summary(preview) == {"to update": 1, "unchanged": 4}
    assert diff_names(preview) == ["web-image"]
    assert diff_block(preview, "web-image") == (
        "update",
        [f'~ image_description: "{WEB_DESCRIPTION}" => "nginx on TencentOS"', '~ image_name : "test-web" => "test-web-2026"'],
    )
    assert actions(emulator.control) == []

    up = deployed.up()

    assert summary(up) == {"updated": 1, "unchanged": 4}
    assert mutations(emulator.control) == ["ModifyImageAttribute"]
    assert state_ids(deployed.images()) == before  # same image ids
    web = images(emulator.control)[before["web-image"]]
    assert (web["ImageName"], web["ImageDescription"]) == ("test-web-2026", "nginx on TencentOS")


def test_a_replacement_that_keeps_the_name_builds_first_then_swaps_names(deployed: CliProject, emulator: Any) -> None:
    old = state_ids(deployed.images())["web-image"]
    declare(deployed, web={"instanceId": "ins-emu00003"})  # same image_name

    preview = deployed.preview("--diff")

    assert summary(preview) == {"to replace": 1, "unchanged": 4}
    assert diff_block(preview, "web-image") == ("replace", ['~ instance_id: "ins-emu00001" => "ins-emu00003"'])
    assert actions(emulator.control) == []
    plain = deployed.preview()  # the one-line display names the property and shows the order of the two steps
    assert first_line_index(plain, "web-image create replacement") < first_line_index(plain, "web-image delete original")
    assert "[diff: ~instance_id]" in plain.stdout

    up = deployed.up()

    assert summary(up) == {"replaced": 1, "unchanged": 4}
    # Built under a pending name, the old image retired and the new one renamed, then the old one deleted.
    assert mutations(emulator.control) == ["CreateImage", "ModifyImageAttribute", "ModifyImageAttribute", "DeleteImages"]
    assert first_line_index(up, "web-image creating replacement") < first_line_index(up, "web-image deleted original")
    new = state_ids(deployed.images())["web-image"]
    assert new != old and old not in images(emulator.control)
    assert images(emulator.control)[new]["ImageName"] == "test-web"


def test_a_replacement_with_a_new_name_creates_the_new_image_first(deployed: CliProject, emulator: Any) -> None:
    old = state_ids(deployed.images())["web-image"]
    declare(deployed, web={"instanceId": "ins-emu00003", "imageName": "test-web-batch"})

    preview = deployed.preview("--diff")

    assert summary(preview) == {"to replace": 1, "unchanged": 4}
    assert diff_block(preview, "web-image") == (
        "replace",
        ['~ image_name : "test-web" => "test-web-batch"', '~ instance_id: "ins-emu00001" => "ins-emu00003"'],
    )
    assert actions(emulator.control) == []

    up = deployed.up()

    assert summary(up) == {"replaced": 1, "unchanged": 4}
    assert mutations(emulator.control) == ["CreateImage", "DeleteImages"]
    assert first_line_index(up, "web-image created replacement") < first_line_index(up, "web-image deleting original")
    new = state_ids(deployed.images())["web-image"]
    assert new != old and old not in images(emulator.control)
    assert images(emulator.control)[new]["ImageName"] == "test-web-batch"


def test_creation_only_flags_change_nothing(deployed: CliProject, emulator: Any) -> None:
    # Two declarations: live_image and wait_for_poweroff cannot go with a forced or rebooting stop.
    for web, api in (
        ({"forcePoweroff": True, "sysprep": True, "reboot": True}, {"forcePoweroff": False, "sysprep": False, "reboot": False}),
        ({"waitForPoweroff": True, "reboot": False}, {"liveImage": True, "forcePoweroff": False}),
    ):
        declare(deployed, web=web, api=api)

        preview = deployed.preview("--diff", "--expect-no-changes")  # exits non-zero if anything would change

        assert summary(preview) == {"unchanged": 5}
        assert diff_names(preview) == []
    assert actions(emulator.control) == []


def test_delete_bound_snapshots_and_wait_timeout_update_only_the_state(deployed: CliProject, emulator: Any) -> None:
    before = state_ids(deployed.images())
    declare(deployed, web={"deleteBoundSnapshots": True, "waitTimeoutMinutes": 30})

    preview = deployed.preview("--diff")

    assert diff_block(preview, "web-image") == (
        "update",
        ["~ delete_bound_snapshots: false => true", "~ wait_timeout_minutes : 60 => 30"],
    )

    up = deployed.up()

    assert summary(up) == {"updated": 1, "unchanged": 4}
    assert actions(emulator.control) == []  # no API call at all
    web = deployed.images()["web-image"]
    assert web["id"] == before["web-image"]
    assert (web["outputs"]["delete_bound_snapshots"], web["outputs"]["wait_timeout_minutes"]) == (True, 30)


def test_a_change_of_the_provider_code_alone_changes_nothing(deployed: CliProject, emulator: Any) -> None:
    provider = deployed.dir / "components" / "provider.py"
    provider.write_text(provider.read_text() + "\n\ndef _harmless_addition() -> None:\n    \"\"\"A new provider version.\"\"\"\n")

    preview = deployed.preview("--diff", "--expect-no-changes")

    assert summary(preview) == {"unchanged": 5}
    assert "__provider" not in preview.output  # no `[diff: ~__provider]`, no `~ __provider: [secret] => [secret]`
    assert actions(emulator.control) == []

