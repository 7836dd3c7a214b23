"""Image sharing: per-request and per-image account limits, regions, busy images and what a copy inherits,
driven through the official SDK (the basic share/unshare rules are in test_emulator_image_rules.py)."""

from collections.abc import Callable
from typing import Any

from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from tests.emulator.sdk import call, image_in_state

ErrorCode = Callable[[Callable[[], Any]], str]


def _accounts(count: int, start: int = 200000000000) -> list[str]:
    return [str(start + number) for number in range(count)]


def _share(client: CvmClient, image_id: str, accounts: list[str], permission: str = "SHARE") -> Any:
    return call(client, "ModifyImageSharePermission", ImageId=image_id, AccountIds=accounts, Permission=permission)


def test_an_image_is_shared_with_at_most_500_accounts(
    emulator: Any, cvm_client: CvmClient, golden: str, error_code: ErrorCode
) -> None:
    assert error_code(lambda: _share(cvm_client, golden, _accounts(501))) == "InvalidParameterValue.LimitExceeded"
    assert error_code(lambda: _share(cvm_client, golden, [])) == "InvalidParameterValue"
    _share(cvm_client, golden, _accounts(500))
    assert error_code(lambda: _share(cvm_client, golden, ["300000000000"])) == "OverQuota"
    shared = call(cvm_client, "DescribeImageSharePermission", ImageId=golden).SharePermissionSet
    assert len(shared) == 500 and len(image_in_state(emulator, golden)["SharedWith"]) == 500
    _share(cvm_client, golden, _accounts(1), permission="CANCEL")
    _share(cvm_client, golden, ["300000000000"])


def test_sharing_is_per_region(
    emulator: Any, cvm_client: CvmClient, golden: str, region_client: Callable[[str], CvmClient],
    error_code: ErrorCode,
) -> None:
    _share(cvm_client, golden, ["200000000002"])
    shanghai = region_client("ap-shanghai")
    assert error_code(lambda: call(shanghai, "DescribeImageSharePermission", ImageId=golden)) == (
        "InvalidImageId.NotFound")
    assert error_code(lambda: _share(shanghai, golden, ["200000000003"])) == "InvalidImageId.NotFound"


def test_a_syncing_image_cannot_be_shared_and_a_copy_is_not_shared(
    emulator: Any, cvm_client: CvmClient, golden: str, region_client: Callable[[str], CvmClient],
    error_code: ErrorCode, wait_until: Callable[..., Any],
) -> None:
    _share(cvm_client, golden, ["200000000002"])  # a shared image may still be copied
    copy_id = call(cvm_client, "SyncImages", ImageIds=[golden], DestinationRegions=["ap-shanghai"],
                   ImageSetRequired=True).ImageSet[0].ImageId
    assert error_code(lambda: _share(cvm_client, golden, ["200000000003"])) == (
        "InvalidParameterValue.InvalidImageState")
    shanghai = region_client("ap-shanghai")
    assert call(shanghai, "DescribeImageSharePermission", ImageId=copy_id).SharePermissionSet == []
    wait_until(lambda: image_in_state(emulator, copy_id)["ImageState"] == "NORMAL")
    call(shanghai, "ModifyImageAttribute", ImageId=copy_id, ImageName="renamed-copy")  # not shared: modifiable


def test_sharing_refuses_to_deprecate_a_shared_image(
    emulator: Any, cvm_client: CvmClient, golden: str, error_code: ErrorCode
) -> None:
    _share(cvm_client, golden, ["200000000002"])
    assert error_code(lambda: call(cvm_client, "ModifyImageAttribute", ImageId=golden, ImageDeprecated=True)) == (
        "UnsupportedOperation.SharedImageModifyUnsupported")
    _share(cvm_client, golden, ["200000000002"], permission="CANCEL")
    call(cvm_client, "ModifyImageAttribute", ImageId=golden, ImageDeprecated=True)
    assert image_in_state(emulator, golden)["ImageDeprecated"] is True
