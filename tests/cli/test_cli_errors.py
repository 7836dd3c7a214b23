"""What a user reads through the real CLI when something is wrong: one message per bad property, API errors translated
with their fix, never a Python traceback, and nothing made in the cloud."""

from __future__ import annotations

from typing import Any

import yaml

from tests.cli.cli_checks import assert_no_traceback, summary
from tests.cli.conftest import CliProject, Run, image
from tests.engine.cvm_stack import actions, images

TOO_LONG_NAME = "test-" + "x" * 56  # 61 characters


def test_bad_inputs_stop_the_preview_and_the_up_with_one_message_per_property(project: CliProject, emulator: Any) -> None:
    project.set_images([
        image("web", "ins-NOT-AN-ID", imageName=TOO_LONG_NAME, dataDiskIds=["disk-1"]),
        image("api", "ins-emu00002"),
    ])
    expected = [
        "property instance_id value {ins-NOT-AN-ID} has a problem: instance_id must look like ins-xxxxxxxx "
        "(ins- and 8 lowercase letters or digits), got 'ins-NOT-AN-ID'",
        "has a problem: image_name must be 1 to 60 characters, got 61; shorten it",
        "has a problem: data_disk_ids must hold data disk ids shaped disk-xxxxxxxx, got disk-1",
    ]

    def check(run: Run) -> None:
        assert run.returncode != 0, run
        diagnostics = run.stdout.split("Diagnostics:", 1)[1]
        blamed = [line for line in diagnostics.splitlines() if "error: pulumi-python:dynamic/cvm:Image resource 'web-image'" in line]
        for message in expected:
            assert any(message in line for line in blamed), f"{message!r} missing from:\n{run}"
        assert "'api-image'" not in diagnostics  # only the bad resource is blamed
        assert_no_traceback(run)

    check(project.preview(check=False))
    assert actions(emulator.control) == []  # preview runs Check and Diff only: no API call

    check(project.up(check=False))
    # The engine stops at the first failed step; a step it had already started for the good image may still finish.
    assert not [entry for entry in emulator.control.requests() if (entry["params"] or {}).get("ImageName") == TOO_LONG_NAME]
    assert {image["ImageName"] for image in images(emulator.control).values()} <= {"test-api"}
    assert "web-image" not in project.images()


def test_a_bad_stack_config_entry_is_named_without_a_traceback(project: CliProject, emulator: Any) -> None:
    project.set_images([{"name": "web", "instanceId": "ins-emu00001"}])  # no imageName

    run = project.preview(check=False)

    assert run.returncode != 0
    assert "Stack config `cvm-images:images` is invalid: images[0].imageName: Field required" in run.stdout
    assert_no_traceback(run)
    assert actions(emulator.control) == []


def test_an_api_error_shows_the_translated_message_with_its_fix_and_the_next_up_recovers(
    project: CliProject, emulator: Any
) -> None:
    project.set_images([image("web", "ins-emu00001")])  # one image: the engine skips steps not yet started once one fails
    emulator.control.set_config(image_quota=0)

    run = project.up(check=False)

    assert run.returncode != 0
    assert (
        "error: CreateImage for image 'test-web' in ap-guangzhou failed with ImageQuotaLimitExceeded: the custom image "
        "quota of ap-guangzhou is used up. Delete custom images you no longer need (DescribeImageQuota shows the "
        "quota) or ask Tencent Cloud for a higher quota, then run `pulumi up` again." in run.stdout
    ), run
    assert_no_traceback(run)
    created = [entry["error"] for entry in emulator.control.requests() if entry["action"] == "CreateImage"]
    assert created == ["ImageQuotaLimitExceeded"]  # not retried: retrying cannot help
    assert images(emulator.control) == {} and project.images() == {}

    emulator.control.set_config(image_quota=10)  # the fix the message names
    again = project.up()

    assert summary(again) == {"created": 1, "unchanged": 2}
    assert [image["ImageName"] for image in images(emulator.control).values()] == ["test-web"]


def test_without_credentials_preview_works_and_up_says_how_to_set_them(project: CliProject, emulator: Any) -> None:
    document = yaml.safe_load(project.stack_file.read_text())
    for key in ("tencentcloud:secretId", "tencentcloud:secretKey"):
        del document["config"][key]
    project.stack_file.write_text(yaml.safe_dump(document, sort_keys=False))

    preview = project.preview()  # Check and Diff need no credentials

    assert summary(preview) == {"to create": 5}
    up = project.up(check=False)

    assert up.returncode != 0
    assert (
        "No Tencent Cloud credentials: set `pulumi config set tencentcloud:secretId <id>` and "
        "`pulumi config set --secret tencentcloud:secretKey <key>`, or export TENCENTCLOUD_SECRET_ID and "
        "TENCENTCLOUD_SECRET_KEY." in up.stdout
    )
    assert_no_traceback(up)
    assert actions(emulator.control) == []
