"""Documented codes the emulator does not answer (the Go SDK's per-action lists, issue 20), through the translator and
the retry policy: what each one's message says, and whether it is waited out. The codes the emulator does answer are
tested through the provider (test_retry_policy.py, test_regions.py, test_busy_images.py)."""

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from components.cloud.errors import ImageRef, translate
from components.cloud.retry import is_transient
from tests.components.emulator_helpers import detail_of

INSTANCE = "ins-emu00001"
REF = ImageRef(image_name="web-base", region="ap-guangzhou", instance_id=INSTANCE, image_id="img-abcd1234")


def message(code: str, action: str = "CreateImage", api_message: str = "The API's own words.") -> str:
    return str(translate(TencentCloudSDKException(code, api_message, "req-1"), action, REF))


@pytest.mark.parametrize(
    ("code", "state", "fix"),
    [
        ("UnsupportedOperation.InstanceStateFreezing", "FREEZING", "Settle the account, or ask Tencent Cloud to unfreeze it"),
        ("UnsupportedOperation.InstanceStateIsolating", "ISOLATING", "Renew or recover it"),
        ("UnsupportedOperation.InstanceStateShutdown", "SHUTDOWN", "due to be terminated. Renew or recover it"),
        ("UnsupportedOperation.InstanceStateTerminated", "TERMINATED", "Point instance_id at a live instance"),
        ("UnsupportedOperation.InstanceStateCorrupted", "CORRUPTED", "permanently corrupted. Image another instance"),
        ("UnsupportedOperation.InstanceStateBanning", "BANNING", "Submit a ticket"),
    ],
)
def test_an_instance_state_that_never_ends_well_is_not_retried_and_says_what_to_do(code, state, fix):
    assert not is_transient(TencentCloudSDKException(code, "", "req-1"))
    detail = detail_of(message(code, "StopInstances"), code)
    assert detail.startswith(f"instance {INSTANCE} is {state}: ") and fix in detail


def test_a_failed_reinstallation_is_not_retried_and_says_what_to_do():
    code = "UnsupportedOperation.InstanceReinstallFailed"
    assert not is_transient(TencentCloudSDKException(code, "", "req-1"))
    assert f"instance {INSTANCE} failed an OS reinstallation" in detail_of(message(code), code)


@pytest.mark.parametrize(
    ("code", "state"),
    [
        ("UnsupportedOperation.InstanceStatePending", "PENDING"),
        ("UnsupportedOperation.InstanceStateEnterServiceLiveMigrate", "ENTER_SERVICE_LIVE_MIGRATE"),
        ("UnsupportedOperation.InstanceStateExitServiceLiveMigrate", "EXIT_SERVICE_LIVE_MIGRATE"),
        ("UnsupportedOperation.InstanceStateRebooting", "REBOOTING"),
    ],
)
def test_an_instance_state_that_ends_by_itself_is_waited_out(code, state):
    assert is_transient(TencentCloudSDKException(code, "", "req-1"))
    assert f"instance {INSTANCE} stayed {state} until the deadline" in detail_of(message(code, "StartInstances"), code)


@pytest.mark.parametrize("code", ["InternalError", "InternalServerError", "InternalError.TradeUnknownError"])
def test_internal_errors_are_retried_a_few_times_and_explained(code):
    """InternalServerError (StopInstances, StartInstances, DescribeInstances) is the same "Internal error." as the
    common InternalError: both are retried, a few times at most (test_retry_policy.py)."""
    assert is_transient(TencentCloudSDKException(code, "", "req-1"))
    detail = detail_of(message(code, "StopInstances"), code)
    assert "tried up to 5 times" in detail and "Run `pulumi up` again later" in detail


@pytest.mark.parametrize(
    ("code", "action", "fragments"),
    [
        ("UnsupportedOperation.LocationImageNotSupported", "SyncImages",
         ["SyncImages does not take image 'web-base' (img-abcd1234) in ap-guangzhou", "CDC", "Remove copy_to_regions"]),
        ("UnsupportedOperation.LocationImageNotSupported", "ModifyImageSharePermission",
         ["ModifyImageSharePermission does not take image 'web-base'", "share_with_accounts"]),
        ("FailedOperation.NotMasterAccount", "ModifyImageSharePermission",
         ["collaborator (sub-)account", "root account's UIN in share_with_accounts"]),
        ("InvalidAccountIs.YourSelf", "ModifyImageSharePermission",
         ["share_with_accounts lists this stack's own account", "Remove it from share_with_accounts"]),
        ("InvalidParameter.LocalDataDiskNotSupport", "CreateImage",
         [f"a disk of data_disk_ids is a local disk of instance {INSTANCE}", "Keep only cloud disks in data_disk_ids"]),
        ("InvalidAccount.InsufficientBalance", "CreateImage",
         ["balance is too low to create image 'web-base' (img-abcd1234) in ap-guangzhou", "Top up the account"]),
        ("UnsupportedOperation.StoppedModeStopCharging", "StopInstances",
         [f"instance {INSTANCE} does not support \"no charges when shut down\"", "KEEP_CHARGING"]),
        ("InvalidParameter.InstanceImageNotSupport", "SyncImages",
         ["SyncImages does not take instance images", "remove data_disk_ids", "remove copy_to_regions"]),
        ("UnsupportedRegion", "DescribeImages",
         ["the API does not serve DescribeImages in ap-guangzhou", "`tencentcloud:region`"]),
    ],
)
def test_each_newly_translated_code_names_the_image_and_the_fix(code, action, fragments):
    assert not is_transient(TencentCloudSDKException(code, "", "req-1"))
    full = message(code, action)
    assert full.startswith(f"{action} for image 'web-base' (img-abcd1234) in ap-guangzhou failed with {code}: ")
    detail = detail_of(full, code)
    for fragment in fragments:
        assert fragment in detail


def test_a_region_code_names_the_regions_the_copy_was_asked_for():
    error = TencentCloudSDKException("InvalidRegion.Unavailable", "", "req-1")
    error.destinations = ("ap-shanghai", "ap-shenzhen-fsi")
    detail = detail_of(str(translate(error, "SyncImages", REF)), "InvalidRegion.Unavailable")
    assert detail.startswith("one of ap-shanghai, ap-shenzhen-fsi takes no image copies")


def test_the_api_message_is_quoted_only_when_there_is_one():
    quiet = TencentCloudSDKException("InvalidRegion.Unavailable", "", "req-1")
    said = TencentCloudSDKException("InvalidRegion.Unavailable", "Region `ap-x` does not support it.", "req-1")
    assert "the API says" not in str(translate(quiet, "SyncImages", REF))
    assert "(the API says: Region `ap-x` does not support it)" in str(translate(said, "SyncImages", REF))
