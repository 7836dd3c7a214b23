"""Tags as the tag service (2018-08-13) keeps them: naming rules, six-segment resource names, and the Tag API
actions on CVM images and instances (a mixin of CvmBackend).

Rules (Tencent Cloud tag "Use Limits"): at most 50 tags a resource, one value per key; a key is 1-127 characters and
a value 1-255; letters, digits, CJK ideographs, inner spaces and `+ - = . _ : / @ ( ) [ ] , ; > <` (and the
full-width `（ ） 【 】 ：`); keys starting with `qcloud`, `tencent`, `project`, `qcs:` or `项目` are reserved.
"""

import re
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from .config import ACCOUNT_UIN, REGIONS
from .errors import ApiError

if TYPE_CHECKING:
    from .backend import Region

MAX_TAGS_PER_RESOURCE = 50
MAX_KEY_LENGTH, MAX_VALUE_LENGTH = 127, 255
RESERVED_KEY_PREFIXES = ("qcloud", "tencent", "project", "qcs:", "项目")
_ALLOWED = re.compile(r"^[A-Za-z0-9\u3400-\u4dbf\u4e00-\u9fff +\-=._:/@()\[\],;><（）【】：]*$")
RESOURCE = re.compile(
    r"^qcs::(?P<service>[a-z0-9]+):(?P<region>[a-z0-9-]*):uin/(?P<uin>[0-9]*):(?P<prefix>[a-z]+)/(?P<id>[A-Za-z0-9-]+)$"
)
PREFIXES = {"image": "images", "instance": "instances"}  # six-segment prefix -> Region attribute

Tag = dict[str, str]
Failure = tuple[str, ApiError]  # a resource of the request that was left unchanged, and why


def tag_violation(key: str, value: str) -> str | None:
    """What is wrong with this tag under the tag service's rules, or None: one of KeyEmpty, KeyReserved,
    KeyLengthExceeded, KeyCharacterIllegal, ValueEmpty, ValueLengthExceeded, ValueCharacterIllegal."""
    for part, text, maximum in (("Key", key, MAX_KEY_LENGTH), ("Value", value, MAX_VALUE_LENGTH)):
        if text == "":
            return f"{part}Empty"
        if part == "Key" and key.lower().startswith(RESERVED_KEY_PREFIXES):
            return "KeyReserved"
        if len(text) > maximum:
            return f"{part}LengthExceeded"
        if not _ALLOWED.match(text) or text != text.strip():
            return f"{part}CharacterIllegal"
    return None


# How the tag service names each violation.
TAG_SERVICE_CODES = {
    "KeyEmpty": "InvalidParameterValue.TagKeyEmpty",
    "KeyReserved": "InvalidParameterValue.ReservedTagKey",
    "KeyLengthExceeded": "InvalidParameterValue.TagKeyLengthExceeded",
    "KeyCharacterIllegal": "InvalidParameterValue.TagKeyCharacterIllegal",
    "ValueEmpty": "InvalidParameterValue.TagValueEmpty",
    "ValueLengthExceeded": "InvalidParameterValue.TagValueLengthExceeded",
    "ValueCharacterIllegal": "InvalidParameterValue.TagValueCharacterIllegal",
}


def check_tags(tags: list[Tag], codes: dict[str, str], duplicate_code: str) -> None:
    """Refuse the first tag that breaks a rule, and repeated keys, with the caller's error codes."""
    keys: set[str] = set()
    for tag in tags:
        violation = tag_violation(tag["Key"], tag["Value"])
        if violation is not None:
            raise ApiError(codes[violation], f"Tag `{tag['Key']}`: {violation} (see the tag naming rules).")
        if tag["Key"] in keys:
            raise ApiError(duplicate_code, f"Tag key `{tag['Key']}` is given twice.")
        keys.add(tag["Key"])


def check_keys(keys: list[str]) -> None:
    for key in keys:
        violation = tag_violation(key, "v")
        if violation is not None:
            raise ApiError(TAG_SERVICE_CODES[violation], f"Tag key `{key}`: {violation}.")
    if len(set(keys)) != len(keys):
        raise ApiError("InvalidParameterValue.TagKeyDuplicate", "A tag key is given twice.")


def merged(tags: list[Tag], replace: dict[str, str], delete: Collection[str] = frozenset()) -> list[Tag]:
    current = {tag["Key"]: tag["Value"] for tag in tags}
    current.update(replace)
    return [{"Key": key, "Value": value} for key, value in current.items() if key not in delete]


class TagActions:
    """TagResources, UnTagResources, ModifyResourceTags, DescribeResourceTagsByResourceIds."""

    # Provided by CvmBackend.
    region: Callable[[str], "Region"]

    def _resource_of(self, resource: str) -> tuple[str, str, str]:
        """(region, prefix, id) of a six-segment name; top-level errors for names the service cannot handle."""
        match = RESOURCE.match(resource)
        if match is None:
            raise ApiError("InvalidParameterValue.ResourceDescriptionError", f"`{resource}` is not a six-segment name.")
        if match["service"] != "cvm":
            raise ApiError("InvalidParameter.UnsupportedService", f"Service `{match['service']}` is not emulated.")
        if match["uin"] not in ("", ACCOUNT_UIN):
            raise ApiError("InvalidParameterValue.UinInvalid", f"`{resource}` belongs to another account.")
        if match["region"] not in REGIONS:
            raise ApiError("InvalidParameterValue.RegionInvalid", f"Region `{match['region']}` does not exist.")
        if match["prefix"] not in PREFIXES:
            raise ApiError("InvalidParameterValue.ResourcePrefixInvalid", f"Prefix `{match['prefix']}` is unknown.")
        return match["region"], match["prefix"], match["id"]

    def _tagged(self, region_name: str, prefix: str, resource_id: str) -> Any:
        """The image or instance, or None."""
        return getattr(self.region(region_name), PREFIXES[prefix]).get(resource_id)

    def _each_resource(self, resources: list[str], change: Callable[[Any], list[Tag]]) -> list[Failure]:
        """Apply `change` (returns the new tags) to every resource that exists; the resources it failed on."""
        targets = [(resource, self._resource_of(resource)) for resource in resources]
        failed = []
        for resource, (region_name, prefix, resource_id) in targets:
            target = self._tagged(region_name, prefix, resource_id)
            if target is None:
                failed.append((resource, ApiError(
                    "InvalidParameterValue.ResourceIdInvalid", f"Resource `{resource_id}` does not exist.")))
                continue
            tags = change(target)
            if len(tags) > MAX_TAGS_PER_RESOURCE:
                message = f"A resource can have at most {MAX_TAGS_PER_RESOURCE} tags."
                failed.append((resource, ApiError("LimitExceeded.ResourceAttachedTags", message)))
                continue
            target.tags = tags
        return failed

    def tag_resources(self, resources: list[str], tags: list[Tag]) -> list[Failure]:
        check_tags(tags, TAG_SERVICE_CODES, "InvalidParameterValue.TagKeyDuplicate")
        wanted = {tag["Key"]: tag["Value"] for tag in tags}
        return self._each_resource(resources, lambda target: merged(target.tags, wanted))

    def untag_resources(self, resources: list[str], keys: list[str]) -> list[Failure]:
        check_keys(keys)
        return self._each_resource(resources, lambda target: merged(target.tags, {}, set(keys)))

    def modify_resource_tags(self, resource: str, replace: list[Tag], delete: list[str]) -> None:
        check_tags(replace, TAG_SERVICE_CODES, "InvalidParameterValue.TagKeyDuplicate")
        check_keys(delete)
        if {tag["Key"] for tag in replace} & set(delete):
            raise ApiError("InvalidParameterValue.DeleteTagsParamError", "A key is both in ReplaceTags and DeleteTags.")
        region_name, prefix, resource_id = self._resource_of(resource)
        target = self._tagged(region_name, prefix, resource_id)
        if target is None:
            raise ApiError("InvalidParameterValue.ResourceIdInvalid", f"Resource `{resource_id}` does not exist.")
        tags = merged(target.tags, {tag["Key"]: tag["Value"] for tag in replace}, set(delete))
        if len(tags) > MAX_TAGS_PER_RESOURCE:
            raise ApiError("LimitExceeded.ResourceAttachedTags", f"At most {MAX_TAGS_PER_RESOURCE} tags a resource.")
        target.tags = tags

    def resource_tags(
        self, service: str, prefix: str, resource_ids: list[str], region_name: str, category: str
    ) -> list[tuple[str, Tag]]:
        """Every bound tag of the named resources, as (resource id, tag), in the order asked (unknown ids have
        none)."""
        if service != "cvm":
            raise ApiError("InvalidParameterValue.ServiceTypeInvalid", f"ServiceType `{service}` is not emulated.")
        if prefix not in PREFIXES:
            raise ApiError("InvalidParameterValue.ResourcePrefixInvalid", f"ResourcePrefix `{prefix}` is not emulated.")
        if region_name not in REGIONS:
            raise ApiError("InvalidParameterValue.RegionInvalid", f"ResourceRegion `{region_name}` does not exist.")
        if category not in ("All", "Custom", "System"):
            raise ApiError("InvalidParameterValue", "`Category` must be Custom, System or All.")
        rows = []
        for resource_id in dict.fromkeys(resource_ids):
            target = self._tagged(region_name, prefix, resource_id)
            if target is None or category == "System":
                continue
            rows += [(resource_id, dict(tag)) for tag in target.tags]
        return rows
