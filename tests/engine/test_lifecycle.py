"""A CvmImage stack's life, driven the way the Pulumi engine drives it, against a fresh emulator per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider
from pulumi.runtime import rpc

from components.operations.facts import marker_of
from tests.engine.cvm_stack import (
    RevisedCvmImageProvider,
    actions,
    during,
    emulator_config,
    image_goal,
    images,
    mutations,
    start_host,
)
from tests.engine.engine import DIFF_NONE, CheckFailed, DeploymentError, Engine, Goal, Step
from tests.engine.host import ProviderError, ProviderHost

STOPPED, RUNNING, OTHER_RUNNING = "ins-emu00001", "ins-emu00002", "ins-emu00003"


def web(**changes: Any) -> Goal:
    inputs = {"instance_id": STOPPED, "image_name": "web-base", "image_description": "web tier", **changes}
    return image_goal("web-image", **inputs)


def api(**changes: Any) -> Goal:
    inputs = {"instance_id": RUNNING, "image_name": "api-base", "reboot": True, "force_poweroff": True, **changes}
    return image_goal("api-image", **inputs)


@pytest.fixture
def host(emulator: Any) -> Iterator[ProviderHost]:
    with start_host(emulator_config(emulator)) as started:
        yield started


@pytest.fixture
def engine(host: ProviderHost) -> Engine:
    return Engine(host, project="cvm-images")


@pytest.fixture
def deployed(engine: Engine, emulator: Any) -> str:
    """The web image is up; the emulator's request log is cleared. Returns its image id."""
    engine.up([web()])
    emulator.control.clear_requests()
    return engine.state[engine.urn(web())].id


def test_preview_of_a_new_stack_only_checks(engine: Engine, host: ProviderHost, emulator: Any) -> None:
    steps, methods = during(host, lambda: engine.preview([web(), api()]))

    assert steps == [Step("create", engine.urn(web())), Step("create", engine.urn(api()))]
    assert methods == ["Check", "Check"]  # a new resource has nothing to diff against
    assert engine.state == {}
    assert actions(emulator.control) == []
    assert images(emulator.control) == {}


def test_up_then_up_again_without_change(engine: Engine, host: ProviderHost, emulator: Any) -> None:
    urns = [engine.urn(web()), engine.urn(api())]
    assert engine.up([web(), api()]) == [Step("create", urn) for urn in urns]
    made = images(emulator.control)
    assert {engine.state[urn].id for urn in urns} == set(made)
    assert {(image["ImageName"], marker_of(image), image["ImageState"]) for image in made.values()} == {
        ("web-base", STOPPED, "NORMAL"),
        ("api-base", RUNNING, "NORMAL"),
    }
    emulator.control.clear_requests()

    steps, methods = during(host, lambda: engine.up([web(), api()]))

    assert steps == [Step("same", urn) for urn in urns]
    assert sorted(methods) == ["Check", "Check", "Diff", "Diff"]
    assert actions(emulator.control) == []
    assert images(emulator.control) == made


def test_rename_updates_in_place(engine: Engine, emulator: Any, deployed: str) -> None:
    urn = engine.urn(web())

    assert engine.up([web(image_name="web-base-v2")]) == [Step("update", urn, ("image_name",))]

    assert engine.state[urn].id == deployed
    assert engine.state[urn].outputs["image_name"] == "web-base-v2"
    assert images(emulator.control)[deployed]["ImageName"] == "web-base-v2"
    assert mutations(emulator.control) == ["ModifyImageAttribute"]


def test_new_instance_same_name_builds_aside_then_swaps_names_then_deletes_the_old(
    engine: Engine, emulator: Any, deployed: str
) -> None:
    """The old image keeps the name and is untouched while the new one builds under a pending name; then the old one
    is retired and the new one takes the name; the engine deletes the old one last."""
    urn = engine.urn(web())

    assert engine.up([web(instance_id=OTHER_RUNNING, reboot=True)]) == [
        Step("create-replacement", urn, ("instance_id",), ("instance_id",)),
        Step("replace", urn, ("instance_id",), ("instance_id",)),
        Step("delete-replaced", urn),
    ]

    image_changes = [action for action in mutations(emulator.control) if action in ("CreateImage", "ModifyImageAttribute", "DeleteImages")]
    assert image_changes == ["CreateImage", "ModifyImageAttribute", "ModifyImageAttribute", "DeleteImages"]
    [create] = [r for r in emulator.control.requests() if r["action"] == "CreateImage"]
    assert create["params"]["ImageName"] == f"web-base-next-{deployed.removeprefix('img-')}"
    retire, swap = [r["params"] for r in emulator.control.requests() if r["action"] == "ModifyImageAttribute"]
    assert retire["ImageId"] == deployed and retire["ImageName"].startswith("web-base-retired-")
    assert swap["ImageId"] == engine.state[urn].id and swap["ImageName"] == "web-base"
    (new_id, image), = images(emulator.control).items()
    assert new_id == engine.state[urn].id != deployed
    assert (image["ImageName"], marker_of(image)) == ("web-base", OTHER_RUNNING)


def test_new_instance_and_name_creates_the_new_image_first(engine: Engine, emulator: Any, deployed: str) -> None:
    urn = engine.urn(web())
    replacement = web(instance_id=OTHER_RUNNING, image_name="web-base-v2", reboot=True)
    changed = ("image_name", "instance_id")

    assert engine.up([replacement]) == [
        Step("create-replacement", urn, changed, ("instance_id",)),
        Step("replace", urn, changed, ("instance_id",)),
        Step("delete-replaced", urn),
    ]

    assert mutations(emulator.control) == ["CreateImage", "DeleteImages"]
    (new_id, image), = images(emulator.control).items()
    assert new_id == engine.state[urn].id != deployed
    assert (image["ImageName"], marker_of(image)) == ("web-base-v2", OTHER_RUNNING)
    assert engine.pending_deletes == []


def test_preview_with_an_unknown_instance_plans_a_replacement(
    engine: Engine, host: ProviderHost, emulator: Any, deployed: str
) -> None:
    urn = engine.urn(web())
    state = dict(engine.state)

    steps, methods = during(host, lambda: engine.preview([web(instance_id=rpc.UNKNOWN)]))

    assert steps == [  # whatever the name turns out to be, the new image is made first
        Step("create-replacement", urn, ("instance_id",), ("instance_id",)),
        Step("replace", urn, ("instance_id",), ("instance_id",)),
        Step("delete-replaced", urn),
    ]
    assert set(methods) == {"Check", "Diff"}
    assert engine.state == state
    assert actions(emulator.control) == []
    assert list(images(emulator.control)) == [deployed]


def test_refresh_shows_a_rename_by_hand_and_up_puts_the_name_back(
    engine: Engine, emulator: Any, cvm_client: Any, deployed: str
) -> None:
    urn = engine.urn(web())
    cvm_client.call_json("ModifyImageAttribute", {"ImageId": deployed, "ImageName": "renamed-by-hand"})

    assert engine.refresh() == [Step("update", urn, ("image_name",))]
    assert engine.state[urn].inputs["image_name"] == engine.state[urn].outputs["image_name"] == "renamed-by-hand"
    emulator.control.clear_requests()

    assert engine.up([web()]) == [Step("update", urn, ("image_name",))]
    assert engine.state[urn].id == deployed
    assert images(emulator.control)[deployed]["ImageName"] == "web-base"
    assert mutations(emulator.control) == ["ModifyImageAttribute"]


def test_refresh_drops_an_image_deleted_by_hand_and_up_makes_it_again(
    engine: Engine, emulator: Any, cvm_client: Any, deployed: str
) -> None:
    urn = engine.urn(web())
    cvm_client.call_json("DeleteImages", {"ImageIds": [deployed]})

    assert engine.refresh() == [Step("delete", urn)]
    assert engine.state == {}

    assert engine.up([web()]) == [Step("create", urn)]
    (new_id, image), = images(emulator.control).items()
    assert new_id == engine.state[urn].id != deployed
    assert image["ImageName"] == "web-base"


def test_destroy_leaves_nothing_behind(engine: Engine, emulator: Any) -> None:
    engine.up([web(), api()])
    assert len(images(emulator.control)) == 2
    emulator.control.clear_requests()

    assert sorted(engine.destroy(), key=lambda step: step.urn) == [
        Step("delete", engine.urn(api())),
        Step("delete", engine.urn(web())),
    ]

    assert engine.state == {}
    assert mutations(emulator.control) == ["DeleteImages", "DeleteImages"]
    assert emulator.control.state()["images"] == []


def test_a_change_of_provider_code_alone_changes_nothing(
    engine: Engine, host: ProviderHost, emulator: Any, deployed: str
) -> None:
    urn = engine.urn(web())
    revised = image_goal("web-image", RevisedCvmImageProvider(), **web().inputs)
    new_provider = serialize_provider(revised.provider)
    assert new_provider != serialize_provider(web().provider)
    old = engine.state[urn]

    # The provider itself says "no change" for inputs that differ only in __provider...
    news = {**old.inputs, PROVIDER_KEY: rpc.wrap_rpc_secret(new_provider)}
    assert host.diff(urn, old.id, old.inputs, old.outputs, news).changes == DIFF_NONE
    # ...so the engine takes a same step and stores the new __provider with the old outputs.
    steps, methods = during(host, lambda: engine.up([revised]))

    assert steps == [Step("same", urn)]
    assert methods == ["Check", "Diff"]
    assert engine.state[urn].inputs[PROVIDER_KEY] == rpc.wrap_rpc_secret(new_provider)
    assert (engine.state[urn].id, engine.state[urn].outputs) == (old.id, old.outputs)
    assert actions(emulator.control) == []


def test_a_bad_input_stops_the_up_at_check(engine: Engine, host: ProviderHost, emulator: Any) -> None:
    with pytest.raises(DeploymentError) as failure:
        engine.up([web(image_name="x" * 61)])

    (error,) = failure.value.errors
    assert isinstance(error, CheckFailed)
    (prop, reason), = error.failures
    assert prop == "image_name" and "60" in reason
    assert host.methods() == ["Configure", "Check"]
    assert engine.state == {}
    assert actions(emulator.control) == []


def test_an_api_error_at_create_reaches_the_engine_as_the_providers_message(
    engine: Engine, host: ProviderHost, emulator: Any
) -> None:
    with pytest.raises(DeploymentError) as failure:
        engine.up([web(instance_id="ins-zzzzzzzz")])

    (error,) = failure.value.errors
    assert isinstance(error, ProviderError)
    assert "CreateImage for image 'web-base' in ap-guangzhou failed with InvalidInstanceId.NotFound" in error.details
    assert "instance ins-zzzzzzzz does not exist in ap-guangzhou" in error.details
    assert "Traceback" not in error.details
    assert engine.state == {}
    assert mutations(emulator.control) == ["CreateImage"]
    assert images(emulator.control) == {}
