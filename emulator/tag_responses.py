"""The Tag API (2018-08-13) for CVM images and instances: parameter lists, checks, handlers."""

import hashlib
from typing import Any

from .backend import CvmBackend
from .errors import ApiError, invalid
from .params import INT, STR, Action, Obj, Params
from .tags import Failure, Tag

API_VERSION = "2018-08-13"
MAX_RESOURCES_PER_REQUEST = 10  # ResourceList.N, N 0-9
MAX_TAGS_PER_REQUEST = 10  # Tags.N / TagKeys.N / ReplaceTags / DeleteTags, N 0-9
MAX_DESCRIBED_RESOURCES = 50

TAG = Obj({"TagKey": STR, "TagValue": STR}, required=("TagKey", "TagValue"), ignored=("Category",))
TAG_KEY = Obj({"TagKey": STR}, required=("TagKey",))


def _tags(items: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"Key": item["TagKey"], "Value": item["TagValue"]} for item in items]


def _count(items: list[Any], name: str, maximum: int, code: str) -> None:
    if not items:
        raise ApiError("InvalidParameter.Tag" if "Tag" in name else "InvalidParameter", f"`{name}` must not be empty.")
    if len(items) > maximum:
        raise ApiError(code, f"`{name}` takes at most {maximum} items.")


def _failed_resources(failures: list[Failure]) -> list[dict[str, str]]:
    return [{"Resource": resource, "Code": error.code, "Message": error.message} for resource, error in failures]


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _tag_row(resource_id: str, tag: Tag, service: str) -> dict[str, str]:
    return {
        "TagKey": tag["Key"], "TagValue": tag["Value"], "ResourceId": resource_id, "TagKeyMd5": _md5(tag["Key"]),
        "TagValueMd5": _md5(tag["Value"]), "ServiceType": service, "Category": "Custom",
    }


def tag_resources(backend: CvmBackend, region: str, params: Params) -> Params:
    _count(params["ResourceList"], "ResourceList", MAX_RESOURCES_PER_REQUEST, "LimitExceeded.ResourceNumPerRequest")
    _count(params["Tags"], "Tags", MAX_TAGS_PER_REQUEST, "LimitExceeded.TagNumPerRequest")
    return {"FailedResources": _failed_resources(backend.tag_resources(params["ResourceList"], _tags(params["Tags"])))}


def untag_resources(backend: CvmBackend, region: str, params: Params) -> Params:
    _count(params["ResourceList"], "ResourceList", MAX_RESOURCES_PER_REQUEST, "LimitExceeded.ResourceNumPerRequest")
    _count(params["TagKeys"], "TagKeys", MAX_TAGS_PER_REQUEST, "LimitExceeded.TagNumPerRequest")
    return {"FailedResources": _failed_resources(backend.untag_resources(params["ResourceList"], params["TagKeys"]))}


def modify_resource_tags(backend: CvmBackend, region: str, params: Params) -> Params:
    if "ReplaceTags" not in params and "DeleteTags" not in params:
        raise ApiError("MissingParameter", "Give `ReplaceTags`, `DeleteTags` or both.")
    for name in ("ReplaceTags", "DeleteTags"):
        if name in params:
            _count(params[name], name, MAX_TAGS_PER_REQUEST, "LimitExceeded.TagNumPerRequest")
    delete = [item["TagKey"] for item in params.get("DeleteTags", [])]
    backend.modify_resource_tags(params["Resource"], _tags(params.get("ReplaceTags", [])), delete)
    return {}


def describe_resource_tags_by_resource_ids(backend: CvmBackend, region: str, params: Params) -> Params:
    ids = params["ResourceIds"]
    if not 1 <= len(ids) <= MAX_DESCRIBED_RESOURCES:
        raise invalid("ResourceIds", f"between 1 and {MAX_DESCRIBED_RESOURCES} ids")
    offset, limit = params.get("Offset", 0), params.get("Limit", 15)
    if not 1 <= limit <= 100:
        raise invalid("Limit", "an integer from 1 to 100")
    if offset < 0 or offset % limit:
        raise ApiError("InvalidParameterValue.OffsetInvalid", "`Offset` must be a non-negative multiple of `Limit`.")
    service = params["ServiceType"]
    tags = backend.resource_tags(
        service, params["ResourcePrefix"], ids, params.get("ResourceRegion", ""), params.get("Category", "All")
    )
    rows = [_tag_row(resource_id, tag, service) for resource_id, tag in tags]
    return {"TotalCount": len(rows), "Offset": offset, "Limit": limit, "Tags": rows[offset:offset + limit]}


ACTIONS: dict[str, Action] = {
    "TagResources": Action(tag_resources, Obj(
        {"ResourceList": [STR], "Tags": [TAG]}, required=("ResourceList", "Tags"))),
    "UnTagResources": Action(untag_resources, Obj(
        {"ResourceList": [STR], "TagKeys": [STR]}, required=("ResourceList", "TagKeys"))),
    "ModifyResourceTags": Action(modify_resource_tags, Obj(
        {"Resource": STR, "ReplaceTags": [TAG], "DeleteTags": [TAG_KEY]}, required=("Resource",))),
    "DescribeResourceTagsByResourceIds": Action(describe_resource_tags_by_resource_ids, Obj({
        "ServiceType": STR, "ResourcePrefix": STR, "ResourceIds": [STR], "ResourceRegion": STR, "Offset": INT,
        "Limit": INT, "Category": STR,
    }, required=("ServiceType", "ResourcePrefix", "ResourceIds")), mutating=False),
}
