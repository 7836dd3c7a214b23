"""Versions that are never lost (issue 19), driven the way the engine drives the provider: keep_previous, rollback_to
and nothing deleted while something launches from it. tests/cli/test_cli_versions.py has the real CLI."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from tencentcloud.common.credential import Credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.tag.v20180813.tag_client import TagClient

from components.operations.copies import COPY_OF_TAG_KEY
from components.operations.facts import CLAIM_TAG_KEY, OWNER_TAG_KEY, RETIRED_TAG_KEY
from tests.components.launch_helpers import USERS, attach, cvm, launch_configuration, run_instances, terminate
from tests.engine.cvm_stack import actions, image_goal, images, mutations
from tests.engine.engine import DeploymentError, Engine, Goal, Step
from tests.engine.host import ProviderHost
from tests.engine.test_ownership import engine, host, tags  # noqa: F401 - the same fixtures: an emulator without lags

STOPPED, OTHER_RUNNING = "ins-emu00001", "ins-emu00003"
ALICE = "100000000002"
BUILDS = (STOPPED, OTHER_RUNNING, STOPPED)  # each a new instance_id: a replacement that keeps the name
USAGE_LOOKUPS = {"DescribeInstances", "DescribeLaunchTemplates", "DescribeLaunchTemplateVersions", "DescribeLaunchConfigurations"}


def web(instance_id: str = STOPPED, **settings: Any) -> Goal:
    inputs = {"instance_id": instance_id, "image_name": "web-base", "reboot": True, "image_family": "web", "keep_previous": 1}
    return image_goal("web-image", **{**inputs, **settings})


def outputs(engine: Engine) -> dict[str, Any]:
    return engine.state[engine.urn(web())].outputs


def build(engine: Engine, instances: tuple[str, ...] = BUILDS, **settings: Any) -> list[str]:
    """One `pulumi up` per instance (a replacement from the second on); the image id each made."""
    made = []
    for instance_id in instances:
        engine.up([web(instance_id, **settings)])
        made.append(engine.state[engine.urn(web())].id)
    return made


def family_head(emulator: Any, region: str = "ap-guangzhou") -> str:
    return cvm(emulator, region).call_json("DescribeImageFromFamily", {"ImageFamily": "web"})["Response"]["Image"]["ImageId"]


def assert_retired(image: dict[str, Any]) -> None:
    assert image["ImageName"].startswith("web-base-retired-") and image["ImageDeprecated"] and RETIRED_TAG_KEY in tags(image)


def test_three_replacements_keep_one_previous_version(engine: Engine, emulator: Any) -> None:
    v1, v2, v3 = build(engine)

    live = images(emulator.control)
    assert set(live) == {v2, v3}  # v1 was pruned
    assert_retired(live[v2])
    assert live[v3]["ImageName"] == "web-base" and not live[v3]["ImageDeprecated"] and RETIRED_TAG_KEY not in tags(live[v3])
    assert outputs(engine)["previous_image_ids"] == [v2]
    assert family_head(emulator) == v3  # the retired version is deprecated: the family skips it

    engine.refresh()  # read from the cloud by tag
    emulator.control.clear_requests()
    assert outputs(engine)["previous_image_ids"] == [v2]
    assert engine.up([web()]) == [Step("same", engine.urn(web()))] and actions(emulator.control) == []


def test_a_retired_version_keeps_its_shares_and_its_copy_keeps_its_own(engine: Engine, emulator: Any) -> None:
    """Retiring renames a shared image and its shared copy: each is unshared for the rename and shared again."""
    shares = {"share_with_accounts": [ALICE], "share_copies": True, "copy_to_regions": ["ap-shanghai"]}
    v1, v2 = build(engine, BUILDS[:2], **shares)

    live = images(emulator.control)
    retired_copy = next(image for image in live.values() if image["ImageId"] not in (v1, v2) and tags(image).get(COPY_OF_TAG_KEY) == v1)
    for image in (live[v1], retired_copy):
        assert_retired(image)
        assert image["SharedWith"] == [ALICE]
    assert outputs(engine)["previous_image_ids"] == [v1]


def test_a_rollback_makes_a_retained_version_current_in_one_up_without_a_build(engine: Engine, emulator: Any) -> None:
    v1, v2, v3 = build(engine)
    emulator.control.clear_requests()

    steps = engine.up([web(rollback_to=v2)])

    assert [step.op for step in steps] == ["create-replacement", "replace", "delete-replaced"]
    assert "CreateImage" not in actions(emulator.control)
    assert engine.state[engine.urn(web())].id == v2 and outputs(engine)["previous_image_ids"] == [v3]
    live = images(emulator.control)
    assert set(live) == {v2, v3}
    assert live[v2]["ImageName"] == "web-base" and not live[v2]["ImageDeprecated"] and RETIRED_TAG_KEY not in tags(live[v2])
    assert_retired(live[v3])
    assert family_head(emulator) == v2

    emulator.control.clear_requests()
    assert engine.up([web()]) == [Step("same", engine.urn(web()))]  # removing rollback_to flips nothing back
    assert mutations(emulator.control) == []


def test_a_rollback_to_an_image_that_is_no_retained_version_changes_nothing(engine: Engine, emulator: Any) -> None:
    v1, v2 = build(engine, BUILDS[:2])
    before = images(emulator.control)

    with pytest.raises(DeploymentError) as failed:
        engine.up([web(OTHER_RUNNING, rollback_to="img-zzzzzzzz")])

    assert f"Cannot roll image 'web-base' ({v2}) in ap-guangzhou back to img-zzzzzzzz: no such image" in failed.value.errors[0].details
    assert images(emulator.control) == before and engine.state[engine.urn(web())].id == v2


def test_an_instance_keeps_its_version_past_pruning_and_the_up_after_it_is_gone_deletes_it(
    engine: Engine, host: ProviderHost, emulator: Any
) -> None:
    [v1] = build(engine, BUILDS[:1])
    [instance] = run_instances(emulator, v1)

    v2, v3 = build(engine, BUILDS[1:])

    assert set(images(emulator.control)) == {v1, v2, v3} and outputs(engine)["previous_image_ids"] == [v2, v1]
    assert f"Image {v1}, a previous version of image 'web-base'" in host.output
    assert f"stays retired beyond keep_previous (1): something still launches from it ({v1} in ap-guangzhou: instance {instance})" in host.output

    terminate(emulator, [instance])
    emulator.control.clear_requests()
    assert engine.up([web()]) == [Step("update", engine.urn(web()), ("previous_image_ids",))]

    assert set(images(emulator.control)) == {v2, v3} and outputs(engine)["previous_image_ids"] == [v2]
    assert "CreateImage" not in actions(emulator.control)


def test_without_keep_previous_an_image_in_use_is_retired_instead_of_deleted(engine: Engine, host: ProviderHost, emulator: Any) -> None:
    [v1] = build(engine, BUILDS[:1], keep_previous=0)
    [instance] = run_instances(emulator, v1)

    [v2] = build(engine, BUILDS[1:2], keep_previous=0)

    live = images(emulator.control)
    assert set(live) == {v1, v2}
    assert_retired(live[v1])
    assert outputs(engine)["previous_image_ids"] == [v1]
    assert f"stays retired beyond keep_previous (0): something still launches from it ({v1} in ap-guangzhou: instance {instance})" in host.output

    terminate(emulator, [instance])
    engine.up([web(OTHER_RUNNING, keep_previous=0)])

    assert set(images(emulator.control)) == {v2} and outputs(engine)["previous_image_ids"] == []


def test_without_keep_previous_and_nothing_in_use_a_replacement_deletes_the_old_image(engine: Engine, emulator: Any) -> None:
    v1, v2 = build(engine, BUILDS[:2], keep_previous=0)

    assert set(images(emulator.control)) == {v2} and outputs(engine)["previous_image_ids"] == []
    assert v1 not in images(emulator.control)


@pytest.mark.parametrize("user", USERS)
def test_destroy_refuses_while_something_launches_from_an_image_then_finishes_once_it_is_gone(
    engine: Engine, emulator: Any, user: str
) -> None:
    v1, v2 = build(engine, BUILDS[:2], copy_to_regions=["ap-shanghai"])
    named, detach = attach(emulator, user, v2, outputs(engine)["copies"])
    before = images(emulator.control)
    assert len(before) == 4  # v1 (retained) and v2, each with its copy
    emulator.control.clear_requests()

    with pytest.raises(DeploymentError) as failed:
        engine.destroy()

    message = failed.value.errors[0].details
    assert f"In use: {named}." in message
    assert "something still launches from 1 of its 4 image(s)" in message and "none of them was deleted" in message
    assert "run `pulumi destroy` again" in message and "retain_on_delete=True" in message
    assert images(emulator.control) == before and "DeleteImages" not in actions(emulator.control)

    detach()
    engine.destroy()

    assert images(emulator.control) == {} and engine.state == {}


def test_destroy_with_delete_in_use_deletes_every_version_without_looking(engine: Engine, emulator: Any) -> None:
    v1, v2 = build(engine, BUILDS[:2], delete_in_use=True)
    launch_configuration(emulator, ImageId=v2)
    emulator.control.clear_requests()

    engine.destroy()

    assert images(emulator.control) == {}
    assert not USAGE_LOOKUPS & set(actions(emulator.control))


def test_removing_a_copy_region_whose_copy_is_in_use_fails_and_keeps_it(engine: Engine, emulator: Any) -> None:
    [v1] = build(engine, BUILDS[:1], copy_to_regions=["ap-shanghai", "ap-beijing"])
    copies = outputs(engine)["copies"]
    [instance] = run_instances(emulator, copies["ap-beijing"], region="ap-beijing")

    with pytest.raises(DeploymentError) as failed:
        engine.up([web(copy_to_regions=["ap-shanghai"])])

    assert f"In use: {copies['ap-beijing']} in ap-beijing: instance {instance}." in failed.value.errors[0].details
    assert copies["ap-beijing"] in images(emulator.control) and outputs(engine)["copies"] == copies

    terminate(emulator, [instance], "ap-beijing")
    engine.up([web(copy_to_regions=["ap-shanghai"])])

    assert copies["ap-beijing"] not in images(emulator.control) and outputs(engine)["copies"] == {"ap-shanghai": copies["ap-shanghai"]}


def test_a_preview_makes_no_usage_lookup(engine: Engine, emulator: Any) -> None:
    v1, v2 = build(engine, BUILDS[:2])
    emulator.control.clear_requests()

    steps = engine.preview([web(OTHER_RUNNING, keep_previous=0, rollback_to=v1)])

    assert {step.op for step in steps} == {"create-replacement", "replace", "delete-replaced"}
    assert actions(emulator.control) == []


FAULTS = [
    {"action": "ModifyImageAttribute", "kind": "lose_response", "count": 2},
    {"action": "TagResources", "kind": "drop", "count": 2},
    {"action": "UnTagResources", "kind": "drop", "count": 1},
    {"action": "DeleteImages", "kind": "lose_response", "count": 1},
    {"action": "DescribeInstances", "kind": "http_500", "count": 1},
    {"action": "DescribeLaunchTemplates", "kind": "throttle", "count": 1},
    {"action": "DescribeLaunchConfigurations", "kind": "internal_error", "count": 1},
]


@pytest.mark.parametrize("denied", [None, "tag:TagResources", "cvm:DeleteImages"])
def test_faults_during_retire_and_prune_converge_with_nothing_orphaned(engine: Engine, emulator: Any, denied: str | None) -> None:
    """Transient faults are retried through; a refused retire tag or prune fails the up, and the next one finishes:
    exactly the current image and keep_previous retained versions, with their copies, and nothing else."""
    v1, v2 = build(engine, BUILDS[:2], copy_to_regions=["ap-shanghai"])
    emulator.control.set_faults(FAULTS)
    if denied:
        emulator.control.deny(denied)
        with pytest.raises(DeploymentError):
            engine.up([web(copy_to_regions=["ap-shanghai"])])
        emulator.control.deny()
    emulator.control.set_faults(FAULTS)

    engine.up([web(copy_to_regions=["ap-shanghai"])])

    v3 = engine.state[engine.urn(web())].id
    live = images(emulator.control)
    home = {image_id for image_id, image in live.items() if image["Region"] == "ap-guangzhou"}
    assert home == {v2, v3} and len(live) == 4  # each with its one copy; v1 and its copy are gone
    assert_retired(live[v2])
    assert live[v3]["ImageName"] == "web-base"
    assert outputs(engine)["previous_image_ids"] == [v2]
    assert engine.pending_deletes == []
    emulator.control.clear_faults()
    engine.destroy()
    assert images(emulator.control) == {}


def test_delete_before_replace_keeps_the_parked_version(engine: Engine, emulator: Any) -> None:
    goal = dataclasses.replace(web(), delete_before_replace=True)
    engine.up([goal])
    v1 = engine.state[engine.urn(goal)].id

    engine.up([dataclasses.replace(goal, inputs={**goal.inputs, "instance_id": OTHER_RUNNING})])

    v2 = engine.state[engine.urn(goal)].id
    live = images(emulator.control)
    assert set(live) == {v1, v2} and live[v2]["ImageName"] == "web-base"
    assert_retired(live[v1])
    assert outputs(engine)["previous_image_ids"] == [v1]



def test_an_image_made_before_owner_marks_is_found_as_a_version_once_retired(engine: Engine, emulator: Any) -> None:
    """A 0.2.0 image carries only the instance marker (and its record no claim): retiring it gives it the owner mark
    that versions are found by."""
    [v1] = build(engine, BUILDS[:1])
    urn = engine.urn(web())
    resource = f"qcs::cvm:ap-guangzhou:uin/:image/{v1}"
    tag_api(emulator).call_json("UnTagResources", {"ResourceList": [resource], "TagKeys": [OWNER_TAG_KEY, CLAIM_TAG_KEY]})
    old = engine.state[urn]
    engine.state[urn] = dataclasses.replace(old, outputs={key: value for key, value in old.outputs.items() if key != "claim"})

    [v2] = build(engine, BUILDS[1:2])
    engine.refresh()

    assert engine.state[urn].id == v2 and outputs(engine)["previous_image_ids"] == [v1]


def tag_api(emulator: Any) -> TagClient:
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emulator.endpoint))
    return TagClient(Credential(emulator.secret_id, emulator.secret_key), "", profile)
