"""The translator's fix for each code the copy, share, family and signing calls can meet, fed with the error the
emulator really answers through the official SDK: a code that lost its fix shows the API's bare words and fails here."""

import time
from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.common import abstract_client
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from components.cloud.errors import CvmImageError, ImageRef, translate
from tests.components.emulator_helpers import STOPPED, detail_of, make_images, today_without_lags

OWN_ACCOUNT, OTHER_ACCOUNT = "100000000001", "100000000002"
PUBLIC_IMAGE = "img-9id7emv7"  # TencentOS Server 3.1, one of the emulator's public images


class SlowClock:
    """Stands in for the `time` module the SDK signs requests with: ten minutes slow."""

    @staticmethod
    def time() -> float:
        return time.time() - 600


def refused(call: Callable[[], Any]) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as raised:
        call()
    return raised.value


def fix(error: TencentCloudSDKException, action: str, image_id: str | None = None) -> str:
    """What the translator says after `failed with <code>: `."""
    ref = ImageRef(image_name="web-base", region="ap-guangzhou", instance_id=STOPPED, image_id=image_id)
    return detail_of(str(translate(error, action, ref)), error.get_code())


@pytest.fixture
def image_id(emulator, cvm_client) -> str:
    """A NORMAL image of this account."""
    today_without_lags(emulator, image_build_seconds=0, image_copy_seconds=0)
    [made] = make_images(cvm_client, ["web-base"])
    return made


def share(cvm_client, image_id: str, accounts: list[str]) -> Any:
    return cvm_client.call_json("ModifyImageSharePermission", {"ImageId": image_id, "AccountIds": accounts, "Permission": "SHARE"})


def test_a_region_that_does_not_exist(cvm_client, image_id):
    error = refused(lambda: cvm_client.call_json("SyncImages", {"ImageIds": [image_id], "DestinationRegions": ["ap-mars"]}))
    assert error.get_code() == "InvalidRegion.NotFound"
    assert fix(error, "SyncImages").startswith("a region of copy_to_regions is not available to this account. Remove it")


def test_an_account_that_does_not_exist(cvm_client, image_id):
    error = refused(lambda: share(cvm_client, image_id, ["no-such-account"]))
    assert error.get_code() == "InvalidAccountId.NotFound"
    assert fix(error, "ModifyImageSharePermission").startswith("an account of share_with_accounts does not exist. Check")


def test_sharing_with_the_stacks_own_account(provider, checked, emulator):
    """Through the provider: check accepts the id (it cannot know whose it is), the API refuses it."""
    today_without_lags(emulator)
    with pytest.raises(CvmImageError) as raised:
        provider.create(checked(instance_id=STOPPED, image_name="web-base", share_with_accounts=[OWN_ACCOUNT]))

    detail = detail_of(str(raised.value), "FailedOperation.AccountIsYourSelf")
    assert detail.startswith("share_with_accounts lists this stack's own account, which owns the image already. Remove it")


def test_sharing_with_more_than_500_accounts(cvm_client, image_id):
    share(cvm_client, image_id, [str(int(OTHER_ACCOUNT) + n) for n in range(500)])
    error = refused(lambda: share(cvm_client, image_id, ["300000000001"]))
    assert error.get_code() == "OverQuota"
    assert fix(error, "ModifyImageSharePermission", image_id).startswith(
        f"image 'web-base' ({image_id}) in ap-guangzhou would be shared with more than 500 accounts"
    )


def test_a_family_the_api_refuses(cvm_client, image_id):
    error = refused(lambda: cvm_client.call_json("ModifyImageAttribute", {"ImageId": image_id, "ImageFamily": "1web"}))
    assert error.get_code() == "InvalidParameterValue.InvalidImageFamily"
    assert fix(error, "ModifyImageAttribute").startswith("Tencent Cloud refused image_family. Use a letter, then letters")


def test_sharing_an_encrypted_image(cvm_client, image_id):
    sync = {"ImageIds": [image_id], "DestinationRegions": ["ap-guangzhou"], "ImageName": "web-sealed", "Encrypt": True,
            "ImageSetRequired": True}
    [encrypted] = cvm_client.call_json("SyncImages", sync)["Response"]["ImageSet"]
    error = refused(lambda: share(cvm_client, encrypted["ImageId"], [OTHER_ACCOUNT]))
    assert error.get_code() == "UnsupportedOperation.EncryptedImagesNotSupported"
    assert "is encrypted, and an encrypted image can be neither copied nor shared" in fix(error, "ModifyImageSharePermission")


def test_a_clock_more_than_five_minutes_off(cvm_client, emulator, monkeypatch):
    """The SDK signs with this machine's clock: ten minutes slow, the signature has expired when it arrives."""
    monkeypatch.setattr(abstract_client, "time", SlowClock)
    error = refused(lambda: cvm_client.call_json("DescribeImages", {"Limit": 1}))
    assert error.get_code() == "AuthFailure.SignatureExpire"
    assert fix(error, "DescribeImages").startswith("the request signature expired: this machine's clock is more than 5 minutes off")


def test_changing_a_public_image(cvm_client, emulator):
    error = refused(lambda: cvm_client.call_json("ModifyImageAttribute", {"ImageId": PUBLIC_IMAGE, "ImageName": "mine"}))
    assert error.get_code() == "UnauthorizedOperation.ImageNotBelongToAccount"
    assert "is a public image or belongs to another account: only this account's custom images" in fix(error, "ModifyImageAttribute")
