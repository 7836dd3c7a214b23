"""The Tag API (2018-08-13) on the emulator's port, driven through the official TagClient and its models."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.cvm.v20170312.cvm_client import CvmClient
from tencentcloud.tag.v20180813 import models
from tencentcloud.tag.v20180813.tag_client import TagClient

ErrorCode = Callable[[Callable[[], Any]], str]
STOPPED = "ins-emu00001"


def _resource(resource_id: str, prefix: str = "image", uin: str = "") -> str:
    return f"qcs::cvm:ap-guangzhou:uin/{uin}:{prefix}/{resource_id}"


def _tag(client: TagClient, action: str, **fields: Any) -> Any:
    request = getattr(models, f"{action}Request")()
    request.from_json_string(json.dumps(fields))
    return getattr(client, action)(request)


def _tags(**pairs: str) -> list[dict[str, str]]:
    return [{"TagKey": key, "TagValue": value} for key, value in pairs.items()]


def _read(client: TagClient, *image_ids: str, **fields: Any) -> models.DescribeResourceTagsByResourceIdsResponse:
    return _tag(client, "DescribeResourceTagsByResourceIds", ServiceType="cvm", ResourcePrefix="image",
                ResourceIds=list(image_ids), ResourceRegion="ap-guangzhou", **fields)


def _bound(client: TagClient, image_id: str) -> dict[str, str]:
    return {row.TagKey: row.TagValue for row in _read(client, image_id, Limit=100).Tags}


@pytest.fixture
def image_id(emulator: Any, no_lag: Any, cvm_client: CvmClient) -> str:
    return cvm_client.call_json("CreateImage", {"InstanceId": STOPPED, "ImageName": "tagged"})["Response"]["ImageId"]


def test_set_remove_and_read_an_images_tags(
    emulator: Any, tag_client: TagClient, image_id: str, image_of: Callable
) -> None:
    answer = _tag(tag_client, "TagResources", ResourceList=[_resource(image_id)], Tags=_tags(team="web", env="prod"))
    assert answer.FailedResources == [] and answer.RequestId
    assert _bound(tag_client, image_id) == {"team": "web", "env": "prod"}
    assert image_of(image_id)["Tags"] == [{"Key": "team", "Value": "web"}, {"Key": "env", "Value": "prod"}]
    _tag(tag_client, "TagResources", ResourceList=[_resource(image_id, uin="100000000001")], Tags=_tags(team="api"))
    assert _bound(tag_client, image_id) == {"team": "api", "env": "prod"}  # one value per key: overwritten
    assert _tag(tag_client, "UnTagResources", ResourceList=[_resource(image_id)], TagKeys=["env", "absent"]
                ).FailedResources == []
    assert _bound(tag_client, image_id) == {"team": "api"}
    _tag(tag_client, "ModifyResourceTags", Resource=_resource(image_id), ReplaceTags=_tags(owner="ops", team="web"))
    assert _bound(tag_client, image_id) == {"team": "web", "owner": "ops"}
    _tag(tag_client, "ModifyResourceTags", Resource=_resource(image_id), DeleteTags=[{"TagKey": "team"}])
    assert image_of(image_id)["Tags"] == [{"Key": "owner", "Value": "ops"}]
    assert emulator.control.state()["images"][0]["Tags"] == [{"Key": "owner", "Value": "ops"}]


def test_describe_resource_tags_answer_shape_and_paging(
    emulator: Any, tag_client: TagClient, image_id: str, error_code: ErrorCode
) -> None:
    _tag(tag_client, "TagResources", ResourceList=[_resource(image_id)], Tags=_tags(a="1", b="2", c="3"))
    page = _read(tag_client, image_id, "img-zzzzzzzz", Offset=2, Limit=2)
    assert (page.TotalCount, page.Offset, page.Limit) == (3, 2, 2)
    row = page.Tags[0]
    assert (row.TagKey, row.TagValue, row.ResourceId, row.ServiceType, row.Category) == ("c", "3", image_id, "cvm",
                                                                                        "Custom")
    assert len(row.TagKeyMd5) == 32 and len(row.TagValueMd5) == 32
    assert _read(tag_client, image_id).Limit == 15  # the default page
    assert error_code(lambda: _read(tag_client, image_id, Offset=1, Limit=2)) == "InvalidParameterValue.OffsetInvalid"

    def read(**fields: Any) -> str:
        base = {"ServiceType": "cvm", "ResourcePrefix": "image", "ResourceIds": [image_id],
                "ResourceRegion": "ap-guangzhou"}
        return error_code(lambda: _tag(tag_client, "DescribeResourceTagsByResourceIds", **{**base, **fields}))

    assert read(ServiceType="cbs") == "InvalidParameterValue.ServiceTypeInvalid"
    assert read(ResourcePrefix="volume") == "InvalidParameterValue.ResourcePrefixInvalid"
    assert read(ResourceRegion="mars-1") == "InvalidParameterValue.RegionInvalid"


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("bad#key", "v", "InvalidParameterValue.TagKeyCharacterIllegal"),
        (" padded", "v", "InvalidParameterValue.TagKeyCharacterIllegal"),
        ("k" * 128, "v", "InvalidParameterValue.TagKeyLengthExceeded"),
        ("", "v", "InvalidParameterValue.TagKeyEmpty"),
        ("qcloud:owner", "v", "InvalidParameterValue.ReservedTagKey"),
        ("Tencent-team", "v", "InvalidParameterValue.ReservedTagKey"),
        ("project", "v", "InvalidParameterValue.ReservedTagKey"),
        ("team", "web!", "InvalidParameterValue.TagValueCharacterIllegal"),
        ("team", "v" * 256, "InvalidParameterValue.TagValueLengthExceeded"),
        ("team", "", "InvalidParameterValue.TagValueEmpty"),
    ],
)
def test_tag_rules(
    emulator: Any, tag_client: TagClient, image_id: str, error_code: ErrorCode, key: str, value: str, code: str
) -> None:
    tags = [{"TagKey": key, "TagValue": value}]
    assert error_code(lambda: _tag(tag_client, "TagResources", ResourceList=[_resource(image_id)], Tags=tags)) == code
    assert error_code(lambda: _tag(tag_client, "ModifyResourceTags", Resource=_resource(image_id), ReplaceTags=tags)
                      ) == code
    assert _bound(tag_client, image_id) == {}


def test_what_the_rules_allow(emulator: Any, tag_client: TagClient, image_id: str) -> None:
    allowed = {
        "k" * 127: "v" * 255,
        "团队 name+-=._:/@()[],;><": "网站 v+-=._:/@()[],;><【】（）：",
        "pulumi-cvm-image:instance-id": STOPPED,
    }
    _tag(tag_client, "TagResources", ResourceList=[_resource(image_id)], Tags=_tags(**allowed))
    assert _bound(tag_client, image_id) == allowed


def test_limits_per_request_and_per_resource(
    emulator: Any, tag_client: TagClient, image_id: str, error_code: ErrorCode
) -> None:
    eleven = _tags(**{f"k{i}": "v" for i in range(11)})
    assert error_code(lambda: _tag(tag_client, "TagResources", ResourceList=[_resource(image_id)], Tags=eleven)) == (
        "LimitExceeded.TagNumPerRequest")
    many = [_resource(image_id)] * 11
    assert error_code(lambda: _tag(tag_client, "TagResources", ResourceList=many, Tags=_tags(a="1"))) == (
        "LimitExceeded.ResourceNumPerRequest")
    assert error_code(lambda: _tag(tag_client, "TagResources", ResourceList=[_resource(image_id)],
                                   Tags=_tags(a="1") * 2)) == "InvalidParameterValue.TagKeyDuplicate"
    for batch in range(5):
        _tag(tag_client, "TagResources", ResourceList=[_resource(image_id)],
             Tags=_tags(**{f"k{batch}-{i}": "v" for i in range(10)}))
    assert len(_bound(tag_client, image_id)) == 50
    failed = _tag(tag_client, "TagResources", ResourceList=[_resource(image_id)], Tags=_tags(one="more")
                  ).FailedResources
    assert [(f.Resource, f.Code) for f in failed] == [(_resource(image_id), "LimitExceeded.ResourceAttachedTags")]
    assert error_code(lambda: _tag(tag_client, "ModifyResourceTags", Resource=_resource(image_id),
                                   ReplaceTags=_tags(one="more"))) == "LimitExceeded.ResourceAttachedTags"
    _tag(tag_client, "ModifyResourceTags", Resource=_resource(image_id), ReplaceTags=_tags(one="more"),
         DeleteTags=[{"TagKey": "k0-0"}])  # replacing one keeps it at 50
    assert len(_bound(tag_client, image_id)) == 50 and _bound(tag_client, image_id)["one"] == "more"


def test_resources_that_cannot_be_tagged(
    emulator: Any, tag_client: TagClient, image_id: str, error_code: ErrorCode
) -> None:
    missing = _resource("img-zzzzzzzz")
    failed = _tag(tag_client, "TagResources", ResourceList=[missing, _resource(image_id)], Tags=_tags(a="1")
                  ).FailedResources
    assert [(f.Resource, f.Code) for f in failed] == [(missing, "InvalidParameterValue.ResourceIdInvalid")]
    assert _bound(tag_client, image_id) == {"a": "1"}  # the others are tagged
    assert [f.Code for f in _tag(tag_client, "UnTagResources", ResourceList=[missing], TagKeys=["a"]
                                 ).FailedResources] == ["InvalidParameterValue.ResourceIdInvalid"]
    assert error_code(lambda: _tag(tag_client, "ModifyResourceTags", Resource=missing, ReplaceTags=_tags(a="1"))) == (
        "InvalidParameterValue.ResourceIdInvalid")

    def tag(resource: str) -> str:
        return error_code(lambda: _tag(tag_client, "TagResources", ResourceList=[resource], Tags=_tags(a="1")))

    assert tag(f"img/{image_id}") == "InvalidParameterValue.ResourceDescriptionError"
    assert tag(f"qcs::cbs:ap-guangzhou:uin/:volume/{image_id}") == "InvalidParameter.UnsupportedService"
    assert tag(_resource(image_id, uin="200000000002")) == "InvalidParameterValue.UinInvalid"
    assert tag(f"qcs::cvm:mars-1:uin/:image/{image_id}") == "InvalidParameterValue.RegionInvalid"
    assert tag(_resource(image_id, prefix="snapshot")) == "InvalidParameterValue.ResourcePrefixInvalid"


def test_modify_resource_tags_parameter_rules(
    emulator: Any, tag_client: TagClient, image_id: str, error_code: ErrorCode
) -> None:
    def modify(**fields: Any) -> str:
        return error_code(lambda: _tag(tag_client, "ModifyResourceTags", Resource=_resource(image_id), **fields))

    both = {"ReplaceTags": _tags(a="1"), "DeleteTags": [{"TagKey": "a"}]}
    assert modify(**both) == "InvalidParameterValue.DeleteTagsParamError"
    assert modify() == "MissingParameter"
    assert modify(ReplaceTags=[]) == "InvalidParameter.Tag"


def test_instances_can_be_tagged_too(emulator: Any, tag_client: TagClient, instance_of: Callable) -> None:
    _tag(tag_client, "TagResources", ResourceList=[_resource(STOPPED, prefix="instance")], Tags=_tags(role="builder"))
    assert instance_of(STOPPED)["Tags"] == [{"Key": "role", "Value": "builder"}]
