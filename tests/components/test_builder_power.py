"""A running builder is stopped for its image and always comes back: started again by whichever operation finishes,
takes over or gives up on the image, also after a Cancel or a killed provider; never started if the provider did not
stop it (issue 18). Through the stock provider host, against the emulator."""

from __future__ import annotations

from typing import Any

from tencentcloud.tag.v20180813.tag_client import TagClient

from components.operations.power import STOPPED_FOR_TAG_PREFIX
from tests.components.host_helpers import (
    RUNNING, STOPPED, cvm_host, eventually, image_inputs, image_urn, run_in_thread,
)
from tests.engine.cvm_stack import actions, images
from tests.engine.host import ProviderError


def instance(emulator: Any, instance_id: str) -> dict[str, Any]:
    return next(i for i in emulator.control.state()["instances"] if i["InstanceId"] == instance_id)


def records(emulator: Any, instance_id: str) -> list[str]:
    return [tag["Key"] for tag in instance(emulator, instance_id)["Tags"] if tag["Key"].startswith(STOPPED_FOR_TAG_PREFIX)]


def creating(emulator: Any) -> bool:
    return any(image["ImageState"] == "CREATING" for image in emulator.control.state()["images"])


def test_a_killed_create_leaves_its_record_and_the_next_create_starts_the_builder(emulator: Any) -> None:
    emulator.control.set_config(image_build_seconds=3, image_visibility_lag_seconds=0, tag_binding_lag_seconds=0)
    urn, inputs = image_urn("api-image"), image_inputs(RUNNING, "api-base", reboot=True)
    with cvm_host(emulator) as killed:
        run_in_thread(lambda: killed.create(urn, inputs))
        eventually(lambda: creating(emulator))
        killed.kill()  # a second Ctrl-C, or a killed CLI: the instance is left stopped, its record on it
    assert instance(emulator, RUNNING)["InstanceState"] == "STOPPED" and len(records(emulator, RUNNING)) == 1

    with cvm_host(emulator) as next_up:
        image_id, outputs = next_up.create(urn, inputs)

    assert list(images(emulator.control)) == [image_id] and outputs["image_state"] == "NORMAL"
    eventually(lambda: instance(emulator, RUNNING)["InstanceState"] == "RUNNING")
    assert records(emulator, RUNNING) == []
    assert actions(emulator.control).count("StopInstances") == 1  # never stopped again
    creates = [entry["error"] for entry in emulator.control.requests() if entry["action"] == "CreateImage"]
    assert creates == [None, "InvalidImageName.Duplicate"]  # the next create found the killed one's image by its marks


def test_a_cancel_during_the_build_leaves_the_record_and_the_next_up_starts_the_builder(emulator: Any) -> None:
    emulator.control.set_config(image_build_seconds=3, image_visibility_lag_seconds=0, tag_binding_lag_seconds=0)
    urn, inputs = image_urn("api-image"), image_inputs(RUNNING, "api-base", reboot=True)
    with cvm_host(emulator) as host:
        join = run_in_thread(lambda: host.create(urn, inputs))
        eventually(lambda: creating(emulator))
        host.cancel()
        _, error = join(30)

    assert isinstance(error, ProviderError) and "Cancelled while waiting for image 'api-base'" in error.details
    # The image task still holds the instance: StartInstances is refused now, and the record says what to do later.
    assert f"Instance {RUNNING}, stopped for the image, could not be started again now" in error.details
    assert "the next `pulumi up` of this image starts it once the image is done" in error.details
    assert len(records(emulator, RUNNING)) == 1

    with cvm_host(emulator) as next_up:
        next_up.create(urn, inputs)

    eventually(lambda: instance(emulator, RUNNING)["InstanceState"] == "RUNNING")
    assert records(emulator, RUNNING) == [] and len(images(emulator.control)) == 1


def test_an_instance_the_provider_did_not_stop_is_never_started(emulator: Any) -> None:
    emulator.control.set_config(image_build_seconds=0.3)
    with cvm_host(emulator) as host:
        host.create(image_urn("web-image"), image_inputs(STOPPED, "web-base", reboot=True))

    assert instance(emulator, STOPPED)["InstanceState"] == "STOPPED"
    assert "StartInstances" not in actions(emulator.control) and records(emulator, STOPPED) == []


def test_two_creates_from_one_running_builder_stop_it_once_and_start_it_once(emulator: Any) -> None:
    emulator.control.set_config(image_build_seconds=1, image_visibility_lag_seconds=0, tag_binding_lag_seconds=0)
    with cvm_host(emulator) as host:
        first = run_in_thread(lambda: host.create(image_urn("a-image"), image_inputs(RUNNING, "a", reboot=True)))
        second = run_in_thread(lambda: host.create(image_urn("b-image"), image_inputs(RUNNING, "b", reboot=True)))
        assert first(60)[1] is None and second(60)[1] is None

    sent = actions(emulator.control)
    assert sent.count("StopInstances") == 1 and sent.count("StartInstances") == 1
    assert sent.index("StartInstances") > max(i for i, action in enumerate(sent) if action == "CreateImage")
    eventually(lambda: instance(emulator, RUNNING)["InstanceState"] == "RUNNING")
    assert records(emulator, RUNNING) == []


def test_a_builder_another_resource_also_holds_stopped_is_left_for_it_to_start(emulator: Any, cvm_client: Any) -> None:
    """Two stacks imaging one builder at once: each records its hold on the instance; the last to finish starts it."""
    emulator.control.set_config(image_build_seconds=0.3, image_visibility_lag_seconds=0, tag_binding_lag_seconds=0)
    other = f"{STOPPED_FOR_TAG_PREFIX}0123456789abcdef"  # another stack's resource, mid-create in its own process
    resource = f"qcs::cvm:ap-guangzhou:uin/:instance/{RUNNING}"
    tag_client = TagClient(cvm_client.credential, "", cvm_client.profile)
    tag_client.call_json("TagResources", {"ResourceList": [resource], "Tags": [{"TagKey": other, "TagValue": "api"}]})

    with cvm_host(emulator) as host:
        host.create(image_urn("web-image"), image_inputs(RUNNING, "web-base", reboot=True))

    assert "StartInstances" not in actions(emulator.control)
    assert instance(emulator, RUNNING)["InstanceState"] == "STOPPED" and records(emulator, RUNNING) == [other]
