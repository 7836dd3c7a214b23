"""Auto Scaling beside CVM and the Tag API on one port: chosen by the signed service; faults, denials and the request
log apply to it."""

from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.autoscaling.v20180419.autoscaling_client import AutoscalingClient
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from tests.emulator.test_emulator_services import _signed

ErrorCode = Callable[[Callable[[], Any]], str]
CONFIG = {"LaunchConfigurationName": "web", "ImageId": "img-9id7emv7", "InstanceType": "S5.SMALL1"}
AS_VERSION = "2018-04-19"


def _configs(client: AutoscalingClient) -> list[str]:
    answer = client.call_json("DescribeLaunchConfigurations", {})["Response"]
    return [config["LaunchConfigurationName"] for config in answer["LaunchConfigurationSet"]]


def test_a_request_signed_for_as_reaches_auto_scaling(emulator: Any) -> None:
    answer = _signed(emulator, "as", "DescribeLaunchConfigurations", AS_VERSION, "as.tencentcloudapi.com")
    assert answer["TotalCount"] == 0, answer
    # An AS action signed for cvm: the version is cvm's to check first, then the action is not one of cvm's.
    assert _signed(emulator, "cvm", "DescribeLaunchConfigurations", AS_VERSION, emulator.endpoint)["Error"][
        "Code"] == "NoSuchVersion"
    assert _signed(emulator, "cvm", "DescribeLaunchConfigurations", "2017-03-12", emulator.endpoint)["Error"][
        "Code"] == "InvalidAction"
    assert _signed(emulator, "as", "DescribeImages", AS_VERSION, emulator.endpoint)["Error"]["Code"] == (
        "InvalidAction")  # a CVM action signed for as
    assert _signed(emulator, "as", "CreateAutoScalingGroup", AS_VERSION, emulator.endpoint)["Error"]["Code"] == (
        "InvalidAction")  # an AS action the emulator does not serve
    assert _signed(emulator, "as", "DescribeLaunchConfigurations", "2017-03-12", emulator.endpoint)["Error"][
        "Code"] == "NoSuchVersion"
    assert _signed(emulator, "as", "DescribeLaunchConfigurations", AS_VERSION, emulator.endpoint, region="")[
        "Error"]["Code"] == "MissingParameter"  # AS is regional
    assert _signed(emulator, "as", "DescribeLaunchConfigurations", AS_VERSION, "cvm.tencentcloudapi.com")[
        "Error"]["Code"] == "AuthFailure.SignatureFailure"


def test_configurations_are_per_region(
    emulator: Any, as_client: AutoscalingClient, region_client: Callable[[str], CvmClient]
) -> None:
    as_client.call_json("CreateLaunchConfiguration", CONFIG)
    as_client.region = "ap-shanghai"
    assert _configs(as_client) == []
    as_client.call_json("CreateLaunchConfiguration", CONFIG)  # the name is free in another region
    assert _configs(as_client) == ["web"]
    assert sorted(c["Region"] for c in emulator.control.state()["launch_configurations"]) == [
        "ap-guangzhou", "ap-shanghai"]


def test_the_request_log_records_the_as_service(emulator: Any, as_client: AutoscalingClient) -> None:
    emulator.control.clear_requests()
    _configs(as_client)
    [entry] = emulator.control.requests()
    assert (entry["service"], entry["action"], entry["region"]) == ("as", "DescribeLaunchConfigurations", "ap-guangzhou")


@pytest.mark.parametrize(("kind", "code"), [("throttle", "RequestLimitExceeded"), ("http_500", "ServerNetworkError")])
def test_faults_apply_to_auto_scaling(
    emulator: Any, as_client: AutoscalingClient, error_code: ErrorCode, kind: str, code: str
) -> None:
    emulator.control.set_faults([{"action": "CreateLaunchConfiguration", "kind": kind, "count": 1}])
    assert error_code(lambda: as_client.call_json("CreateLaunchConfiguration", CONFIG)) == code
    assert _configs(as_client) == []
    as_client.call_json("CreateLaunchConfiguration", CONFIG)
    assert _configs(as_client) == ["web"]


def test_a_lost_answer_still_creates_the_configuration(
    emulator: Any, as_client: AutoscalingClient, error_code: ErrorCode
) -> None:
    emulator.control.set_faults([{"action": "CreateLaunchConfiguration", "kind": "lose_response", "count": 1}])
    assert error_code(lambda: as_client.call_json("CreateLaunchConfiguration", CONFIG)) == "ClientNetworkError"
    assert error_code(lambda: as_client.call_json("CreateLaunchConfiguration", CONFIG)) == (
        "InvalidParameterValue.LaunchConfigurationNameDuplicated")


@pytest.mark.parametrize("denied", ["as:*", "as:DescribeLaunchConfigurations", "DescribeLaunchConfigurations", "*"])
def test_permission_denials_apply_to_auto_scaling(
    emulator: Any, as_client: AutoscalingClient, cvm_client: CvmClient, error_code: ErrorCode, denied: str
) -> None:
    emulator.control.deny(denied)
    assert error_code(lambda: _configs(as_client)) == "AuthFailure.UnauthorizedOperation"
    if denied.startswith("as:"):
        assert cvm_client.call_json("DescribeLaunchTemplates", {})["Response"]["TotalCount"] == 0


def test_cvm_denials_do_not_reach_auto_scaling(emulator: Any, as_client: AutoscalingClient) -> None:
    emulator.control.deny("cvm:*", "cvm:DescribeLaunchConfigurations")
    assert _configs(as_client) == []
