"""SyncImages: copies into other regions, their states, quota, names, refusals, DryRun, faults and failed copies,
driven through the official SDK."""

from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from emulator.__main__ import config_from, parse_args
from emulator.backend import CvmBackend
from emulator.config import EmulatorConfig
from emulator.control import ControlError
from emulator.copies import SyncRequest
from emulator.imaging import ImageRequest
from tests.emulator.sdk import call, image_in_state, state_of

ErrorCode = Callable[[Callable[[], Any]], str]
KMS_KEY = "0b0c5c6e-1d2f-4a3b-9c8d-7e6f5a4b3c2d"


def _sync(client: CvmClient, image_id: str, *regions: str, **extra: Any) -> Any:
    return call(client, "SyncImages", ImageIds=[image_id], DestinationRegions=list(regions), **extra)


def _described(client: CvmClient, image_id: str) -> dict[str, Any] | None:
    images = client.call_json("DescribeImages", {"ImageIds": [image_id]})["Response"]["ImageSet"]
    return images[0] if images else None


def _private_ids(emulator: Any, region: str) -> list[str]:
    return [image["ImageId"] for image in emulator.control.state()["images"] if image["Region"] == region]


def test_each_copy_is_an_image_of_its_region_and_the_source_syncs_meanwhile(
    emulator: Any, cvm_client: CvmClient, golden: str, region_client: Callable[[str], CvmClient],
    wait_until: Callable[..., Any],
) -> None:
    emulator.control.set_config(image_copy_seconds=0.6)
    answer = _sync(cvm_client, golden, "ap-shanghai", "ap-beijing", ImageSetRequired=True)
    assert [entry.Region for entry in answer.ImageSet] == ["ap-shanghai", "ap-beijing"]
    shanghai, beijing = (entry.ImageId for entry in answer.ImageSet)
    assert _described(cvm_client, golden)["ImageState"] == "SYNCING"
    copy = _described(region_client("ap-shanghai"), shanghai)
    assert (copy["ImageState"], copy["ImageName"], copy["ImageType"]) == ("CREATING", "golden", "PRIVATE_IMAGE")
    assert _described(cvm_client, shanghai) is None  # a copy belongs to its own region
    wait_until(lambda: _described(region_client("ap-beijing"), beijing)["ImageState"] == "NORMAL")
    assert _described(region_client("ap-shanghai"), shanghai)["ImageState"] == "NORMAL"
    assert _described(cvm_client, golden)["ImageState"] == "NORMAL"
    call(region_client("ap-shanghai"), "DeleteImages", ImageIds=[shanghai])
    assert _described(region_client("ap-shanghai"), shanghai) is None
    assert _private_ids(emulator, "ap-beijing") == [beijing]


def test_the_image_set_is_empty_unless_required(
    emulator: Any, cvm_client: CvmClient, golden: str
) -> None:
    answer = cvm_client.call_json("SyncImages", {"ImageIds": [golden], "DestinationRegions": ["ap-shanghai"]})
    assert answer["Response"]["ImageSet"] == []  # present, as in the API's example
    assert len(_private_ids(emulator, "ap-shanghai")) == 1


def test_a_copy_takes_image_name_and_its_name_may_collide(
    emulator: Any, cvm_client: CvmClient, golden: str, error_code: ErrorCode, wait_until: Callable[..., Any]
) -> None:
    first = _sync(cvm_client, golden, "ap-shanghai", ImageName="golden-sh", ImageSetRequired=True).ImageSet[0]
    assert image_in_state(emulator, first.ImageId)["ImageName"] == "golden-sh"
    wait_until(lambda: state_of(emulator, golden) == "NORMAL")
    assert error_code(lambda: _sync(cvm_client, golden, "ap-shanghai", ImageName="golden-sh")) == (
        "InvalidImageName.Duplicate")
    _sync(cvm_client, golden, "ap-shanghai")  # the source's own name is still free there


def test_copies_count_toward_the_destinations_quota_all_or_nothing(
    emulator: Any, cvm_client: CvmClient, golden: str, error_code: ErrorCode, wait_until: Callable[..., Any]
) -> None:
    emulator.control.set_config(image_quota=1)  # ap-guangzhou is full with the source alone
    _sync(cvm_client, golden, "ap-shanghai")
    wait_until(lambda: state_of(emulator, golden) == "NORMAL")
    refused = error_code(lambda: _sync(cvm_client, golden, "ap-beijing", "ap-shanghai", ImageName="again"))
    assert refused == "ImageQuotaLimitExceeded"
    assert _private_ids(emulator, "ap-beijing") == []  # no copy when any destination refuses
    assert call(cvm_client, "DescribeImageQuota").ImageNumQuota == 1


def test_dry_run_checks_and_copies_nothing(
    emulator: Any, cvm_client: CvmClient, golden: str, error_code: ErrorCode
) -> None:
    assert _sync(cvm_client, golden, "ap-shanghai", DryRun=True).ImageSet == []  # passed: a plain answer
    assert error_code(lambda: _sync(cvm_client, golden, "mars-1", DryRun=True)) == "InvalidRegion.NotFound"
    assert _private_ids(emulator, "ap-shanghai") == [] and state_of(emulator, golden) == "NORMAL"


def test_sync_refusals(
    emulator: Any, cvm_client: CvmClient, golden: str, error_code: ErrorCode, wait_until: Callable[..., Any]
) -> None:
    def refused(**fields: Any) -> str:
        request = {"ImageIds": [golden], "DestinationRegions": ["ap-shanghai"], **fields}
        return error_code(lambda: call(cvm_client, "SyncImages", **request))

    assert refused(ImageName="n" * 61) == "InvalidParameterValue.TooLarge"
    assert refused(ImageName=" ") == "InvalidParameterValue"
    assert refused(ImageIds=[]) == "InvalidParameterValue"
    assert refused(ImageIds=[golden, "img-9id7emv7"]) == "InvalidParameterValue.LimitExceeded"
    assert refused(DestinationRegions=[]) == "InvalidParameterValue"
    assert refused(DestinationRegions=["ap-shanghai", "ap-shanghai"]) == "InvalidParameterValue"
    assert refused(DestinationRegions=["ap-shanghai", "mars-1"]) == "InvalidRegion.NotFound"
    assert refused(DestinationRegions=["ap-guangzhou"]) == "InvalidParameterValue.InvalidRegion"
    assert refused(Encrypt=True) == "InvalidParameterValue.InvalidRegion"
    assert refused(Encrypt=True, DestinationRegions=["ap-guangzhou"], KmsKeyId="my-key") == (
        "InvalidParameter.InvalidKmsKeyId")
    assert refused(ImageIds=["img-9id7emv7"]) == "InvalidParameterValue.InvalidImageId"
    assert refused(ImageIds=["image-1"]) == "InvalidImageId.Malformed"
    assert refused(ImageIds=["img-00000000"]) == "InvalidImageId.NotFound"
    assert error_code(lambda: cvm_client.call_json("SyncImages", {"ImageIds": [golden]})) == "MissingParameter"
    assert error_code(lambda: cvm_client.call_json("SyncImages", {
        "ImageIds": [golden], "DestinationRegions": ["ap-shanghai"], "Reboot": True})) == "UnknownParameter"
    emulator.control.set_config(image_build_seconds=60)
    creating = call(cvm_client, "CreateImage", InstanceId="ins-emu00003", ImageName="building").ImageId
    assert refused(ImageIds=[creating]) == "InvalidParameterValue.InvalidImageState"
    emulator.control.set_config(image_copy_seconds=60)
    _sync(cvm_client, golden, "ap-beijing")
    assert refused() == "FailedOperation.InvalidImageState"


def test_a_source_that_never_becomes_normal_is_in_an_incorrect_state(
    emulator: Any, cvm_client: CvmClient, golden: str, region_client: Callable[[str], CvmClient],
    error_code: ErrorCode, wait_until: Callable[..., Any],
) -> None:
    emulator.control.fail_copies("ap-shanghai")
    failed = _sync(cvm_client, golden, "ap-shanghai", ImageSetRequired=True).ImageSet[0].ImageId
    wait_until(lambda: state_of(emulator, failed) == "CREATEFAILED")
    assert error_code(lambda: _sync(region_client("ap-shanghai"), failed, "ap-beijing")) == (
        "InvalidImageId.IncorrectState")


def test_an_encrypted_copy_stays_in_its_region_and_can_be_neither_synced_nor_shared(
    emulator: Any, cvm_client: CvmClient, golden: str, error_code: ErrorCode, wait_until: Callable[..., Any]
) -> None:
    same_name = error_code(lambda: _sync(cvm_client, golden, "ap-guangzhou", Encrypt=True, KmsKeyId=KMS_KEY))
    assert same_name == "InvalidImageName.Duplicate"
    answer = _sync(cvm_client, golden, "ap-guangzhou", Encrypt=True, KmsKeyId=KMS_KEY, ImageName="golden-enc",
                   ImageSetRequired=True)
    encrypted = answer.ImageSet[0].ImageId
    assert answer.ImageSet[0].Region == "ap-guangzhou" and image_in_state(emulator, encrypted)["Encrypted"] is True
    wait_until(lambda: state_of(emulator, encrypted) == "NORMAL")
    assert error_code(lambda: _sync(cvm_client, encrypted, "ap-shanghai")) == (
        "UnsupportedOperation.EncryptedImagesNotSupported")
    share = {"ImageId": encrypted, "AccountIds": ["200000000002"], "Permission": "SHARE"}
    assert error_code(lambda: call(cvm_client, "ModifyImageSharePermission", **share)) == (
        "UnsupportedOperation.EncryptedImagesNotSupported")


def test_the_state_view_shows_copies(emulator: Any, cvm_client: CvmClient, golden: str) -> None:
    copy_id = _sync(cvm_client, golden, "ap-chengdu", ImageSetRequired=True).ImageSet[0].ImageId
    copy = image_in_state(emulator, copy_id)
    assert copy["Region"] == "ap-chengdu" and copy["CopiedFrom"] == {"ImageId": golden, "Region": "ap-guangzhou"}
    assert image_in_state(emulator, golden)["CopiedFrom"] is None
    assert image_in_state(emulator, golden)["Encrypted"] is False
    assert copy["SnapshotSet"] and copy["SnapshotSet"] != image_in_state(emulator, golden)["SnapshotSet"]


def test_a_fault_rule_applies_to_sync_images(emulator: Any, cvm_client: CvmClient, golden: str) -> None:
    emulator.control.set_faults([{"action": "SyncImages", "kind": "throttle", "count": 1}])
    with pytest.raises(TencentCloudSDKException) as caught:
        _sync(cvm_client, golden, "ap-shanghai")
    assert caught.value.code == "RequestLimitExceeded"
    assert _private_ids(emulator, "ap-shanghai") == []
    _sync(cvm_client, golden, "ap-shanghai")
    assert len(_private_ids(emulator, "ap-shanghai")) == 1
    assert [entry["fault"] for entry in emulator.control.requests() if entry["action"] == "SyncImages"] == [
        "throttle", None]


def test_a_lost_sync_images_answer_still_made_the_copies(
    emulator: Any, cvm_client: CvmClient, golden: str, error_code: ErrorCode
) -> None:
    emulator.control.set_faults([{"action": "SyncImages", "kind": "lose_response", "count": 1}])
    assert error_code(lambda: _sync(cvm_client, golden, "ap-shanghai")) == "ClientNetworkError"
    assert len(_private_ids(emulator, "ap-shanghai")) == 1  # a retry must look for the copy before syncing again
    assert error_code(lambda: _sync(cvm_client, golden, "ap-shanghai")) == "FailedOperation.InvalidImageState"


def test_the_failure_switch_fails_the_next_copy_into_a_region(
    emulator: Any, cvm_client: CvmClient, region_client: Callable[[str], CvmClient], golden: str,
    wait_until: Callable[..., Any],
) -> None:
    assert emulator.control.fail_copies("ap-shanghai") == {"ap-shanghai": 1}
    copies = _sync(cvm_client, golden, "ap-shanghai", "ap-beijing", ImageSetRequired=True).ImageSet
    failed, fine = (entry.ImageId for entry in copies)
    assert emulator.control.copy_failures() == {}
    wait_until(lambda: state_of(emulator, golden) == "NORMAL")  # the source recovers all the same
    assert (state_of(emulator, failed), state_of(emulator, fine)) == ("CREATEFAILED", "NORMAL")
    call(region_client("ap-shanghai"), "DeleteImages", ImageIds=[failed])  # a failed copy can be cleaned up
    assert _private_ids(emulator, "ap-shanghai") == []


def test_the_failure_switch_for_any_region_counts_down_and_resets(
    emulator: Any, cvm_client: CvmClient, golden: str, wait_until: Callable[..., Any]
) -> None:
    emulator.control.fail_copies(count=2)
    assert emulator.control.state()["copy_failures"] == {"*": 2}
    copy_id = _sync(cvm_client, golden, "ap-beijing", ImageSetRequired=True).ImageSet[0].ImageId
    wait_until(lambda: state_of(emulator, copy_id) == "CREATEFAILED")
    assert emulator.control.copy_failures() == {"*": 1}
    emulator.control.clear_copy_failures()
    assert emulator.control.copy_failures() == {}
    emulator.control.fail_copies("ap-hongkong", count=3)
    emulator.control.reset()
    assert emulator.control.copy_failures() == {}


def test_bad_failure_switches_are_refused(emulator: Any) -> None:
    for region, count in (("mars-1", 1), ("*", 0), ("*", True)):
        with pytest.raises(ControlError) as caught:
            emulator.control.fail_copies(region, count)
        assert caught.value.status == 400


def test_image_copy_seconds_is_a_knob_and_a_flag(emulator: Any) -> None:
    assert emulator.control.set_config(image_copy_seconds=7)["image_copy_seconds"] == 7
    assert config_from(parse_args(["--image-copy-seconds", "2.5"])).image_copy_seconds == 2.5
    assert EmulatorConfig().image_copy_seconds == EmulatorConfig().image_build_seconds


def test_copies_survive_a_restart(tmp_path: Any) -> None:
    config = EmulatorConfig(image_build_seconds=0, image_copy_seconds=0, state_path=str(tmp_path / "state.json"))
    backend = CvmBackend(config)
    with backend.transaction():
        source = backend.create_image("ap-guangzhou", ImageRequest(name="golden", instance_id="ins-emu00001"))
    with backend.transaction():
        copy = backend.sync_images("ap-guangzhou", SyncRequest(image_id=source.image_id, regions=["ap-tokyo"]))[0]
    reloaded = CvmBackend(config).regions["ap-tokyo"].images[copy.image_id]
    assert reloaded.copied_from == {"ImageId": source.image_id, "Region": "ap-guangzhou"}



def test_a_copy_is_missing_from_describe_images_for_the_visibility_lag(
    emulator: Any, cvm_client: CvmClient, golden: str, region_client: Callable[[str], CvmClient],
    error_code: ErrorCode, wait_until: Callable[..., Any],
) -> None:
    emulator.control.set_config(image_visibility_lag_seconds=0.5)
    copy_id = _sync(cvm_client, golden, "ap-shanghai", ImageSetRequired=True).ImageSet[0].ImageId
    shanghai = region_client("ap-shanghai")
    assert _described(shanghai, copy_id) is None and image_in_state(emulator, copy_id)["Visible"] is False
    assert error_code(lambda: _sync(cvm_client, golden, "ap-shanghai")) in (
        "FailedOperation.InvalidImageState", "InvalidImageName.Duplicate")
    wait_until(lambda: _described(shanghai, copy_id))
