"""An image busy with another task is waited out, action by action, with the codes each action documents (issue 20):
SyncImages answers FailedOperation.InvalidImageState (a copy being made from the image),
InvalidParameterValue.InvalidImageState (the image being made) and InvalidImageId.IncorrectState (failed: for good);
ModifyImageSharePermission answers InvalidParameterValue.InvalidImageState. Through the provider against the emulator."""

from typing import Any

import pytest

from components.cloud.errors import CvmImageError
from tests.components.conftest import images_in
from tests.components.emulator_helpers import STOPPED, calls, detail_of, provider_marks, tag_specification

ALICE = "100000000002"
BUSY_SECONDS = 1.5

pytestmark = pytest.mark.timeout(60)


def record(image_id: str, name: str) -> dict[str, Any]:
    """The outputs a resource records for an image it made (without copies or shares)."""
    return {"instance_id": STOPPED, "image_name": name, "image_id": image_id, "image_state": "NORMAL"}


def errors(emulator: Any, action: str) -> list[str | None]:
    return [entry["error"] for entry in calls(emulator, action)]


def syncing(cvm_client: Any, image_id: str) -> None:
    """Start a copy of the image (to ap-beijing) outside the stack: the image is SYNCING meanwhile."""
    cvm_client.call_json("SyncImages", {"ImageIds": [image_id], "DestinationRegions": ["ap-beijing"]})


def test_syncimages_waits_out_a_copy_in_progress(provider, checked, emulator, cvm_client):
    emulator.control.set_config(image_copy_seconds=BUSY_SECONDS)
    created = provider.create(checked(instance_id=STOPPED, image_name="gold"))
    syncing(cvm_client, created.id)

    updated = provider.update(created.id, created.outs, checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai"]))

    assert errors(emulator, "SyncImages") == [None, "FailedOperation.InvalidImageState", None]
    assert list(updated.outs["copies"]) == ["ap-shanghai"]


def test_syncimages_waits_out_an_image_still_being_made(provider, checked, emulator, cvm_client):
    emulator.control.set_config(image_build_seconds=BUSY_SECONDS, image_visibility_lag_seconds=0, tag_binding_lag_seconds=0)
    made = {"InstanceId": STOPPED, "ImageName": "gold", "TagSpecification": tag_specification(provider_marks("gold", STOPPED))}
    image_id = cvm_client.call_json("CreateImage", made)["Response"]["ImageId"]  # CREATING for a while

    updated = provider.update(image_id, record(image_id, "gold"), checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai"]))

    assert errors(emulator, "SyncImages") == ["InvalidParameterValue.InvalidImageState", None]
    assert list(updated.outs["copies"]) == ["ap-shanghai"]


def test_syncimages_of_a_failed_image_is_reported_not_waited_for(provider, checked, emulator, cvm_client):
    emulator.control.set_config(image_build_seconds=0, image_visibility_lag_seconds=0, tag_binding_lag_seconds=0)
    emulator.control.patch_instance(STOPPED, image_build_fails=True)
    image_id = cvm_client.call_json("CreateImage", {"InstanceId": STOPPED, "ImageName": "gold"})["Response"]["ImageId"]

    with pytest.raises(CvmImageError) as raised:
        provider.update(image_id, record(image_id, "gold"), checked(instance_id=STOPPED, image_name="gold", copy_to_regions=["ap-shanghai"]))

    assert errors(emulator, "SyncImages") == ["InvalidImageId.IncorrectState"] * 2  # tried once more, once settled
    detail = detail_of(str(raised.value), "InvalidImageId.IncorrectState")
    assert "or has failed" in detail and "delete a failed one" in detail


def test_sharing_waits_out_a_copy_in_progress(provider, checked, emulator, cvm_client):
    emulator.control.set_config(image_copy_seconds=BUSY_SECONDS)
    created = provider.create(checked(instance_id=STOPPED, image_name="gold"))
    syncing(cvm_client, created.id)

    provider.update(created.id, created.outs, checked(instance_id=STOPPED, image_name="gold", share_with_accounts=[ALICE]))

    assert errors(emulator, "ModifyImageSharePermission") == ["InvalidParameterValue.InvalidImageState", None]
    assert next(image for image in images_in(emulator) if image["ImageId"] == created.id)["SharedWith"] == [ALICE]

