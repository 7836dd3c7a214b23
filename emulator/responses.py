"""The API surface: protocol checks, parameter parsing and validation, action -> handler."""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Union

from emulator.exceptions import ApiError
from emulator.models import (
    DEFAULT_IMAGE_ID, DISK_TYPES, REGIONS, CvmBackend, Filters, ImageRequest, LaunchRequest,
)

API_VERSION = "2017-03-12"
MAX_IMAGE_NAME = 60
MAX_IMAGE_DESCRIPTION = 256
MAX_FILTERS = 10
MAX_FILTER_VALUES = 5
MAX_PAGE = 100

STR, INT, BOOL, STRBOOL = "String", "Integer", "Boolean", "String boolean"


@dataclass(frozen=True)
class Obj:
    fields: Mapping[str, "Schema"]
    required: tuple[str, ...] = ()


Schema = Union[str, list, Obj]  # a scalar type name, [item schema], or an object
Params = dict[str, Any]

TAG = Obj({"Key": STR, "Value": STR}, required=("Key", "Value"))
TAG_SPECIFICATION = [Obj({"ResourceType": STR, "Tags": [TAG]}, required=("ResourceType", "Tags"))]
FILTERS = [Obj({"Name": STR, "Values": [STR]}, required=("Name", "Values"))]
DISK = Obj({"DiskType": STR, "DiskSize": INT, "DiskId": STR})


def _invalid(path: str, expected: str) -> ApiError:
    return ApiError("InvalidParameterValue", f"The value of parameter `{path}` is invalid: expected {expected}.")


def _scalar(value: Any, kind: str, path: str) -> Any:
    if kind == STR and isinstance(value, str):
        return value
    if kind == INT and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == BOOL and isinstance(value, bool):
        return value
    if kind in (BOOL, STRBOOL) and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _invalid(path, '"true" or "false"' if kind == STRBOOL else f"a {kind}")


def _object(value: Any, schema: Obj, path: str) -> Params:
    if not isinstance(value, dict):
        raise _invalid(path, "an object")
    prefix = f"{path}." if path else ""
    for key in value:
        if key not in schema.fields:
            raise ApiError("UnknownParameter", f"The parameter `{prefix}{key}` is not recognized.")
    for key in schema.required:
        if value.get(key) is None:
            raise ApiError("MissingParameter", f"The request is missing a required parameter `{prefix}{key}`.")
    return {key: parse(item, schema.fields[key], prefix + key) for key, item in value.items() if item is not None}


def parse(value: Any, schema: Schema, path: str = "") -> Any:
    """Check `value` against `schema` and return it with string booleans turned into bools."""
    if isinstance(schema, Obj):
        return _object(value, schema, path)
    if isinstance(schema, list):
        if not isinstance(value, list):
            raise _invalid(path, "an array")
        return [parse(item, schema[0], f"{path}.{index}") for index, item in enumerate(value)]
    return _scalar(value, schema, path)


# -- checks shared by handlers -----------------------------------------------------------------

def _check_length(params: Params, name: str, maximum: int) -> None:
    if len(params.get(name, "")) > maximum:
        raise ApiError("InvalidParameter.ValueTooLarge", f"`{name}` is longer than {maximum} characters.")


def _check_image_name(params: Params) -> None:
    if params.get("ImageName") == "" or ("ImageName" in params and not params["ImageName"].strip()):
        raise _invalid("ImageName", "a non-empty name")
    _check_length(params, "ImageName", MAX_IMAGE_NAME)
    _check_length(params, "ImageDescription", MAX_IMAGE_DESCRIPTION)


def _tags(params: Params, resource_type: str) -> list[dict[str, str]]:
    tags = []
    for index, spec in enumerate(params.get("TagSpecification", [])):
        if spec["ResourceType"] != resource_type:
            raise _invalid(f"TagSpecification.{index}.ResourceType", f'"{resource_type}"')
        tags += spec["Tags"]
    return tags


def _ids(params: Params, name: str) -> list[str]:
    ids = params[name]
    if not 1 <= len(ids) <= MAX_PAGE:
        raise _invalid(name, f"between 1 and {MAX_PAGE} ids")
    return ids


def _selection(params: Params, ids_name: str) -> tuple[list[str], Filters, int, int]:
    """Ids xor filters, and the page."""
    if ids_name in params and "Filters" in params:
        raise ApiError("InvalidParameterValue", f"`{ids_name}` and `Filters` cannot be given together.")
    filters = params.get("Filters", [])
    if len(filters) > MAX_FILTERS or any(len(item["Values"]) > MAX_FILTER_VALUES for item in filters):
        raise ApiError(
            "InvalidFilterValue.LimitExceeded", f"At most {MAX_FILTERS} filters of {MAX_FILTER_VALUES} values each."
        )
    offset, limit = params.get("Offset", 0), params.get("Limit", 20)
    if offset < 0:
        raise _invalid("Offset", "a non-negative integer")
    if not 1 <= limit <= MAX_PAGE:
        raise _invalid("Limit", f"an integer from 1 to {MAX_PAGE}")
    return params.get(ids_name, []), [(item["Name"], item["Values"]) for item in filters], offset, limit


def _disk(params: Params, path: str, default_size: int) -> dict[str, Any]:
    disk_type = params.get("DiskType", "CLOUD_PREMIUM")
    if disk_type not in DISK_TYPES:
        raise _invalid(f"{path}.DiskType", f"one of {list(DISK_TYPES)}")
    size = params.get("DiskSize", default_size)
    if not 10 <= size <= 32000:
        raise _invalid(f"{path}.DiskSize", "a size from 10 to 32000 GB")
    return {"DiskType": disk_type, "DiskSize": size}


# -- handlers ------------------------------------------------------------------------------------

def run_instances(backend: CvmBackend, region: str, params: Params) -> Params:
    count = params.get("InstanceCount", 1)
    if not 1 <= count <= MAX_PAGE:
        raise _invalid("InstanceCount", f"an integer from 1 to {MAX_PAGE}")
    launch = LaunchRequest(
        zone=params["Placement"]["Zone"], count=count, name=params.get("InstanceName", "Unnamed"),
        image_id=params.get("ImageId", DEFAULT_IMAGE_ID), instance_type=params.get("InstanceType", "S5.MEDIUM4"),
        system_disk=_disk(params.get("SystemDisk", {}), "SystemDisk", 50),
        data_disks=[_disk(disk, f"DataDisks.{i}", 100) for i, disk in enumerate(params.get("DataDisks", []))],
        tags=_tags(params, "instance"), dry_run=params.get("DryRun", False),
    )
    return {"InstanceIdSet": backend.run_instances(region, launch)}


def describe_instances(backend: CvmBackend, region: str, params: Params) -> Params:
    total, items = backend.describe_instances(region, *_selection(params, "InstanceIds"))
    return {"TotalCount": total, "InstanceSet": items}


def _power(action: str) -> Callable[[CvmBackend, str, Params], Params]:
    def handler(backend: CvmBackend, region: str, params: Params) -> Params:
        backend.change_power(region, action, _ids(params, "InstanceIds"))
        return {}
    return handler


def create_image(backend: CvmBackend, region: str, params: Params) -> Params:
    if "SnapshotIds" in params:
        raise ApiError("InvalidParameterValue", "`SnapshotIds` is not supported by the emulator; use `InstanceId`.")
    if "InstanceId" not in params:
        raise ApiError("MissingParameter", "The request is missing a required parameter `InstanceId`.")
    _check_image_name(params)
    request = ImageRequest(
        instance_id=params["InstanceId"], name=params["ImageName"],
        description=params.get("ImageDescription", ""), family=params.get("ImageFamily", ""),
        force_poweroff=params.get("ForcePoweroff", False), reboot=params.get("Reboot", True),
        data_disk_ids=params.get("DataDiskIds", []), tags=_tags(params, "image"), dry_run=params.get("DryRun", False),
    )
    image = backend.create_image(region, request)
    return {"ImageId": image.image_id} if backend.config.create_image_returns_image_id else {}


def describe_images(backend: CvmBackend, region: str, params: Params) -> Params:
    total, items = backend.describe_images(region, *_selection(params, "ImageIds"))
    return {"TotalCount": total, "ImageSet": items}


def modify_image_attribute(backend: CvmBackend, region: str, params: Params) -> Params:
    _check_image_name(params)
    changes = {key: value for key, value in params.items() if key != "ImageId"}
    backend.modify_image_attribute(region, params["ImageId"], changes)
    return {}


def delete_images(backend: CvmBackend, region: str, params: Params) -> Params:
    ids = _ids(params, "ImageIds")
    backend.delete_images(region, ids, params.get("DeleteBindedSnap", False), params.get("DryRun", False))
    return {}


def describe_image_quota(backend: CvmBackend, region: str, params: Params) -> Params:
    return {"ImageNumQuota": backend.config.image_quota}


@dataclass(frozen=True)
class Action:
    handler: Callable[[CvmBackend, str, Params], Params]
    params: Obj
    mutating: bool = True


INSTANCE_IDS = Obj({"InstanceIds": [STR]}, required=("InstanceIds",))
ACTIONS: dict[str, Action] = {
    "RunInstances": Action(run_instances, Obj({
        "Placement": Obj({"Zone": STR, "ProjectId": INT}, required=("Zone",)),
        "InstanceCount": INT, "InstanceName": STR, "ImageId": STR, "InstanceType": STR,
        "SystemDisk": DISK, "DataDisks": [DISK], "TagSpecification": TAG_SPECIFICATION, "DryRun": BOOL,
    }, required=("Placement",))),
    "DescribeInstances": Action(describe_instances, Obj(
        {"InstanceIds": [STR], "Filters": FILTERS, "Offset": INT, "Limit": INT}), mutating=False),
    "StartInstances": Action(_power("StartInstances"), INSTANCE_IDS),
    "StopInstances": Action(_power("StopInstances"), Obj(
        {**INSTANCE_IDS.fields, "ForceStop": BOOL, "StopType": STR, "StoppedMode": STR}, required=("InstanceIds",))),
    "TerminateInstances": Action(_power("TerminateInstances"), Obj(
        {**INSTANCE_IDS.fields, "ReleaseAddress": BOOL, "ReleasePrepaidDataDisks": BOOL}, required=("InstanceIds",))),
    "CreateImage": Action(create_image, Obj({
        "InstanceId": STR, "ImageName": STR, "ImageDescription": STR, "ForcePoweroff": STRBOOL, "Sysprep": STRBOOL,
        "Reboot": STRBOOL, "DataDiskIds": [STR], "SnapshotIds": [STR], "DryRun": BOOL,
        "TagSpecification": TAG_SPECIFICATION, "ImageFamily": STR,
    }, required=("ImageName",))),
    "DescribeImages": Action(describe_images, Obj(
        {"ImageIds": [STR], "Filters": FILTERS, "Offset": INT, "Limit": INT, "InstanceType": STR}), mutating=False),
    "ModifyImageAttribute": Action(modify_image_attribute, Obj({
        "ImageId": STR, "ImageName": STR, "ImageDescription": STR, "ImageFamily": STR, "ImageDeprecated": BOOL,
    }, required=("ImageId",))),
    "DeleteImages": Action(delete_images, Obj(
        {"ImageIds": [STR], "DeleteBindedSnap": BOOL, "DryRun": BOOL}, required=("ImageIds",))),
    "DescribeImageQuota": Action(describe_image_quota, Obj({}), mutating=False),
}


def decode_body(body: bytes) -> Params:
    """The JSON object in the request body; an empty body is an empty object."""
    if not body.strip():
        return {}
    try:
        params = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError("InvalidParameter", "The request body is not valid UTF-8 JSON.") from None
    if not isinstance(params, dict):
        raise ApiError("InvalidParameter", "The request body must be a JSON object.")
    return params


def handle(backend: CvmBackend, headers: Mapping[str, str], params: Params) -> Params:
    """Answer one signed API request; `headers` are keyed by lowercase name."""
    action, version, region = (headers.get(name, "").strip() for name in ("x-tc-action", "x-tc-version", "x-tc-region"))
    for value, name in ((action, "Action"), (version, "Version"), (region, "Region")):
        if not value:
            raise ApiError("MissingParameter", f"The request is missing a required parameter `{name}`.")
    if version != API_VERSION:
        raise ApiError("NoSuchVersion", f"Version `{version}` does not exist; use {API_VERSION}.")
    if action not in ACTIONS:
        raise ApiError("InvalidAction", f"Action `{action}` does not exist.")
    if region not in REGIONS:
        raise ApiError("InvalidRegion", f"Region `{region}` does not exist or is not supported.")
    spec = ACTIONS[action]
    parsed = parse(params, spec.params)
    with backend.transaction(save=spec.mutating):
        return spec.handler(backend, region, parsed)
