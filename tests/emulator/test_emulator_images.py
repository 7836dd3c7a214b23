"""CreateImage and the other image actions in the 2018 era (the seed's contract), driven through the official SDK.

Today's API (the emulator's default) is in test_emulator_today.py, test_emulator_image_rules.py and
test_emulator_consistency.py.
"""

import json
from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.cvm.v20170312 import models
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

ErrorCode = Callable[[Callable[[], Any]], str]
STOPPED, RUNNING = "ins-emu00001", "ins-emu00002"


@pytest.fixture(autouse=True)
def _seed_era(era_2018: Any) -> None:
    """Every test here runs against the 2018 era."""


def _create_request(instance_id: str, name: str, **fields: Any) -> models.CreateImageRequest:
    request = models.CreateImageRequest()
    request.InstanceId, request.ImageName = instance_id, name
    for key, value in fields.items():
        setattr(request, key, value)
    return request


def _describe(client: CvmClient, **fields: Any) -> models.DescribeImagesResponse:
    request = models.DescribeImagesRequest()
    request.from_json_string(json.dumps(fields))
    return client.DescribeImages(request)


def test_stopped_instance_is_imaged_directly(
    emulator: Any, cvm_client: CvmClient, image_of: Callable, instance_of: Callable, wait_until: Callable
) -> None:
    response = cvm_client.CreateImage(_create_request(STOPPED, "web-v1", ImageDescription="first"))
    image = image_of(response.ImageId)
    assert image["ImageState"] == "CREATING" and image["ImageName"] == "web-v1"
    assert image["ImageType"] == "PRIVATE_IMAGE" and image["ImageSource"] == "CREATE_IMAGE"
    assert image["ImageSize"] == 50 and image["ImageDescription"] == "first"
    assert image["SnapshotSet"] == [{"SnapshotId": image["SnapshotSet"][0]["SnapshotId"], "DiskUsage": "SYSTEM_DISK",
                                     "DiskSize": 50}]
    assert wait_until(lambda: image_of(response.ImageId)["ImageState"] == "NORMAL", timeout=3)
    assert instance_of(STOPPED)["InstanceState"] == "STOPPED"


def test_running_instance_is_shut_down_imaged_and_started(
    emulator: Any, create_image: Callable, image_of: Callable, instance_of: Callable, wait_until: Callable
) -> None:
    emulator.control.set_config(instance_transition_seconds=0.2, image_build_seconds=0.4)
    create_image(RUNNING, "api-v1")
    seen: list[tuple[str, str]] = []

    def settled() -> bool:
        state = emulator.control.state()  # one snapshot of both, taken under the emulator's lock
        instance = next(i for i in state["instances"] if i["InstanceId"] == RUNNING)
        pair = (instance["InstanceState"], state["images"][0]["ImageState"])
        if not seen or seen[-1] != pair:
            seen.append(pair)
        return pair == ("RUNNING", "NORMAL")

    wait_until(settled, timeout=5, interval=0.01)
    assert seen == [("STOPPING", "CREATING"), ("STOPPED", "CREATING"), ("STARTING", "NORMAL"), ("RUNNING", "NORMAL")]
    assert instance_of(RUNNING)["LatestOperation"] == "CreateImage"


def test_soft_shutdown_failure_ends_createfailed(
    emulator: Any, create_image: Callable, image_of: Callable, instance_of: Callable, wait_until: Callable
) -> None:
    emulator.control.patch_instance(RUNNING, soft_shutdown_fails=True)
    image_id = create_image(RUNNING, "api-soft")
    assert instance_of(RUNNING)["InstanceState"] == "STOPPING"
    wait_until(lambda: image_of(image_id)["ImageState"] != "CREATING", timeout=3)
    assert image_of(image_id)["ImageState"] == "CREATEFAILED"
    assert instance_of(RUNNING)["InstanceState"] == "RUNNING"
    assert instance_of(RUNNING)["LatestOperationState"] == "FAILED"


def test_force_poweroff_continues_after_soft_shutdown_fails(
    emulator: Any, create_image: Callable, image_of: Callable, instance_of: Callable, wait_until: Callable
) -> None:
    emulator.control.patch_instance(RUNNING, soft_shutdown_fails=True)
    image_id = create_image(RUNNING, "api-force", ForcePoweroff="TRUE")
    wait_until(lambda: image_of(image_id)["ImageState"] != "CREATING", timeout=3)
    assert image_of(image_id)["ImageState"] == "NORMAL"
    wait_until(lambda: instance_of(RUNNING)["InstanceState"] == "RUNNING", timeout=3)


def test_image_build_failure_is_createfailed(
    emulator: Any, create_image: Callable, image_of: Callable, wait_until: Callable
) -> None:
    emulator.control.patch_instance(STOPPED, image_build_fails=True)
    image_id = create_image(STOPPED, "web-broken")
    assert wait_until(lambda: image_of(image_id)["ImageState"] == "CREATEFAILED", timeout=3)


def test_seed_mode_returns_only_the_request_id(emulator: Any, cvm_client: CvmClient) -> None:
    emulator.control.set_config(create_image_returns_image_id=False)
    answer = cvm_client.call_json("CreateImage", {"InstanceId": STOPPED, "ImageName": "seed"})["Response"]
    assert set(answer) == {"RequestId"}
    assert [image["ImageName"] for image in emulator.control.state()["images"]] == ["seed"]


def test_extras_are_recorded(emulator: Any, cvm_client: CvmClient, image_of: Callable) -> None:
    tags = models.TagSpecification()
    tags._deserialize({"ResourceType": "image", "Tags": [{"Key": "team", "Value": "web"}]})
    response = cvm_client.CreateImage(_create_request(
        STOPPED, "web-extras", DataDiskIds=["disk-emu0001d"], TagSpecification=[tags], ImageFamily="web",
        Sysprep="false",
    ))
    image = image_of(response.ImageId)
    assert image["Tags"] == [{"Key": "team", "Value": "web"}] and image["ImageFamily"] == "web"
    assert [s["DiskUsage"] for s in image["SnapshotSet"]] == ["SYSTEM_DISK", "DATA_DISK"]
    snapshots = emulator.control.state()["snapshots"]
    assert {s["DiskId"] for s in snapshots} == {"disk-emu0001s", "disk-emu0001d"}


def test_dry_run_validates_and_creates_nothing(emulator: Any, cvm_client: CvmClient, error_code: ErrorCode) -> None:
    assert error_code(lambda: cvm_client.CreateImage(_create_request(STOPPED, "dry", DryRun=True))) == "DryRunOperation"
    assert error_code(lambda: cvm_client.CreateImage(_create_request("ins-zzzzzzzz", "dry", DryRun=True))) == (
        "InvalidInstanceId.NotFound")
    assert emulator.control.state()["images"] == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"ImageName": "x" * 61}, "InvalidParameter.ValueTooLarge"),
        ({"ImageName": "ok", "ImageDescription": "d" * 257}, "InvalidParameter.ValueTooLarge"),
        ({"ImageName": "ok", "ForcePoweroff": "yes"}, "InvalidParameterValue"),
        ({"ImageName": "ok", "Sysprep": True}, "InvalidParameter"),  # a wrong type, as recorded
        ({"ImageName": "ok", "Reboot": "maybe"}, "InvalidParameterValue"),
        ({"ImageName": "ok", "SnapshotIds": ["snap-12345678"]}, "InvalidParameterValue"),
        ({"ImageName": "ok", "TagSpecification": [{"ResourceType": "instance", "Tags": []}]}, "InvalidParameterValue"),
        ({"ImageName": "ok", "DataDiskIds": ["disk-emu0002d"]}, "InvalidParameterValue"),
        ({"ImageName": "ok", "InstanceId": "i-123"}, "InvalidInstanceId.Malformed"),
        ({"ImageName": "ok", "InstanceId": "ins-EMU00001"}, "InvalidInstanceId.Malformed"),
        ({"ImageName": "ok", "InstanceId": "ins-zzzzzzzz"}, "InvalidInstanceId.NotFound"),
    ],
)
def test_create_image_rejections(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode, params: dict[str, Any], code: str
) -> None:
    request = {"InstanceId": STOPPED, **params}
    assert error_code(lambda: cvm_client.call_json("CreateImage", request)) == code


def test_types_and_lengths_come_before_the_instance_id(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode
) -> None:
    request = {"InstanceId": "bad", "ImageName": "x" * 61}
    assert error_code(lambda: cvm_client.call_json("CreateImage", request)) == "InvalidParameter.ValueTooLarge"
    request = {"InstanceId": "bad", "ImageName": "x" * 61, "Sysprep": "nope"}
    assert error_code(lambda: cvm_client.call_json("CreateImage", request)) == "InvalidParameterValue"


def test_validation_order(emulator: Any, cvm_client: CvmClient, create_image: Callable, error_code: ErrorCode) -> None:
    create_image(RUNNING, "taken")  # instance 2 is now busy with an image task and STOPPING
    emulator.control.set_config(image_quota=1)

    def code(instance_id: str, name: str) -> str:
        return error_code(lambda: cvm_client.call_json("CreateImage", {"InstanceId": instance_id, "ImageName": name}))

    assert code("ins-zzzzzzzz", "taken") == "InvalidInstanceId.NotFound"  # existence before duplicate
    assert code(RUNNING, "taken") == "InvalidImageName.Duplicate"  # duplicate before quota
    assert code(RUNNING, "fresh") == "ImageQuotaLimitExceeded"  # quota before the running task
    emulator.control.set_config(image_quota=10)
    assert code(RUNNING, "fresh") == "MutexOperation.TaskRunning"  # task before the instance state


@pytest.mark.parametrize("state", ["PENDING", "STOPPING", "STARTING", "REBOOTING", "TERMINATING", "LAUNCH_FAILED"])
def test_instance_states_that_cannot_be_imaged(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode, state: str
) -> None:
    emulator.control.patch_instance(STOPPED, InstanceState=state)
    request = {"InstanceId": STOPPED, "ImageName": "nope"}
    assert error_code(lambda: cvm_client.call_json("CreateImage", request)) == "InvalidInstance.NotSupported"


def test_local_system_disk_and_reboot_false_are_not_supported(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode, create_image: Callable
) -> None:
    request = {"InstanceId": RUNNING, "ImageName": "nope", "Reboot": "False"}
    assert error_code(lambda: cvm_client.call_json("CreateImage", request)) == "InvalidInstance.NotSupported"
    emulator.control.patch_instance(STOPPED, system_disk_type="LOCAL_SSD")
    request = {"InstanceId": STOPPED, "ImageName": "nope"}
    assert error_code(lambda: cvm_client.call_json("CreateImage", request)) == "InvalidInstance.NotSupported"
    assert create_image(RUNNING, "reboot-ok", Reboot="true").startswith("img-")


def test_describe_images_filters_and_pages(
    emulator: Any, cvm_client: CvmClient, create_image: Callable, image_of: Callable, wait_until: Callable
) -> None:
    first = create_image(STOPPED, "Web-Release-1", TagSpecification=[
        {"ResourceType": "image", "Tags": [{"Key": "team", "Value": "web"}]}])
    wait_until(lambda: image_of(first)["ImageState"] == "NORMAL")
    emulator.control.set_config(image_build_seconds=60)
    second = create_image("ins-emu00003", "batch-release-2")

    def names(filters: list[dict[str, Any]]) -> list[str]:
        return sorted(image.ImageName for image in _describe(cvm_client, Filters=filters).ImageSet)

    assert names([{"Name": "image-name", "Values": ["release"]}]) == ["Web-Release-1", "batch-release-2"]
    assert names([{"Name": "image-name", "Values": ["WEB-"]}]) == ["Web-Release-1"]
    assert names([{"Name": "image-id", "Values": [second]}]) == ["batch-release-2"]
    assert names([{"Name": "image-type", "Values": ["PRIVATE_IMAGE"]}, {"Name": "image-state", "Values": ["CREATING"]}]
                 ) == ["batch-release-2"]
    assert names([{"Name": "tag-key", "Values": ["team"]}]) == ["Web-Release-1"]
    assert names([{"Name": "tag:team", "Values": ["web"]}]) == ["Web-Release-1"]
    assert names([{"Name": "tag:team", "Values": ["api"]}]) == []
    assert len(names([{"Name": "image-type", "Values": ["PUBLIC_IMAGE"]}])) == 2
    everything = _describe(cvm_client)
    assert everything.TotalCount == 4
    page = _describe(cvm_client, Offset=1, Limit=2)
    assert page.TotalCount == 4 and [i.ImageId for i in page.ImageSet] == [i.ImageId for i in everything.ImageSet[1:3]]
    by_id = _describe(cvm_client, ImageIds=[first, "img-zzzzzzzz"])
    assert [image.ImageId for image in by_id.ImageSet] == [first] and by_id.TotalCount == 1
    assert by_id.ImageSet[0].CreatedTime.endswith("Z") and "T" in by_id.ImageSet[0].CreatedTime


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"ImageIds": ["img-9id7emv7"], "Filters": [{"Name": "image-type", "Values": ["PUBLIC_IMAGE"]}]},
         "InvalidParameterValue"),
        ({"Limit": 101}, "InvalidParameterValue"),
        ({"Limit": 0}, "InvalidParameterValue"),
        ({"Offset": -1}, "InvalidParameterValue"),
        ({"ImageIds": ["ami-123"]}, "InvalidImageId.Malformed"),
        ({"Filters": [{"Name": "colour", "Values": ["red"]}]}, "InvalidFilter"),
    ],
)
def test_describe_images_rejections(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode, fields: dict[str, Any], code: str
) -> None:
    assert error_code(lambda: _describe(cvm_client, **fields)) == code


def test_images_are_per_region(emulator: Any, cvm_client: CvmClient, create_image: Callable) -> None:
    create_image(STOPPED, "gz-only")
    cvm_client.region = "ap-shanghai"
    assert [image.ImageType for image in _describe(cvm_client).ImageSet] == ["PUBLIC_IMAGE", "PUBLIC_IMAGE"]
    assert emulator.control.state()["images"][0]["Region"] == "ap-guangzhou"


def test_modify_image_attribute(
    emulator: Any, cvm_client: CvmClient, create_image: Callable, image_of: Callable, error_code: ErrorCode
) -> None:
    image_id = create_image(STOPPED, "before")
    create_image("ins-emu00003", "other")
    request = models.ModifyImageAttributeRequest()
    request.ImageId, request.ImageName, request.ImageDescription = image_id, "after", "new words"
    request.ImageFamily, request.ImageDeprecated = "fam", True
    cvm_client.ModifyImageAttribute(request)
    image = image_of(image_id)
    assert (image["ImageName"], image["ImageDescription"], image["ImageFamily"], image["ImageDeprecated"]) == (
        "after", "new words", "fam", True)

    def code(**fields: Any) -> str:
        return error_code(lambda: cvm_client.call_json("ModifyImageAttribute", fields))

    assert code(ImageId=image_id, ImageName="other") == "InvalidImageName.Duplicate"
    cvm_client.call_json("ModifyImageAttribute", {"ImageId": image_id, "ImageName": "after"})  # its own name is fine
    assert code(ImageId=image_id, ImageName="n" * 61) == "InvalidParameter.ValueTooLarge"
    assert code(ImageId="img-zzzzzzzz", ImageName="x") == "InvalidImageId.NotFound"
    assert code(ImageId="image-1", ImageName="x") == "InvalidImageId.Malformed"
    assert code(ImageId="img-9id7emv7", ImageName="x") == "UnauthorizedOperation.ImageNotBelongToAccount"


def test_delete_images(
    emulator: Any, cvm_client: CvmClient, create_image: Callable, image_of: Callable, wait_until: Callable,
    error_code: ErrorCode,
) -> None:
    keep = create_image(STOPPED, "keep-snaps")
    drop = create_image("ins-emu00003", "drop-snaps")
    request = models.DeleteImagesRequest()
    request.ImageIds = [keep]
    assert error_code(lambda: cvm_client.DeleteImages(request)) == "InvalidImageId.IncorrectState"
    wait_until(lambda: image_of(keep)["ImageState"] == "NORMAL" and image_of(drop)["ImageState"] == "NORMAL")
    request.DryRun = True
    assert error_code(lambda: cvm_client.DeleteImages(request)) == "DryRunOperation"
    request.DryRun = False
    cvm_client.DeleteImages(request)
    request.ImageIds, request.DeleteBindedSnap = [drop], True
    cvm_client.DeleteImages(request)
    assert image_of(keep) is None and image_of(drop) is None
    snapshots = emulator.control.state()["snapshots"]
    assert [snapshot["ImageId"] for snapshot in snapshots] == [keep]
    request.ImageIds = ["img-zzzzzzzz"]
    assert error_code(lambda: cvm_client.DeleteImages(request)) == "InvalidImageId.NotFound"
    request.ImageIds = ["img-487zeit5"]
    assert error_code(lambda: cvm_client.DeleteImages(request)) == "UnauthorizedOperation.ImageNotBelongToAccount"


def test_quota(emulator: Any, cvm_client: CvmClient, create_image: Callable, error_code: ErrorCode) -> None:
    emulator.control.set_config(image_quota=2)
    assert cvm_client.DescribeImageQuota(models.DescribeImageQuotaRequest()).ImageNumQuota == 2
    create_image(STOPPED, "one")
    create_image("ins-emu00003", "two")
    request = {"InstanceId": RUNNING, "ImageName": "three"}
    assert error_code(lambda: cvm_client.call_json("CreateImage", request)) == "ImageQuotaLimitExceeded"


def test_the_seeds_six_error_codes(emulator: Any, cvm_client: CvmClient, create_image: Callable,
                                   error_code: ErrorCode) -> None:
    """ImageQuotaLimitExceeded, InvalidImageName.Duplicate, InvalidInstance.NotSupported, InvalidInstanceId.NotFound,
    InvalidParameter.ValueTooLarge, MutexOperation.TaskRunning: each as the 2018 era answers it."""
    def code(instance_id: str, name: str, **extra: Any) -> str:
        request = {"InstanceId": instance_id, "ImageName": name, **extra}
        return error_code(lambda: cvm_client.call_json("CreateImage", request))

    assert code(STOPPED, "x" * 61) == "InvalidParameter.ValueTooLarge"
    assert code("ins-zzzzzzzz", "new") == "InvalidInstanceId.NotFound"
    assert code(RUNNING, "new", Reboot="false") == "InvalidInstance.NotSupported"
    create_image(RUNNING, "taken")
    assert code(RUNNING, "taken") == "InvalidImageName.Duplicate"
    assert code(RUNNING, "new") == "MutexOperation.TaskRunning"
    emulator.control.set_config(image_quota=1)
    assert code(STOPPED, "new") == "ImageQuotaLimitExceeded"
