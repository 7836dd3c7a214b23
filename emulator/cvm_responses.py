"""The CVM API (2017-03-12): parameter lists, parameter checks and handlers, action -> handler."""

from collections.abc import Callable

from .backend import CvmBackend
from .config import REGION_NAMES
from .errors import ApiError, invalid
from .families import check_family
from .filters import filter_images, filter_instances
from .images import check_lengths
from .imaging import ImageRequest
from .instances import DEFAULT_IMAGE_ID, DISK_TYPES, STOP_TYPES, STOPPED_MODES, LaunchRequest, StopRequest
from .params import BOOL, INT, STR, STRBOOL, Action, Obj, Params, answers_dry_run
from .selection import MAX_PAGE, Selection, SelectionCodes, select
from .wire import describe_image, describe_instance

API_VERSION = "2017-03-12"

# Parameter lists: every name today's SDK request models declare (tests/emulator checks them against the installed
# SDK); names the emulator does not model are `ignored`.
TAG = Obj({"Key": STR, "Value": STR}, required=("Key", "Value"))
TAG_SPECIFICATION = [Obj({"ResourceType": STR, "Tags": [TAG]}, required=("ResourceType", "Tags"))]
FILTERS = [Obj({"Name": STR, "Values": [STR]}, required=("Name", "Values"))]
SYSTEM_DISK = Obj({"DiskType": STR, "DiskSize": INT, "DiskId": STR},
                  ignored=("CdcId", "DiskName", "Encrypt", "KmsKeyId"))
DATA_DISK = Obj({"DiskType": STR, "DiskSize": INT, "DiskId": STR}, ignored=(
    "DeleteWithInstance", "SnapshotId", "Encrypt", "KmsKeyId", "ThroughputPerformance", "CdcId", "BurstPerformance",
    "DiskName"))
PLACEMENT = Obj({"Zone": STR, "ProjectId": INT}, required=("Zone",), ignored=(
    "HostIds", "HostId", "DedicatedResourcePackTenancy", "DedicatedResourcePackIds", "RackId"))
RUN_INSTANCES_IGNORED = (
    "InstanceChargeType", "InstanceChargePrepaid", "VirtualPrivateCloud", "InternetAccessible", "MinCount",
    "LoginSettings", "SecurityGroupIds", "EnhancedService", "ClientToken", "HostName", "ActionTimer",
    "DisasterRecoverGroupIds", "InstanceMarketOptions", "UserData", "Metadata", "CpuTopology", "CamRoleName",
    "HpcClusterId", "LaunchTemplate", "DedicatedClusterId", "ChcIds", "PartitionNumber", "DisableApiTermination",
    "EnableJumboFrame", "NetworkInterfaces",
)
CREATE_IMAGE_TODAY = Obj({
    "ImageName": STR, "InstanceId": STR, "ImageDescription": STR, "ForcePoweroff": STRBOOL, "Sysprep": STRBOOL,
    "DataDiskIds": [STR], "SnapshotIds": [STR], "DryRun": BOOL, "TagSpecification": TAG_SPECIFICATION,
    "ImageFamily": STR,
}, required=("ImageName",))
CREATE_IMAGE_2018 = Obj({**CREATE_IMAGE_TODAY.fields, "Reboot": STRBOOL}, required=("ImageName",))


def _check_image_name(params: Params, too_large: str) -> None:
    if "ImageName" in params and not params["ImageName"].strip():
        raise invalid("ImageName", "a non-empty name")
    check_lengths(params.get("ImageName"), params.get("ImageDescription"), too_large)


def specified_tags(params: Params, resource_type: str | None, name: str = "TagSpecification") -> list[dict[str, str]]:
    """The tags of a request's TagSpecification (or another parameter of that shape, `name`) for `resource_type`
    (None: any, where the API documents no value)."""
    tags = []
    for index, spec in enumerate(params.get(name, [])):
        if resource_type is not None and spec["ResourceType"] != resource_type:
            raise invalid(f"{name}.{index}.ResourceType", f'"{resource_type}"')
        tags += spec["Tags"]
    return tags


def _ids(params: Params, name: str) -> list[str]:
    ids = params.get(name, [])
    if name in params and not ids:
        raise invalid(name, "at least one id")
    if len(ids) > MAX_PAGE:
        raise ApiError("InvalidParameterValue.LimitExceeded", f"`{name}` takes at most {MAX_PAGE} ids a request.")
    return ids


def _selection(params: Params, ids_name: str, coexist_code: str) -> Selection:
    """Ids xor filters, and the page: CVM answers too many filters or values with one code."""
    return select(params, ids_name, SelectionCodes(coexist_code, "InvalidFilterValue.LimitExceeded", "InvalidFilterValue.LimitExceeded"))


def _disk(params: Params, path: str, default_size: int) -> dict[str, object]:
    disk_type = params.get("DiskType", "CLOUD_PREMIUM")
    if disk_type not in DISK_TYPES:
        raise invalid(f"{path}.DiskType", f"one of {list(DISK_TYPES)}")
    size = params.get("DiskSize", default_size)
    if not 10 <= size <= 32000:
        raise invalid(f"{path}.DiskSize", "a size from 10 to 32000 GB")
    return {"DiskType": disk_type, "DiskSize": size}


# -- handlers ------------------------------------------------------------------------------------

def run_instances(backend: CvmBackend, region: str, params: Params) -> Params:
    count = params.get("InstanceCount", 1)
    if not 1 <= count <= MAX_PAGE:
        raise invalid("InstanceCount", f"an integer from 1 to {MAX_PAGE}")
    launch = LaunchRequest(
        zone=params["Placement"]["Zone"], count=count, name=params.get("InstanceName", "Unnamed"),
        image_id=params.get("ImageId", DEFAULT_IMAGE_ID), instance_type=params.get("InstanceType", "S5.MEDIUM4"),
        system_disk=_disk(params.get("SystemDisk", {}), "SystemDisk", 50),
        data_disks=[_disk(disk, f"DataDisks.{i}", 100) for i, disk in enumerate(params.get("DataDisks", []))],
        tags=specified_tags(params, "instance"), dry_run=params.get("DryRun", False),
    )
    return {"InstanceIdSet": backend.run_instances(region, launch)}


def describe_instances(backend: CvmBackend, region: str, params: Params) -> Params:
    _ids(params, "InstanceIds")
    chosen = _selection(params, "InstanceIds", "InvalidParameterValue")
    now = backend.clock()
    matched = filter_instances([describe_instance(instance, now) for instance in backend.listed_instances(region, chosen.ids)], chosen.filters)
    return {"TotalCount": len(matched), "InstanceSet": chosen.page(matched)}


def _power(action: str) -> Callable[[CvmBackend, str, Params], Params]:
    def handler(backend: CvmBackend, region: str, params: Params) -> Params:
        backend.change_power(region, action, _ids(params, "InstanceIds"))
        return {}
    return handler


def _stop_request(params: Params) -> StopRequest:
    """Today's StopType and StoppedMode; the deprecated ForceStop is SOFT_FIRST (true) or SOFT, never with StopType."""
    if "ForceStop" in params and "StopType" in params:
        raise ApiError("InvalidParameterCombination", "`ForceStop` cannot be used with `StopType`; use `StopType`.")
    stop_type = params.get("StopType", "SOFT_FIRST" if params.get("ForceStop") else "SOFT")
    if stop_type not in STOP_TYPES:
        raise invalid("StopType", f"one of {list(STOP_TYPES)}")
    stopped_mode = params.get("StoppedMode", "KEEP_CHARGING")
    if stopped_mode not in STOPPED_MODES:
        raise invalid("StoppedMode", f"one of {list(STOPPED_MODES)}")
    return StopRequest(stop_type, stopped_mode)


def stop_instances(backend: CvmBackend, region: str, params: Params) -> Params:
    """Today's era honours StopType; the 2018 era's stop always succeeds, as it always did."""
    stop = _stop_request(params) if backend.config.today else None
    backend.change_power(region, "StopInstances", _ids(params, "InstanceIds"), stop)
    return {}


def _source(params: Params, today: bool) -> None:
    """InstanceId xor SnapshotIds (today); the 2018 era knows InstanceId only."""
    if not today:
        if "SnapshotIds" in params:
            raise ApiError("InvalidParameterValue", "`SnapshotIds` is not supported by the emulator; use `InstanceId`.")
        if "InstanceId" not in params:
            raise ApiError("MissingParameter", "The request is missing a required parameter `InstanceId`.")
        return
    if "InstanceId" in params and "SnapshotIds" in params:
        raise ApiError("InvalidParameterConflict", "`InstanceId` and `SnapshotIds` cannot be given together.")
    if "InstanceId" not in params and not params.get("SnapshotIds"):
        raise ApiError("InvalidParameter.SpecifyOneParameter", "Give `InstanceId` or `SnapshotIds`.")
    if "SnapshotIds" in params and "DataDiskIds" in params:
        raise ApiError("InvalidParameterConflict", "`DataDiskIds` goes with `InstanceId`, not with `SnapshotIds`.")


def create_image(backend: CvmBackend, region: str, params: Params) -> Params:
    _source(params, backend.config.today)
    _check_image_name(params, "InvalidParameter.ValueTooLarge")
    check_family(params.get("ImageFamily"))
    request = ImageRequest(
        name=params["ImageName"], instance_id=params.get("InstanceId"), snapshot_ids=params.get("SnapshotIds", []),
        description=params.get("ImageDescription", ""), family=params.get("ImageFamily", ""),
        force_poweroff=params.get("ForcePoweroff", False), reboot=params.get("Reboot", True),
        data_disk_ids=params.get("DataDiskIds", []), tags=specified_tags(params, "image"), dry_run=params.get("DryRun", False),
    )
    image = backend.create_image(region, request)
    return {"ImageId": image.image_id} if backend.config.create_image_returns_image_id else {}


def describe_images(backend: CvmBackend, region: str, params: Params) -> Params:
    coexist = "InvalidParameter.InvalidParameterCoexistImageIdsFilters" if backend.config.today else (
        "InvalidParameterValue")
    chosen = _selection(params, "ImageIds", coexist)
    now = backend.clock()
    items = [describe_image(image, now) for image in backend.listed_images(region, chosen.ids, now)]
    matched = filter_images(items, chosen.filters, backend.config.today)
    return {"TotalCount": len(matched), "ImageSet": chosen.page(matched)}


def modify_image_attribute(backend: CvmBackend, region: str, params: Params) -> Params:
    too_large = "InvalidParameterValue.TooLarge" if backend.config.today else "InvalidParameter.ValueTooLarge"
    _check_image_name(params, too_large)
    check_family(params.get("ImageFamily"))
    changes = {key: value for key, value in params.items() if key != "ImageId"}
    backend.modify_image_attribute(region, params["ImageId"], changes)
    return {}


def delete_images(backend: CvmBackend, region: str, params: Params) -> Params:
    ids = _ids(params, "ImageIds")
    backend.delete_images(region, ids, params.get("DeleteBindedSnap", False), params.get("DryRun", False))
    return {}


def describe_image_quota(backend: CvmBackend, region: str, params: Params) -> Params:
    return {"ImageNumQuota": backend.config.image_quota}


def describe_regions(backend: CvmBackend, region: str, params: Params) -> Params:
    regions = [{"Region": name, "RegionName": label, "RegionState": "AVAILABLE"} for name, label in REGION_NAMES.items()]
    return {"TotalCount": len(regions), "RegionSet": regions}


INSTANCE_IDS = Obj({"InstanceIds": [STR]}, required=("InstanceIds",))
ACTIONS: dict[str, Action] = {
    "RunInstances": Action(answers_dry_run(run_instances, {}), Obj({
        "Placement": PLACEMENT, "InstanceCount": INT, "InstanceName": STR, "ImageId": STR, "InstanceType": STR,
        "SystemDisk": SYSTEM_DISK, "DataDisks": [DATA_DISK], "TagSpecification": TAG_SPECIFICATION, "DryRun": BOOL,
    }, required=("Placement",), ignored=RUN_INSTANCES_IGNORED)),
    "DescribeInstances": Action(describe_instances, Obj(
        {"InstanceIds": [STR], "Filters": FILTERS, "Offset": INT, "Limit": INT}), mutating=False),
    "StartInstances": Action(_power("StartInstances"), INSTANCE_IDS),
    "StopInstances": Action(stop_instances, Obj(
        {**INSTANCE_IDS.fields, "ForceStop": BOOL, "StopType": STR, "StoppedMode": STR}, required=("InstanceIds",))),
    "TerminateInstances": Action(_power("TerminateInstances"), Obj(
        {**INSTANCE_IDS.fields, "ReleaseAddress": BOOL, "ReleasePrepaidDataDisks": BOOL}, required=("InstanceIds",))),
    "CreateImage": Action(answers_dry_run(create_image, {}), CREATE_IMAGE_TODAY, params_2018=CREATE_IMAGE_2018),
    "DescribeImages": Action(describe_images, Obj(
        {"ImageIds": [STR], "Filters": FILTERS, "Offset": INT, "Limit": INT, "InstanceType": STR}), mutating=False),
    "ModifyImageAttribute": Action(modify_image_attribute, Obj({
        "ImageId": STR, "ImageName": STR, "ImageDescription": STR, "ImageFamily": STR, "ImageDeprecated": BOOL,
    }, required=("ImageId",))),
    "DeleteImages": Action(answers_dry_run(delete_images, {}), Obj(
        {"ImageIds": [STR], "DeleteBindedSnap": BOOL, "DryRun": BOOL}, required=("ImageIds",))),
    "DescribeImageQuota": Action(describe_image_quota, Obj({}), mutating=False),
    "DescribeRegions": Action(describe_regions, Obj({}), mutating=False),
}
