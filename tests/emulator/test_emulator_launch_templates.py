"""CVM launch templates and their versions, driven through the official CVM client."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.cvm.v20170312.cvm_client import CvmClient

from tests.emulator.sdk import call

ErrorCode = Callable[[Callable[[], Any]], str]
PUBLIC = "img-9id7emv7"
ZONE = {"Zone": "ap-guangzhou-3"}


def _create(client: CvmClient, name: str = "web", image_id: str = PUBLIC, **fields: Any) -> str:
    return call(client, "CreateLaunchTemplate", LaunchTemplateName=name, Placement=ZONE, ImageId=image_id,
                **fields).LaunchTemplateId


def _version(client: CvmClient, template_id: str, **fields: Any) -> int:
    return call(client, "CreateLaunchTemplateVersion", LaunchTemplateId=template_id, Placement=ZONE,
                **fields).LaunchTemplateVersionNumber


def _versions(client: CvmClient, template_id: str, **fields: Any) -> Any:
    return call(client, "DescribeLaunchTemplateVersions", LaunchTemplateId=template_id, **fields)


def _templates(client: CvmClient, **fields: Any) -> Any:
    return call(client, "DescribeLaunchTemplates", **fields)


def test_a_template_starts_with_version_one_as_its_default(
    emulator: Any, cvm_client: CvmClient, golden: str
) -> None:
    template_id = _create(cvm_client, image_id=golden, InstanceType="S5.SMALL1",
                          LaunchTemplateVersionDescription="first", VirtualPrivateCloud={"VpcId": "vpc-1"})
    assert re.fullmatch(r"lt-[a-z0-9]{8}", template_id)
    info = _templates(cvm_client, LaunchTemplateIds=[template_id]).LaunchTemplateSet[0]
    assert (info.LaunchTemplateName, info.DefaultVersionNumber, info.LatestVersionNumber,
            info.LaunchTemplateVersionCount, info.CreatedBy) == ("web", 1, 1, 1, "100000000001")
    version = _versions(cvm_client, template_id).LaunchTemplateVersionSet[0]
    assert (version.LaunchTemplateVersion, version.IsDefaultVersion, version.LaunchTemplateVersionDescription) == (
        1, True, "first")
    data = version.LaunchTemplateVersionData
    assert (data.ImageId, data.InstanceType, data.Placement.Zone, data.InstanceCount) == (
        golden, "S5.SMALL1", "ap-guangzhou-3", 1)
    assert data.VirtualPrivateCloud is None  # accepted, not kept


def test_a_new_version_inherits_from_its_base_and_is_not_the_default(
    emulator: Any, cvm_client: CvmClient, golden: str
) -> None:
    template_id = _create(cvm_client, InstanceType="S5.SMALL1")
    assert _version(cvm_client, template_id, ImageId=golden) == 2
    assert _version(cvm_client, template_id, LaunchTemplateVersion=2, InstanceType="S5.LARGE8") == 3
    assert _version(cvm_client, template_id) == 4  # based on the default, version 1
    data = {v.LaunchTemplateVersion: v.LaunchTemplateVersionData for v in
            _versions(cvm_client, template_id).LaunchTemplateVersionSet}
    assert [(data[n].ImageId, data[n].InstanceType) for n in (1, 2, 3, 4)] == [
        (PUBLIC, "S5.SMALL1"), (golden, "S5.SMALL1"), (golden, "S5.LARGE8"), (PUBLIC, "S5.SMALL1")]
    info = _templates(cvm_client).LaunchTemplateSet[0]
    assert (info.DefaultVersionNumber, info.LatestVersionNumber, info.LaunchTemplateVersionCount) == (1, 4, 4)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"LaunchTemplateName": "w"}, "InvalidParameterValue.InvalidLaunchTemplateName"),
        ({"LaunchTemplateName": "w" * 129}, "InvalidParameterValue.InvalidLaunchTemplateName"),
        ({"LaunchTemplateVersionDescription": "d"}, "InvalidParameterValue.InvalidLaunchTemplateVersionDescription"),
        ({"Placement": {"Zone": "ap-shanghai-2"}}, "InvalidZone.MismatchRegion"),
        ({"ImageId": "img-bad"}, "InvalidImageId.Malformed"),
        ({"ImageId": "img-zzzzzzzz"}, "InvalidImageId.NotFound"),
        ({"ImageId": None}, "MissingParameter"),
        ({"Reboot": True}, "UnknownParameter"),
        ({"DryRun": True}, "DryRunOperation"),
    ],
)
def test_create_launch_template_rejections(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode, fields: dict[str, Any], code: str
) -> None:
    request = {"LaunchTemplateName": "web", "Placement": ZONE, "ImageId": PUBLIC, **fields}
    assert error_code(lambda: cvm_client.call_json("CreateLaunchTemplate", request)) == code
    assert emulator.control.state()["launch_templates"] == []


def test_a_template_needs_a_normal_image(
    emulator: Any, no_lag: Any, cvm_client: CvmClient, error_code: ErrorCode
) -> None:
    emulator.control.set_config(image_build_seconds=30)
    building = call(cvm_client, "CreateImage", InstanceId="ins-emu00001", ImageName="building").ImageId
    assert error_code(lambda: _create(cvm_client, image_id=building)) == "InvalidParameterValue.InvalidImageState"
    template_id = _create(cvm_client)
    assert error_code(lambda: _version(cvm_client, template_id, ImageId=building)) == (
        "InvalidParameterValue.InvalidImageState")


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"LaunchTemplateId": "lt-bad"}, "InvalidParameterValue.LaunchTemplateIdMalformed"),
        ({"LaunchTemplateId": "lt-zzzzzzzz"}, "InvalidParameterValue.LaunchTemplateNotFound"),
        ({"LaunchTemplateVersion": 5}, "InvalidParameterValue.LaunchTemplateIdVerNotExisted"),
        ({"LaunchTemplateVersion": 0}, "InvalidParameterValue.LaunchTemplateVersion"),
        ({"ImageId": "img-zzzzzzzz"}, "InvalidImageId.NotFound"),
        ({"Placement": None}, "MissingParameter"),
        ({"LaunchTemplateName": "renamed"}, "UnknownParameter"),
        ({"DryRun": True}, "DryRunOperation"),
    ],
)
def test_create_launch_template_version_rejections(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode, fields: dict[str, Any], code: str
) -> None:
    template_id = _create(cvm_client)
    request = {"LaunchTemplateId": template_id, "Placement": ZONE, **fields}
    assert error_code(lambda: cvm_client.call_json("CreateLaunchTemplateVersion", request)) == code
    assert _templates(cvm_client).LaunchTemplateSet[0].LaunchTemplateVersionCount == 1


def test_thirty_versions_at_most_and_numbers_are_never_reused(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode
) -> None:
    template_id = _create(cvm_client)

    def delete(number: int) -> None:
        call(cvm_client, "DeleteLaunchTemplateVersions", LaunchTemplateId=template_id, LaunchTemplateVersions=[number])

    assert [_version(cvm_client, template_id) for _ in range(3)] == [2, 3, 4]
    delete(4)
    assert [_version(cvm_client, template_id) for _ in range(26)] == list(range(5, 31))
    delete(30)
    assert error_code(lambda: _version(cvm_client, template_id)) == "LimitExceeded.LaunchTemplateVersionQuota"
    assert _templates(cvm_client).LaunchTemplateSet[0].LatestVersionNumber == 29


def test_thirty_templates_a_region(
    emulator: Any, cvm_client: CvmClient, region_client: Callable[[str], CvmClient], error_code: ErrorCode
) -> None:
    for number in range(30):
        _create(cvm_client, name=f"web-{number}")
    assert error_code(lambda: _create(cvm_client, name="one-too-many")) == "LimitExceeded.LaunchTemplateQuota"
    shanghai = region_client("ap-shanghai")
    assert call(shanghai, "CreateLaunchTemplate", LaunchTemplateName="elsewhere", Placement={"Zone": "ap-shanghai-2"},
                ImageId=PUBLIC).LaunchTemplateId
    assert _templates(cvm_client).TotalCount == 30 and _templates(shanghai).TotalCount == 1


def test_describe_launch_templates_selects_filters_and_pages(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode
) -> None:
    team = [{"ResourceType": "launch-template", "Tags": [{"Key": "team", "Value": "web"}]}]
    web = _create(cvm_client, name="web", LaunchTemplateTagSpecification=team)
    api = _create(cvm_client, name="api")
    batch = _create(cvm_client, name="web")  # names need not be unique

    def ids(**fields: Any) -> list[str]:
        return [t.LaunchTemplateId for t in _templates(cvm_client, **fields).LaunchTemplateSet]

    assert ids() == [web, api, batch]
    assert ids(LaunchTemplateIds=[batch, "lt-zzzzzzzz"]) == [batch]
    assert ids(Filters=[{"Name": "LaunchTemplateName", "Values": ["web"]}]) == [web, batch]
    for name, value in (("tag-key", "team"), ("tag-value", "web"), ("tag:team", "web")):
        assert ids(Filters=[{"Name": name, "Values": [value]}]) == [web], name
    page = _templates(cvm_client, Offset=1, Limit=1)
    assert (page.TotalCount, [t.LaunchTemplateId for t in page.LaunchTemplateSet]) == (3, [api])

    def code(**fields: Any) -> str:
        return error_code(lambda: _templates(cvm_client, **fields))

    assert code(Filters=[{"Name": "image-id", "Values": [PUBLIC]}]) == "InvalidFilter"  # not documented
    assert code(LaunchTemplateIds=[web], Filters=[{"Name": "tag-key", "Values": ["team"]}]) == "InvalidParameter"
    assert code(Filters=[{"Name": "tag-key", "Values": ["a", "b", "c", "d", "e", "f"]}]) == (
        "InvalidFilterValue.LimitExceeded")
    assert code(LaunchTemplateIds=["lt-bad"]) == "InvalidParameterValue.LaunchTemplateIdMalformed"
    assert code(Limit=101) == "InvalidParameterValue"


def test_describe_launch_template_versions_selects_and_pages(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode
) -> None:
    template_id = _create(cvm_client)
    for _ in range(4):
        _version(cvm_client, template_id)
    call(cvm_client, "ModifyLaunchTemplateDefaultVersion", LaunchTemplateId=template_id, DefaultVersion=3)

    def numbers(**fields: Any) -> list[int]:
        return [v.LaunchTemplateVersion for v in _versions(cvm_client, template_id, **fields).LaunchTemplateVersionSet]

    assert numbers() == [1, 2, 3, 4, 5]
    assert numbers(LaunchTemplateVersions=[4, 2]) == [2, 4]
    assert numbers(MinVersion=2, MaxVersion=3) == [2, 3]
    assert numbers(DefaultVersion=True) == [3]
    page = _versions(cvm_client, template_id, Offset=3, Limit=2)
    assert (page.TotalCount, [v.LaunchTemplateVersion for v in page.LaunchTemplateVersionSet]) == (5, [4, 5])

    def code(**fields: Any) -> str:
        return error_code(lambda: _versions(cvm_client, fields.pop("LaunchTemplateId", template_id), **fields))

    assert code(LaunchTemplateVersions=[2], Limit=5) == "InvalidParameterCombination"
    assert code(LaunchTemplateVersions=[9]) == "InvalidParameterValue.LaunchTemplateIdVerNotExisted"
    assert code(LaunchTemplateVersions=[0]) == "InvalidParameterValue.LaunchTemplateVersion"
    assert code(LaunchTemplateId="lt-zzzzzzzz") == "InvalidParameterValue.LaunchTemplateNotFound"
    assert code(Limit=0) == "InvalidParameterValue"


def test_the_default_version_moves_and_cannot_be_deleted(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode
) -> None:
    template_id = _create(cvm_client)
    _version(cvm_client, template_id)

    def modify(number: int) -> Any:
        return call(cvm_client, "ModifyLaunchTemplateDefaultVersion", LaunchTemplateId=template_id,
                    DefaultVersion=number)

    def delete(*numbers: int) -> Any:
        return call(cvm_client, "DeleteLaunchTemplateVersions", LaunchTemplateId=template_id,
                    LaunchTemplateVersions=list(numbers))

    assert error_code(lambda: modify(1)) == "InvalidParameterValue.LaunchTemplateIdVerSetAlready"
    assert error_code(lambda: modify(7)) == "InvalidParameterValue.LaunchTemplateIdVerNotExisted"
    assert error_code(lambda: delete(1)) == "InvalidParameterValue.LaunchTemplateDefaultVersion"
    modify(2)
    assert error_code(lambda: delete(1, 2)) == "InvalidParameterValue.LaunchTemplateDefaultVersion"
    assert error_code(lambda: delete(1, 8)) == "InvalidParameterValue.LaunchTemplateIdVerNotExisted"
    assert error_code(lambda: delete()) == "InvalidParameterValue"
    delete(1)
    versions = _versions(cvm_client, template_id).LaunchTemplateVersionSet
    assert [(v.LaunchTemplateVersion, v.IsDefaultVersion) for v in versions] == [(2, True)]


def test_delete_launch_template_deletes_every_version(
    emulator: Any, cvm_client: CvmClient, error_code: ErrorCode
) -> None:
    template_id = _create(cvm_client)
    _version(cvm_client, template_id)
    call(cvm_client, "DeleteLaunchTemplate", LaunchTemplateId=template_id)
    assert _templates(cvm_client, LaunchTemplateIds=[template_id]).TotalCount == 0
    assert error_code(lambda: _versions(cvm_client, template_id)) == "InvalidParameterValue.LaunchTemplateNotFound"
    for bad, code in (("lt-bad", "InvalidParameterValue.LaunchTemplateIdMalformed"),
                      (template_id, "InvalidParameterValue.LaunchTemplateNotFound")):
        assert error_code(lambda: call(cvm_client, "DeleteLaunchTemplate", LaunchTemplateId=bad)) == code
