"""Whose image holds the name a create wants, and what the create does about it: an image is taken over only on the
proof of its tags (this resource, this instance; for a copy, the image it copies), and the proof is waited for while
CreateImage's tags may still be on their way."""

from typing import Any

import pytest

from components.cloud.errors import CvmImageError
from components.operations.copies import COPY_OF_TAG_KEY
from components.operations.facts import MARKER_TAG_KEY
from tests.components.conftest import images_in
from tests.components.emulator_helpers import STOPPED, calls, provider_marks, tag_specification, today_without_lags

OTHER = "ins-emu00003"  # another builder: the instance this resource imaged before its instance_id changed
PREVIOUS = "img-prev0001"


def as_tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def tags_of(image: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in image["Tags"]}


def test_an_image_of_this_resource_from_another_instance_is_replaced_not_taken_over(provider, checked, emulator):
    """Its previous version, whose record the stack lost: a new image is made from this instance, the old one goes."""
    today_without_lags(emulator)
    emulator.control.seed_image(PREVIOUS, "web-base", InstanceId=OTHER, Tags=as_tags(provider_marks("web-base", OTHER)))

    result = provider.create(checked(instance_id=STOPPED, image_name="web-base"))

    assert result.id != PREVIOUS
    [image] = images_in(emulator)
    assert (image["ImageId"], image["ImageName"]) == (result.id, "web-base")
    assert tags_of(image)[MARKER_TAG_KEY] == STOPPED
    # Refused the name first (Duplicate), then built under a pending name and swapped in.
    assert {r["params"]["InstanceId"] for r in calls(emulator, "CreateImage")} == {STOPPED}


def test_a_building_image_of_this_resource_from_another_instance_is_refused_naming_that_instance(
    provider, checked, emulator, cvm_client
):
    today_without_lags(emulator, image_build_seconds=20)
    emulator.control.patch_instance(OTHER, InstanceState="STOPPED")
    marks = tag_specification(provider_marks("web-base", OTHER))
    building = cvm_client.call_json("CreateImage", {"InstanceId": OTHER, "ImageName": "web-base", "TagSpecification": marks})

    with pytest.raises(CvmImageError) as raised:
        provider.create(checked(instance_id=STOPPED, image_name="web-base"))

    image_id = building["Response"]["ImageId"]
    message = str(raised.value)
    assert f"image {image_id} (CREATING) already has this name" in message
    assert f"made by this resource from instance {OTHER}, not from {STOPPED}" in message
    assert [image["ImageId"] for image in images_in(emulator)] == [image_id]


@pytest.mark.timeout(60)
def test_after_a_lost_create_answer_the_image_is_recognised_once_its_tags_bind(provider, checked, emulator):
    """The image shows at once but CreateImage's tags bind 3 s later: the retry finds an image without marks and must
    wait for them (the owner-tag grace) rather than call it someone else's."""
    emulator.control.set_config(image_visibility_lag_seconds=0, tag_binding_lag_seconds=3)
    emulator.control.set_faults([{"action": "CreateImage", "kind": "lose_response", "count": 1}])

    result = provider.create(checked(instance_id=STOPPED, image_name="web-base"))

    [image] = images_in(emulator)
    assert image["ImageId"] == result.id and image["ImageState"] == "NORMAL"
    assert [r["fault"] for r in calls(emulator, "CreateImage")] == ["lose_response"]  # found again, not made again
    assert tags_of(image)[MARKER_TAG_KEY] == STOPPED


def test_an_image_in_a_copy_region_that_copies_another_image_is_not_taken_as_the_copy(provider, checked, emulator):
    """Same name, this resource's marks, but its copy-of tag names another source (say, a previous version's copy)."""
    today_without_lags(emulator, image_copy_seconds=0)
    foreign_copy = {**provider_marks("web-base", STOPPED), COPY_OF_TAG_KEY: "img-else0001"}
    emulator.control.seed_image("img-copy0001", "web-base", Region="ap-shanghai", Tags=as_tags(foreign_copy))

    with pytest.raises(CvmImageError) as raised:
        provider.create(checked(instance_id=STOPPED, image_name="web-base", copy_to_regions=["ap-shanghai"]))

    message = str(raised.value)
    assert message.startswith("SyncImages for image 'web-base' in ap-shanghai failed with InvalidImageName.Duplicate")
    assert "img-copy0001 (NORMAL) already has this name" in message and "remove ap-shanghai from copy_to_regions" in message
    assert calls(emulator, "SyncImages") == []
    shanghai = next(image for image in images_in(emulator) if image["ImageId"] == "img-copy0001")
    assert tags_of(shanghai) == foreign_copy  # neither taken over nor retagged
