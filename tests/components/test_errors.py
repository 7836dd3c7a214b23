"""The error translator, fed with real errors that the emulator returns through the official SDK."""

import pytest
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from components.cloud.errors import ImageRef, translate

REF = ImageRef(image_name="web-base", region="ap-guangzhou", instance_id="ins-emu00001")


def api_error(client: CvmClient, params: dict) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as raised:
        client.call_json("CreateImage", {"InstanceId": "ins-emu00001", "ImageName": "web-base", **params})
    return raised.value


@pytest.mark.parametrize(
    ("arrange", "params", "code", "fix"),
    [
        (lambda e, c: e.control.set_config(image_quota=0), {}, "ImageQuotaLimitExceeded", "Delete custom images"),
        (
            lambda e, c: c.call_json("CreateImage", {"InstanceId": "ins-emu00002", "ImageName": "web-base", "Reboot": "true"}),
            {},
            "InvalidImageName.Duplicate",
            "Choose another image_name",
        ),
        (lambda e, c: e.control.patch_instance("ins-emu00001", system_disk_type="LOCAL_SSD"), {}, "InvalidInstance.NotSupported", "Wait until"),
        (lambda e, c: None, {"InstanceId": "ins-zzzzzzzz"}, "InvalidInstanceId.NotFound", "Check instance_id"),
        (lambda e, c: None, {"ImageName": "x" * 61}, "InvalidParameter.ValueTooLarge", "Shorten them"),
        (
            lambda e, c: (e.control.set_config(image_build_seconds=30), c.call_json("CreateImage", {"InstanceId": "ins-emu00001", "ImageName": "first"})),
            {},
            "MutexOperation.TaskRunning",
            "Wait for it to finish",
        ),
    ],
)
def test_each_seed_error_code_becomes_a_message_with_a_fix(emulator, cvm_client, arrange, params, code, fix):
    emulator.control.set_config(api_era="2018")  # the seed's six codes, as the 2018 API answered them
    arrange(emulator, cvm_client)
    error = api_error(cvm_client, params)
    assert error.get_code() == code

    message = str(translate(error, "CreateImage", REF))

    assert message.startswith("CreateImage for image 'web-base' in ap-guangzhou failed with " + code)
    assert fix in message
    assert "Traceback" not in message


@pytest.mark.parametrize(
    ("secret_id", "secret_key", "code"),
    [("AKIDEMULATOR00000000", "wrong-key", "AuthFailure.SignatureFailure"), ("AKIDUNKNOWN", "wrong-key", "AuthFailure.SecretIdNotFound")],
)
def test_auth_failures_point_at_the_credentials(emulator, secret_id, secret_key, code):
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emulator.endpoint))
    client = CvmClient(Credential(secret_id, secret_key), emulator.region, profile)
    error = api_error(client, {})
    assert error.get_code() == code
    message = str(translate(error, "CreateImage", REF))
    assert "tencentcloud:secretKey" in message and "TENCENTCLOUD_SECRET_ID" in message
    assert secret_key not in message


def test_unknown_codes_keep_the_api_message():
    error = TencentCloudSDKException("InvalidParameterValue.Something", "the API's own words", "req-1")
    message = str(translate(error, "DeleteImages", REF))
    assert "InvalidParameterValue.Something: the API's own words" in message and "req-1" in message


@pytest.mark.parametrize("code", ["InvalidImageId.InShared", "InvalidParameterValue.InvalidImageIdIsShared"])
def test_both_answers_to_deleting_a_shared_image_say_unshare_it_first(code):
    """DeleteImages documents both codes for an image still shared with other accounts (the Go SDK's list)."""
    message = str(translate(TencentCloudSDKException(code, "The image is shared.", "req-1"), "DeleteImages", REF))
    assert f"failed with {code}: " in message and "Unshare it first" in message and "The image is shared" not in message


def test_non_api_failures_are_still_named():
    message = str(translate(ValueError("boom"), "CreateImage", REF))
    assert "image 'web-base' in ap-guangzhou" in message and "ValueError: boom" in message
