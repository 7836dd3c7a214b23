"""An image that is not NORMAL, action by action: each answers the "busy" code its documented error list holds, by
the image's state (README "Known differences": busy images); and DryRun per action in today's era."""

from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from tests.emulator.sdk import call, state_of

ErrorCode = Callable[[Callable[[], Any]], str]
SHARE = {"AccountIds": ["200000000002"], "Permission": "SHARE"}


def _image_in(state: str, emulator: Any, client: CvmClient, golden: str, wait_until: Callable[..., Any]) -> str:
    """An image of ap-guangzhou in `state` (for a minute at least)."""
    if state == "SYNCING":
        emulator.control.set_config(image_copy_seconds=60)
        call(client, "SyncImages", ImageIds=[golden], DestinationRegions=["ap-shanghai"])
        return golden
    if state == "CREATING":
        emulator.control.set_config(image_build_seconds=60)
        return call(client, "CreateImage", InstanceId="ins-emu00003", ImageName="building").ImageId
    emulator.control.patch_instance("ins-emu00003", image_build_fails=True)
    image_id = call(client, "CreateImage", InstanceId="ins-emu00003", ImageName="failed").ImageId
    wait_until(lambda: state_of(emulator, image_id) == "CREATEFAILED")
    return image_id


@pytest.mark.parametrize(
    ("state", "sync", "share", "modify"),
    [
        ("SYNCING", "FailedOperation.InvalidImageState", "InvalidParameterValue.InvalidImageState",
         "InvalidImageId.IncorrectState"),
        ("CREATING", "InvalidParameterValue.InvalidImageState", "InvalidParameterValue.InvalidImageState",
         "InvalidImageId.IncorrectState"),
        ("CREATEFAILED", "InvalidImageId.IncorrectState", "InvalidParameterValue.InvalidImageState", None),
    ],
)
def test_busy_codes_per_action(
    emulator: Any, cvm_client: CvmClient, golden: str, error_code: ErrorCode, wait_until: Callable[..., Any],
    state: str, sync: str, share: str, modify: str | None,
) -> None:
    image_id = _image_in(state, emulator, cvm_client, golden, wait_until)

    def code(action: str, **fields: Any) -> str:
        return error_code(lambda: call(cvm_client, action, **fields))

    assert code("SyncImages", ImageIds=[image_id], DestinationRegions=["ap-beijing"]) == sync
    assert code("ModifyImageSharePermission", ImageId=image_id, **SHARE) == share
    if modify is None:  # a failed image can be renamed and deleted
        call(cvm_client, "ModifyImageAttribute", ImageId=image_id, ImageName="renamed")
        call(cvm_client, "DeleteImages", ImageIds=[image_id])
        return
    assert code("ModifyImageAttribute", ImageId=image_id, ImageName="renamed") == modify
    assert code("DeleteImages", ImageIds=[image_id]) == modify


def test_a_dry_run_that_passes_answers_plainly_today(emulator: Any, cvm_client: CvmClient, golden: str) -> None:
    """CreateImage, DeleteImages, SyncImages and RunInstances declare DryRun; none lists DryRunOperation, and their
    documentation and examples answer a passed check with a RequestId."""
    assert set(cvm_client.call_json("DeleteImages", {"ImageIds": [golden], "DryRun": True})["Response"]) == {
        "RequestId"}
    synced = cvm_client.call_json("SyncImages", {"ImageIds": [golden], "DestinationRegions": ["ap-shanghai"],
                                                 "DryRun": True, "ImageSetRequired": True})["Response"]
    assert synced["ImageSet"] == []
    assert [image["ImageId"] for image in emulator.control.state()["images"]] == [golden]  # nothing done
    assert state_of(emulator, golden) == "NORMAL"
