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
