"""Which images a resource may take over or delete, under the engine workflows beyond a plain `up`: a second resource
or stack declaring the same name, `pulumi state delete`, `--replace`, `replace_on_changes`, `delete_before_replace`,
and replacements that fail (issue 18). Driven the way the engine drives the provider; tests/cli has the real CLI."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from components.operations.facts import CLAIM_TAG_KEY, RETIRED_TAG_KEY, marker_of
from tests.components.host_helpers import eventually
from tests.engine.cvm_stack import actions, emulator_config, image_goal, images, start_host
from tests.engine.engine import DeploymentError, Engine, Goal, Step
from tests.engine.host import ProviderHost

STOPPED, RUNNING, OTHER_RUNNING = "ins-emu00001", "ins-emu00002", "ins-emu00003"


def web(name: str = "web-image", **changes: Any) -> Goal:
    return image_goal(name, **{"instance_id": STOPPED, "image_name": "web-base", **changes})


@pytest.fixture
def host(emulator: Any) -> Iterator[ProviderHost]:
    emulator.control.set_config(image_visibility_lag_seconds=0, tag_binding_lag_seconds=0)
    with start_host(emulator_config(emulator)) as started:
        yield started


@pytest.fixture
def engine(host: ProviderHost) -> Engine:
    return Engine(host, project="cvm-images")


def tags(image: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in image["Tags"]}


def instance_state(emulator: Any, instance_id: str) -> str:
    return next(i["InstanceState"] for i in emulator.control.state()["instances"] if i["InstanceId"] == instance_id)


def only_image(emulator: Any) -> tuple[str, dict[str, Any]]:
    [(image_id, image)] = images(emulator.control).items()
    return image_id, image


def test_a_second_resource_declaring_the_name_is_refused_and_the_first_image_untouched(engine: Engine, emulator: Any) -> None:
    engine.up([web()])
    first_id, first = only_image(emulator)
    emulator.control.clear_requests()

    with pytest.raises(DeploymentError) as failed:
        engine.up([web(), web("web-image-2", instance_id=OTHER_RUNNING)])

    (error,) = failed.value.errors
    assert f"image {first_id} (NORMAL) already has this name, made by another resource of this stack" in error.details
    assert "neither takes it over nor deletes it" in error.details and "Choose another image_name" in error.details
    assert images(emulator.control) == {first_id: first}
    assert "StopInstances" not in actions(emulator.control)  # refused before the running builder was touched


def test_another_stack_declaring_the_name_is_refused_naming_that_stack(host: ProviderHost, emulator: Any) -> None:
    Engine(host, stack="dev", project="cvm-images").up([web()])
    first_id, first = only_image(emulator)
    prod = Engine(host, stack="prod", project="cvm-images")

    with pytest.raises(DeploymentError) as failed:
        prod.up([web()])

    assert "made by stack cvm-images/dev" in failed.value.errors[0].details
    assert prod.destroy() == [] and images(emulator.control) == {first_id: first}  # nothing of dev's is prod's to delete


def test_after_state_delete_up_takes_the_image_back_without_stopping_the_builder(
    engine: Engine, host: ProviderHost, emulator: Any
) -> None:
    goal = web(instance_id=RUNNING, reboot=True)
    engine.up([goal])
    image_id, image = only_image(emulator)
    urn = engine.urn(goal)
    engine.state.pop(urn)  # `pulumi state delete`
    eventually(lambda: instance_state(emulator, RUNNING) == "RUNNING")  # started again after the first up
    emulator.control.clear_requests()

    assert engine.up([goal]) == [Step("create", urn)]

    assert engine.state[urn].id == image_id and only_image(emulator)[0] == image_id
    assert not {"StopInstances", "CreateImage"} & set(actions(emulator.control))
    assert engine.state[urn].outputs["claim"] != image_id and tags(only_image(emulator)[1])[CLAIM_TAG_KEY] == engine.state[urn].outputs["claim"]
    assert f"Image {image_id} ('web-base'), which this resource made and finished earlier" in host.output


def test_replace_of_an_image_that_keeps_its_name_keeps_one_live_image(engine: Engine, emulator: Any) -> None:
    """`pulumi up --replace`: the engine never tells the provider it replaces, so the create takes the image back
    (a new claim) and the engine's delete of the old record leaves it (its claim is no longer that record's)."""
    engine.up([web()])
    image_id, _ = only_image(emulator)
    urn = engine.urn(web())
    old_claim = engine.state[urn].outputs["claim"]

    assert engine.up([web()], replace=[urn]) == [
        Step("create-replacement", urn, (), ("id",)),
        Step("replace", urn, (), ("id",)),
        Step("delete-replaced", urn),
    ]

    assert engine.state[urn].id == image_id and only_image(emulator)[0] == image_id
    assert engine.state[urn].outputs["claim"] not in (None, old_claim)
    assert "DeleteImages" not in actions(emulator.control)


def test_replace_on_changes_builds_beside_the_old_image_then_swaps_names(engine: Engine, emulator: Any) -> None:
    goal = dataclasses.replace(web(tags={"build": "1"}), replace_on_changes=("tags",))
    engine.up([goal])
    old_id, _ = only_image(emulator)

    engine.up([dataclasses.replace(goal, inputs={**goal.inputs, "tags": {"build": "2"}})])

    new_id, image = only_image(emulator)
    assert new_id != old_id and image["ImageName"] == "web-base" and tags(image)["build"] == "2"
    assert engine.state[engine.urn(goal)].id == new_id


def test_a_failed_same_name_replacement_leaves_the_old_image_named_and_recorded(engine: Engine, emulator: Any) -> None:
    engine.up([web()])
    old_id, old = only_image(emulator)
    emulator.control.patch_instance(OTHER_RUNNING, image_build_fails=True)

    with pytest.raises(DeploymentError) as failed:
        engine.up([web(instance_id=OTHER_RUNNING, reboot=True)])

    assert "failed to build (CREATEFAILED)" in failed.value.errors[0].details
    assert images(emulator.control) == {old_id: old}  # the pending build was deleted; the old image never touched
    assert engine.state[engine.urn(web())].id == old_id


def test_delete_before_replace_keeps_the_old_image_until_the_new_one_is_made(engine: Engine, emulator: Any) -> None:
    goal = dataclasses.replace(web(), delete_before_replace=True)
    engine.up([goal])
    old_id, _ = only_image(emulator)
    emulator.control.clear_requests()

    steps = engine.up([dataclasses.replace(goal, inputs={**goal.inputs, "instance_id": OTHER_RUNNING, "reboot": True})])

    assert [step.op for step in steps] == ["delete-replaced", "replace", "create-replacement"]
    new_id, image = only_image(emulator)
    assert new_id != old_id and (image["ImageName"], marker_of(image)) == ("web-base", OTHER_RUNNING)
    parked = [r["params"] for r in emulator.control.requests() if r["action"] == "ModifyImageAttribute"]
    assert parked[0]["ImageId"] == old_id and parked[0]["ImageName"].startswith("web-base-retired-")
    assert [r["action"] for r in emulator.control.requests() if r["action"] in ("CreateImage", "DeleteImages")] == [
        "CreateImage", "DeleteImages",  # the old image was deleted only once the new one was made
    ]


def test_delete_before_replace_whose_new_image_fails_gives_the_old_one_its_name_back(engine: Engine, emulator: Any) -> None:
    goal = dataclasses.replace(web(), delete_before_replace=True)
    engine.up([goal])
    old_id, _ = only_image(emulator)
    replacement = dataclasses.replace(goal, inputs={**goal.inputs, "instance_id": OTHER_RUNNING, "reboot": True})
    emulator.control.patch_instance(OTHER_RUNNING, image_build_fails=True)

    with pytest.raises(DeploymentError) as failed:
        engine.up([replacement])

    assert f"The image it replaces, {old_id}, has its name 'web-base' back" in failed.value.errors[0].details
    (kept_id, kept), = images(emulator.control).items()
    assert kept_id == old_id and kept["ImageName"] == "web-base" and RETIRED_TAG_KEY not in tags(kept)
    assert engine.urn(goal) not in engine.state  # the engine deleted its record first, as asked

    emulator.control.patch_instance(OTHER_RUNNING, image_build_fails=False)
    engine.up([replacement])  # the next up finishes the replacement: the old image was this resource's

    new_id, image = only_image(emulator)
    assert new_id != old_id and (image["ImageName"], marker_of(image)) == ("web-base", OTHER_RUNNING)
    assert engine.state[engine.urn(goal)].id == new_id
