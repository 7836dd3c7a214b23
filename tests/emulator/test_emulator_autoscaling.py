"""Auto Scaling launch configurations (AS 2018-04-19), driven through the official AS client."""

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.autoscaling.v20180419 import models
from tencentcloud.autoscaling.v20180419.autoscaling_client import AutoscalingClient
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from tests.emulator.sdk import call as cvm_call

ErrorCode = Callable[[Callable[[], Any]], str]
PUBLIC = "img-9id7emv7"


def call(client: AutoscalingClient, action: str, **fields: Any) -> Any:
    """The action through the AS SDK's own request and response models."""
    request = getattr(models, f"{action}Request")()
    request.from_json_string(json.dumps(fields))
    return getattr(client, action)(request)


def _create(client: AutoscalingClient, name: str = "web", **fields: Any) -> str:
    fields = {"ImageId": PUBLIC, "InstanceType": "S5.SMALL1", **fields}
    return call(client, "CreateLaunchConfiguration", LaunchConfigurationName=name, **fields).LaunchConfigurationId


def _describe(client: AutoscalingClient, **fields: Any) -> Any:
    return call(client, "DescribeLaunchConfigurations", **fields)


def _ids(client: AutoscalingClient, **fields: Any) -> list[str]:
    return [config.LaunchConfigurationId for config in _describe(client, **fields).LaunchConfigurationSet]


def test_a_configuration_keeps_its_image_and_what_it_was_made_with(
    emulator: Any, as_client: AutoscalingClient, golden: str
) -> None:
    config_id = _create(as_client, ImageId=golden, InstanceTypes=["S5.SMALL1", "S5.MEDIUM2"], InstanceType=None,
                        SystemDisk={"DiskType": "CLOUD_SSD", "DiskSize": 60}, UserData="ZWNobw==",
                        Tags=[{"Key": "team", "Value": "web"}], LoginSettings={"KeyIds": ["skey-1"]})
    assert re.fullmatch(r"asc-[a-z0-9]{8}", config_id)
    config = _describe(as_client).LaunchConfigurationSet[0]
    assert (config.LaunchConfigurationId, config.LaunchConfigurationName, config.ImageId) == (config_id, "web", golden)
    assert (config.InstanceType, config.InstanceTypes) == ("S5.SMALL1", ["S5.SMALL1", "S5.MEDIUM2"])
    assert (config.SystemDisk.DiskType, config.SystemDisk.DiskSize, config.UserData) == ("CLOUD_SSD", 60, "ZWNobw==")
    assert [(tag.Key, tag.Value, tag.ResourceType) for tag in config.Tags] == [("team", "web", "launch-configuration")]
    assert (config.LaunchConfigurationStatus, config.AutoScalingGroupAbstractSet) == ("NORMAL", [])
    assert config.LoginSettings is None  # accepted, not kept


def test_a_configuration_may_name_an_image_family(emulator: Any, as_client: AutoscalingClient) -> None:
    _create(as_client, ImageId=None, ImageFamily="web")
    config = _describe(as_client).LaunchConfigurationSet[0]
    assert (config.ImageId, config.ImageFamily) == (None, "web")


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"ImageId": None}, "InvalidParameter.MustOneParameter"),
        ({"ImageFamily": "web"}, "InvalidParameter.Conflict"),
        ({"InstanceType": None}, "InvalidParameter.MustOneParameter"),
        ({"InstanceTypes": ["S5.SMALL1"]}, "InvalidParameter.Conflict"),
        ({"InstanceType": None, "InstanceTypes": [f"S5.T{n}" for n in range(11)]},
         "InvalidParameterValue.LimitExceeded"),
        ({"Tags": [{"Key": f"k{n}", "Value": "v"} for n in range(31)]}, "InvalidParameterValue.LimitExceeded"),
        ({"ImageId": "img-bad"}, "InvalidParameterValue.InvalidImageId"),
        ({"ImageId": "img-zzzzzzzz"}, "InvalidParameterValue.ImageNotFound"),
        ({"LaunchConfigurationName": ""}, "InvalidParameterValue.TooShort"),
        ({"LaunchConfigurationName": "名" * 21}, "InvalidParameterValue.TooLong"),  # 63 bytes
        ({"LaunchConfigurationName": "web server"}, "InvalidParameterValue"),
        ({"LaunchConfigurationName": None}, "MissingParameter"),
        ({"LaunchTemplateId": "lt-12345678"}, "UnknownParameter"),
    ],
)
def test_create_launch_configuration_rejections(
    emulator: Any, as_client: AutoscalingClient, error_code: ErrorCode, fields: dict[str, Any], code: str
) -> None:
    request = {"LaunchConfigurationName": "web", "ImageId": PUBLIC, "InstanceType": "S5.SMALL1", **fields}
    request = {name: value for name, value in request.items() if value is not None}
    assert error_code(lambda: as_client.call_json("CreateLaunchConfiguration", request)) == code
    assert emulator.control.state()["launch_configurations"] == []


def test_a_configuration_needs_a_normal_image(
    emulator: Any, no_lag: Any, cvm_client: CvmClient, as_client: AutoscalingClient, error_code: ErrorCode
) -> None:
    emulator.control.set_config(image_build_seconds=30)
    building = cvm_call(cvm_client, "CreateImage", InstanceId="ins-emu00001", ImageName="building").ImageId
    assert error_code(lambda: _create(as_client, ImageId=building)) == "InvalidParameterValue.InvalidImageId"


def test_names_are_unique_and_fifty_a_region(
    emulator: Any, as_client: AutoscalingClient, error_code: ErrorCode
) -> None:
    _create(as_client, name="web.1_a-中文")
    assert error_code(lambda: _create(as_client, name="web.1_a-中文")) == (
        "InvalidParameterValue.LaunchConfigurationNameDuplicated")
    for number in range(49):
        _create(as_client, name=f"web-{number}")
    assert error_code(lambda: _create(as_client, name="one-too-many")) == (
        "LimitExceeded.LaunchConfigurationQuotaNotEnough")
    assert _describe(as_client).TotalCount == 50


def test_describe_launch_configurations_selects_filters_and_pages(
    emulator: Any, as_client: AutoscalingClient, error_code: ErrorCode
) -> None:
    web = _create(as_client, name="Web-Front", Tags=[{"Key": "team", "Value": "web"}])
    api = _create(as_client, name="api")
    batch = _create(as_client, name="batch-web")
    assert _ids(as_client) == [web, api, batch]
    assert _ids(as_client, LaunchConfigurationIds=[batch, "asc-zzzzzzzz"]) == [batch]
    for name, value, expected in (
        ("launch-configuration-id", api, [api]), ("launch-configuration-name", "api", [api]),
        ("launch-configuration-name", "web", []), ("vague-launch-configuration-name", "WEB", [web, batch]),
        ("tag-key", "team", [web]), ("tag-value", "web", [web]), ("tag:team", "web", [web]),
    ):
        assert _ids(as_client, Filters=[{"Name": name, "Values": [value]}]) == expected, name
    page = _describe(as_client, Offset=1, Limit=1)
    assert (page.TotalCount, [c.LaunchConfigurationId for c in page.LaunchConfigurationSet]) == (3, [api])

    def code(**fields: Any) -> str:
        return error_code(lambda: _describe(as_client, **fields))

    assert code(Filters=[{"Name": "image-id", "Values": [PUBLIC]}]) == "InvalidParameterValue.InvalidFilter"
    assert code(LaunchConfigurationIds=[web], Filters=[{"Name": "tag-key", "Values": ["team"]}]) == (
        "InvalidParameterConflict")
    assert code(Filters=[{"Name": "tag-key", "Values": ["a", "b", "c", "d", "e", "f"]}]) == (
        "LimitExceeded.FilterValuesTooLong")
    assert code(Filters=[{"Name": "tag-key", "Values": ["a"]}] * 11) == "InvalidParameterValue.TooLong"
    assert code(LaunchConfigurationIds=[f"asc-{n:08d}" for n in range(101)]) == "InvalidParameterValue.TooLong"
    assert code(LaunchConfigurationIds=["asc-bad"]) == "InvalidParameterValue.InvalidLaunchConfigurationId"
    assert code(Limit=101) == "InvalidParameterValue"


def test_limit_defaults_to_twenty(emulator: Any, as_client: AutoscalingClient) -> None:
    for number in range(21):
        _create(as_client, name=f"web-{number}")
    assert (_describe(as_client).TotalCount, len(_ids(as_client))) == (21, 20)


def test_delete_launch_configuration(emulator: Any, as_client: AutoscalingClient, error_code: ErrorCode) -> None:
    config_id = _create(as_client)
    call(as_client, "DeleteLaunchConfiguration", LaunchConfigurationId=config_id)
    assert _ids(as_client) == []
    for bad, code in (("asc-bad", "InvalidParameterValue.InvalidLaunchConfigurationId"),
                      (config_id, "ResourceNotFound.LaunchConfigurationIdNotFound")):
        assert error_code(lambda: call(as_client, "DeleteLaunchConfiguration", LaunchConfigurationId=bad)) == code
    _create(as_client)  # the name is free again
