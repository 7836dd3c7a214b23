"""Versions that are never lost (issue 19) through the real CLI: keepPrevious and previous_image_ids, rollbackTo in one
`pulumi up` with no build, and nothing deleted while instances, launch templates or launch configurations launch
from it (a replacement keeps it retired; destroy fails, names it, and finishes once it is detached)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.operations.facts import RETIRED_TAG_KEY
from tests.cli.cli_checks import assert_no_traceback, diff_block, summary
from tests.cli.conftest import CliProject, image
from tests.components.launch_helpers import USERS, attach, run_instances, terminate
from tests.engine.cvm_stack import actions, images

BUILDS = ("ins-emu00001", "ins-emu00003", "ins-emu00001")  # a new instanceId each time: a replacement that keeps the name


def declare(project: CliProject, instance_id: str, **settings: Any) -> None:
    project.set_images([image("web", instance_id, **{"imageFamily": "web", "keepPrevious": 1, **settings})])


def web_outputs(project: CliProject) -> dict[str, Any]:
    return project.images()["web-image"]["outputs"]


def build(project: CliProject, instances: tuple[str, ...] = BUILDS, **settings: Any) -> list[str]:
    """One `pulumi up` per instance; the image id each left current."""
    made = []
    for instance_id in instances:
        declare(project, instance_id, **settings)
        project.up()
        made.append(project.images()["web-image"]["id"])
    return made


def tags(found: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in found["Tags"]}


def assert_retired(found: dict[str, Any]) -> None:
    assert found["ImageName"].startswith("test-web-retired-") and found["ImageDeprecated"] and RETIRED_TAG_KEY in tags(found)


def test_three_replacements_keep_one_version_and_a_rollback_takes_one_up_without_a_build(project: CliProject, emulator: Any) -> None:
    v1, v2, v3 = build(project)

    live = images(emulator.control)
    assert set(live) == {v2, v3}  # v1 pruned
    assert_retired(live[v2])
    assert live[v3]["ImageName"] == "test-web" and not live[v3]["ImageDeprecated"]
    assert web_outputs(project)["previous_image_ids"] == [v2]

    declare(project, BUILDS[-1], rollbackTo=v2)
    emulator.control.clear_requests()
    preview = project.preview("--diff")

    assert diff_block(preview, "web-image")[0] == "replace" and actions(emulator.control) == []  # no lookup in a preview
    rollback = project.up()

    assert summary(rollback) == {"replaced": 1, "unchanged": 2}
    assert "CreateImage" not in actions(emulator.control)
    assert project.images()["web-image"]["id"] == v2 and web_outputs(project)["previous_image_ids"] == [v3]
    assert json.loads(project.pulumi("stack", "output", "--json", "image_ids").stdout) == {"web": v2}
    live = images(emulator.control)
    assert live[v2]["ImageName"] == "test-web" and not live[v2]["ImageDeprecated"] and RETIRED_TAG_KEY not in tags(live[v2])
    assert_retired(live[v3])

    declare(project, BUILDS[-1])  # rollbackTo removed: nothing flips back
    emulator.control.clear_requests()
    assert summary(project.up()) == {"unchanged": 3}
    assert actions(emulator.control) == []


def test_an_instance_keeps_a_retained_version_past_pruning_until_it_is_gone(project: CliProject, emulator: Any) -> None:
    [v1] = build(project, BUILDS[:1])
    [instance] = run_instances(emulator, v1)

    v2, v3 = build(project, BUILDS[1:])

    assert set(images(emulator.control)) == {v1, v2, v3} and web_outputs(project)["previous_image_ids"] == [v2, v1]

    terminate(emulator, [instance])
    up = project.up()

    assert summary(up) == {"updated": 1, "unchanged": 2}
    assert set(images(emulator.control)) == {v2, v3} and web_outputs(project)["previous_image_ids"] == [v2]


def test_without_keep_previous_a_replaced_image_in_use_is_kept_retired_and_the_warning_names_it(
    project: CliProject, emulator: Any
) -> None:
    [v1] = build(project, BUILDS[:1], keepPrevious=0)
    [instance] = run_instances(emulator, v1)

    declare(project, BUILDS[1], keepPrevious=0)
    up = project.up()

    assert f"stays retired beyond keep_previous (0): something still launches from it ({v1} in ap-guangzhou: instance {instance})" in up.output
    v2 = project.images()["web-image"]["id"]
    live = images(emulator.control)
    assert set(live) == {v1, v2}
    assert_retired(live[v1])
    assert web_outputs(project)["previous_image_ids"] == [v1]


@pytest.mark.parametrize("user", USERS)
def test_destroy_fails_while_something_launches_from_an_image_and_finishes_after_it_is_detached(
    project: CliProject, emulator: Any, user: str
) -> None:
    v1, v2 = build(project, BUILDS[:2], copyToRegions=["ap-shanghai"])
    named, detach = attach(emulator, user, v2, web_outputs(project)["copies"])
    before = images(emulator.control)
    emulator.control.clear_requests()

    refused = project.destroy(check=False)

    assert refused.returncode != 0
    text = " ".join(refused.output.split())
    assert f"DeleteImages for image 'test-web' ({v2}) in ap-guangzhou was not sent: something still launches from 1 of its 4 image(s)" in text
    assert f"In use: {named}." in text and "run `pulumi destroy` again" in text and "retain_on_delete=True" in text
    assert_no_traceback(refused)
    assert images(emulator.control) == before and "DeleteImages" not in actions(emulator.control)

    detach()
    project.destroy()

    assert images(emulator.control) == {} and project.images() == {}


def test_a_refused_retire_is_finished_by_the_next_up_with_nothing_orphaned(project: CliProject, emulator: Any) -> None:
    v1, v2 = build(project, BUILDS[:2], copyToRegions=["ap-shanghai"])
    declare(project, BUILDS[2], copyToRegions=["ap-shanghai"])
    emulator.control.deny("tag:TagResources")

    failed = project.up(check=False)

    assert failed.returncode != 0
    assert_no_traceback(failed)
    emulator.control.deny()
    project.up()

    v3 = project.images()["web-image"]["id"]
    live = images(emulator.control)
    assert {image_id for image_id, found in live.items() if found["Region"] == "ap-guangzhou"} == {v2, v3} and len(live) == 4
    assert_retired(live[v2])
    assert web_outputs(project)["previous_image_ids"] == [v2]
    assert summary(project.up()) == {"unchanged": 3}
