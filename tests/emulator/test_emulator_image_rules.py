"""Today's refusals for images (sharing, busy images, lengths), permission-policy denials, and DescribeImages'
filters and paging, driven through the official SDK."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.common.credential import Credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312 import models
from tencentcloud.cvm.v20170312.cvm_client import CvmClient
from tencentcloud.tag.v20180813.tag_client import TagClient

from emulator.control import ControlError

ErrorCode = Callable[[Callable[[], Any]], str]
STOPPED, BATCH = "ins-emu00001", "ins-emu00003"
DENIED = "AuthFailure.UnauthorizedOperation"


def _call(client: CvmClient, action: str, **fields: Any) -> Any:
    request = getattr(models, f"{action}Request")()
    request.from_json_string(json.dumps(fields))
    return getattr(client, action)(request)


@pytest.fixture
def normal_image(emulator: Any, no_lag: Any, cvm_client: CvmClient, image_of: Callable, wait_until: Callable) -> str:
    emulator.control.set_config(image_build_seconds=0)
    image_id = _call(cvm_client, "CreateImage", InstanceId=STOPPED, ImageName="shared-one").ImageId
    wait_until(lambda: image_of(image_id)["ImageState"] == "NORMAL")
    return image_id


def test_a_shared_image_can_be_neither_modified_nor_deleted_until_unshared(
    emulator: Any, cvm_client: CvmClient, normal_image: str, image_of: Callable, error_code: ErrorCode
) -> None:
    _call(cvm_client, "ModifyImageSharePermission", ImageId=normal_image, AccountIds=["200000000002"],
          Permission="SHARE")
    shared = _call(cvm_client, "DescribeImageSharePermission", ImageId=normal_image).SharePermissionSet
    assert [entry.AccountId for entry in shared] == ["200000000002"] and shared[0].CreatedTime.endswith("Z")
    assert emulator.control.state()["images"][0]["SharedWith"] == ["200000000002"]
    assert error_code(lambda: _call(cvm_client, "ModifyImageAttribute", ImageId=normal_image, ImageName="renamed")
                      ) == "UnsupportedOperation.SharedImageModifyUnsupported"
    assert error_code(lambda: _call(cvm_client, "DeleteImages", ImageIds=[normal_image])) == "InvalidImageId.InShared"
    _call(cvm_client, "ModifyImageSharePermission", ImageId=normal_image, AccountIds=["200000000002"],
          Permission="CANCEL")
    assert _call(cvm_client, "DescribeImageSharePermission", ImageId=normal_image).SharePermissionSet == []
    _call(cvm_client, "ModifyImageAttribute", ImageId=normal_image, ImageName="renamed")
    _call(cvm_client, "DeleteImages", ImageIds=[normal_image])
    assert image_of(normal_image) is None


def test_share_permission_refusals(
    emulator: Any, cvm_client: CvmClient, normal_image: str, error_code: ErrorCode
) -> None:
    def share(image_id: str = normal_image, accounts: tuple[str, ...] = ("200000000002",), how: str = "SHARE") -> str:
        return error_code(lambda: _call(cvm_client, "ModifyImageSharePermission", ImageId=image_id,
                                        AccountIds=list(accounts), Permission=how))

    assert share(accounts=("100000000001",)) == "FailedOperation.AccountIsYourSelf"
    assert share(accounts=("not-an-account",)) == "InvalidAccountId.NotFound"
    assert share(how="LEND") == "InvalidParameterValue"
    assert share(image_id="img-9id7emv7") == "UnauthorizedOperation.ImageNotBelongToAccount"
    _call(cvm_client, "ModifyImageSharePermission", ImageId=normal_image, AccountIds=["200000000002"],
          Permission="SHARE")
    assert share() == "FailedOperation.AccountAlreadyExists"
    emulator.control.set_config(image_build_seconds=60)
    creating = _call(cvm_client, "CreateImage", InstanceId=BATCH, ImageName="still-building").ImageId
    assert share(image_id=creating) == "InvalidParameterValue.InvalidImageState"


def test_a_busy_image_cannot_be_modified_today(
    emulator: Any, no_lag: Any, cvm_client: CvmClient, error_code: ErrorCode
) -> None:
    emulator.control.set_config(image_build_seconds=60)
    image_id = _call(cvm_client, "CreateImage", InstanceId=STOPPED, ImageName="building").ImageId
    assert error_code(lambda: _call(cvm_client, "ModifyImageAttribute", ImageId=image_id, ImageName="x")) == (
        "InvalidImageId.IncorrectState")
    assert error_code(lambda: _call(cvm_client, "DeleteImages", ImageIds=[image_id])) == "InvalidImageId.IncorrectState"
    emulator.control.set_config(api_era="2018")  # the 2018 era let a CREATING image be renamed
    _call(cvm_client, "ModifyImageAttribute", ImageId=image_id, ImageName="x")


@pytest.mark.parametrize("fields", [{"ImageName": "n" * 61}, {"ImageDescription": "d" * 257}])
def test_over_long_modify_values_are_too_large(
    emulator: Any, cvm_client: CvmClient, normal_image: str, error_code: ErrorCode, fields: dict[str, str]
) -> None:
    assert error_code(lambda: _call(cvm_client, "ModifyImageAttribute", ImageId=normal_image, **fields)) == (
        "InvalidParameterValue.TooLarge")
    _call(cvm_client, "ModifyImageAttribute", ImageId=normal_image, ImageName="n" * 60, ImageDescription="d" * 256)


def test_a_denied_action_answers_unauthorized_operation(
    emulator: Any, cvm_client: CvmClient, tag_client: TagClient, error_code: ErrorCode
) -> None:
    assert emulator.control.deny("CreateImage", "tag:*") == ["CreateImage", "tag:*"]
    assert emulator.control.denied() == ["CreateImage", "tag:*"]
    assert error_code(lambda: _call(cvm_client, "CreateImage", InstanceId=STOPPED, ImageName="no")) == DENIED
    assert error_code(lambda: cvm_client.call_json("CreateImage", {"Bogus": 1})) == DENIED  # before parameter checks
    assert error_code(lambda: tag_client.call_json("UnTagResources", {"ResourceList": [], "TagKeys": []})) == DENIED
    assert _call(cvm_client, "DescribeImageQuota").ImageNumQuota == 500  # others still allowed
    assert emulator.control.state()["images"] == []
    wrong_key = CvmClient(Credential(emulator.secret_id, "wrong"), emulator.region, ClientProfile(
        httpProfile=HttpProfile(protocol="http", endpoint=emulator.endpoint)))
    assert error_code(lambda: _call(wrong_key, "CreateImage", InstanceId=STOPPED, ImageName="no")) == (
        "AuthFailure.SignatureFailure")  # the signature is checked first
    emulator.control.deny("cvm:CreateImage")
    assert error_code(lambda: _call(cvm_client, "CreateImage", InstanceId=STOPPED, ImageName="no")) == DENIED
    emulator.control._call("DELETE", "deny")
    assert _call(cvm_client, "CreateImage", InstanceId=STOPPED, ImageName="yes").ImageId
    emulator.control.deny("*")
    emulator.control.reset()
    assert emulator.control.denied() == []
    with pytest.raises(ControlError) as caught:
        emulator.control.deny("Create Image")
    assert caught.value.status == 400


def _describe(client: CvmClient, **fields: Any) -> models.DescribeImagesResponse:
    return _call(client, "DescribeImages", **fields)


def test_describe_images_filters_today(
    emulator: Any, no_lag: Any, cvm_client: CvmClient, error_code: ErrorCode
) -> None:
    _call(cvm_client, "CreateImage", InstanceId=STOPPED, ImageName="Web-Release-1")
    _call(cvm_client, "CreateImage", InstanceId=BATCH, ImageName="batch-release-2")

    def names(*filters: tuple[str, list[str]]) -> list[str]:
        found = _describe(cvm_client, Filters=[{"Name": name, "Values": values} for name, values in filters])
        return sorted(image.ImageName for image in found.ImageSet)

    assert names(("image-name", ["RELEASE"])) == ["Web-Release-1", "batch-release-2"]  # fuzzy, any case
    assert names(("image-name", ["web-"]), ("image-type", ["PRIVATE_IMAGE"])) == ["Web-Release-1"]
    assert names(("platform", ["tencent"]), ("image-type", ["PUBLIC_IMAGE"])) == ["TencentOS Server 3.1 (TK4)"]
    assert error_code(lambda: names(("image-state", ["NORMAL"]))) == "InvalidFilter"  # not a filter today
    public = [{"Name": "image-type", "Values": ["PUBLIC_IMAGE"]}]
    assert error_code(lambda: _describe(cvm_client, ImageIds=["img-9id7emv7"], Filters=public)) == (
        "InvalidParameter.InvalidParameterCoexistImageIdsFilters")


def test_describe_images_pages_at_most_a_hundred(
    emulator: Any, no_lag: Any, cvm_client: CvmClient, error_code: ErrorCode
) -> None:
    emulator.control.set_config(image_build_seconds=0)
    for number in range(105):
        cvm_client.call_json("CreateImage", {"InstanceId": STOPPED, "ImageName": f"page-{number:03}"})
    first = _describe(cvm_client, Limit=100)
    second = _describe(cvm_client, Offset=100, Limit=100)
    assert (first.TotalCount, len(first.ImageSet), second.TotalCount, len(second.ImageSet)) == (107, 100, 107, 7)
    ids = [image.ImageId for image in first.ImageSet + second.ImageSet]
    assert len(set(ids)) == 107
    assert len(_describe(cvm_client).ImageSet) == 20  # the default Limit
    assert error_code(lambda: _describe(cvm_client, Limit=101)) == "InvalidParameterValue"
