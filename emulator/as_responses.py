"""The Auto Scaling API (2018-04-19, signed for the service `as`) as far as launch configurations go:
CreateLaunchConfiguration, DescribeLaunchConfigurations, DeleteLaunchConfiguration.

DescribeLaunchConfigurations filters on what it documents: launch-configuration-id, launch-configuration-name,
vague-launch-configuration-name (a case-insensitive substring), tag-key, tag-value and tag:KEY. There is no image
filter (`image-id` is InvalidParameterValue.InvalidFilter, as any unknown name): a client finds the configurations
that use an image by listing them all and comparing ImageId (and ImageFamily) itself.
"""

import re

from .backend import CvmBackend
from .errors import ApiError, invalid
from .filters import Extractor, apply_filters, tag_keys, tag_values
from .launch_configurations import ConfigurationRequest
from .launch_wire import describe_launch_configuration
from .params import INT, STR, Action, Obj, Params, Schema
from .selection import SelectionCodes, select

API_VERSION = "2018-04-19"
NAME = re.compile(r"^[\w.\-]+$")  # "仅支持中文、英文、数字、下划线、分隔符"-"、小数点"
MAX_NAME_BYTES = 60
MAX_INSTANCE_TYPES = 10
MAX_INSTANCE_TAGS = 10
MAX_TAGS = 30

FILTERS = [Obj({"Name": STR, "Values": [STR]}, required=("Name", "Values"))]
TAG = Obj({"Key": STR, "Value": STR, "ResourceType": STR}, required=("Key", "Value"))
INSTANCE_TAG = Obj({"Key": STR, "Value": STR}, required=("Key", "Value"))
SYSTEM_DISK = Obj({"DiskType": STR, "DiskSize": INT}, ignored=("Encrypt", "KmsKeyId"))
DATA_DISK = Obj({"DiskType": STR, "DiskSize": INT, "SnapshotId": STR}, ignored=(
    "DeleteWithInstance", "Encrypt", "ThroughputPerformance", "BurstPerformance", "KmsKeyId"))
# Kept as given and answered back in the LaunchConfiguration; the other fields the SDK declares are accepted and not
# kept (IGNORED).
SETTINGS: dict[str, Schema] = {
    "ProjectId": INT, "SystemDisk": SYSTEM_DISK, "DataDisks": [DATA_DISK], "SecurityGroupIds": [STR], "UserData": STR,
    "InstanceChargeType": STR, "InstanceTags": [INSTANCE_TAG], "CamRoleName": STR, "DiskTypePolicy": STR,
    "HpcClusterId": STR, "DisasterRecoverGroupIds": [STR], "DedicatedClusterId": STR,
}
IGNORED = (
    "InternetAccessible", "LoginSettings", "EnhancedService", "InstanceMarketOptions", "InstanceTypesCheckPolicy",
    "HostNameSettings", "InstanceNameSettings", "InstanceChargePrepaid", "IPv6InternetAccessible", "Metadata",
    "NetworkInterfaces",
)
CONFIGURATION_FILTERS: dict[str, Extractor] = {
    "launch-configuration-id": lambda item: [item["LaunchConfigurationId"]],
    "launch-configuration-name": lambda item: [item["LaunchConfigurationName"]],
    "vague-launch-configuration-name": lambda item: [item["LaunchConfigurationName"]],
    "tag-key": tag_keys,
    "tag-value": tag_values,
}
DESCRIBE_CODES = SelectionCodes(
    coexist="InvalidParameterConflict", too_many_filters="InvalidParameterValue.TooLong",
    too_many_values="LimitExceeded.FilterValuesTooLong", too_many_ids="InvalidParameterValue.TooLong",
)


def _check_name(name: str) -> None:
    if not name:
        raise ApiError("InvalidParameterValue.TooShort", "`LaunchConfigurationName` must not be empty.")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise ApiError("InvalidParameterValue.TooLong", f"`LaunchConfigurationName` is over {MAX_NAME_BYTES} bytes.")
    if not NAME.match(name):
        raise invalid("LaunchConfigurationName", "letters, digits, `_`, `-` and `.`")


def _one_of(params: Params, first: str, second: str) -> None:
    given = [name for name in (first, second) if params.get(name)]
    if not given:
        raise ApiError("InvalidParameter.MustOneParameter", f"Give `{first}` or `{second}`.")
    if len(given) == 2:
        raise ApiError("InvalidParameter.Conflict", f"`{first}` and `{second}` cannot be given together.")


def _at_most(params: Params, name: str, maximum: int) -> None:
    if len(params.get(name, [])) > maximum:
        raise ApiError("InvalidParameterValue.LimitExceeded", f"`{name}` takes at most {maximum} items.")


def create_launch_configuration(backend: CvmBackend, region: str, params: Params) -> Params:
    _check_name(params["LaunchConfigurationName"])
    _one_of(params, "ImageId", "ImageFamily")
    _one_of(params, "InstanceType", "InstanceTypes")
    for name, maximum in (("InstanceTypes", MAX_INSTANCE_TYPES), ("InstanceTags", MAX_INSTANCE_TAGS),
                          ("Tags", MAX_TAGS)):
        _at_most(params, name, maximum)
    request = ConfigurationRequest(
        name=params["LaunchConfigurationName"], image_id=params.get("ImageId"),
        image_family=params.get("ImageFamily", ""),
        instance_types=params.get("InstanceTypes") or [params["InstanceType"]],
        settings={name: value for name, value in params.items() if name in SETTINGS},
        tags=[{"Key": tag["Key"], "Value": tag["Value"]} for tag in params.get("Tags", [])],
    )
    return {"LaunchConfigurationId": backend.create_launch_configuration(region, request).config_id}


def describe_launch_configurations(backend: CvmBackend, region: str, params: Params) -> Params:
    chosen = select(params, "LaunchConfigurationIds", DESCRIBE_CODES)
    items = [
        describe_launch_configuration(config, backend.launch_configuration_status(config))
        for config in backend.listed_launch_configurations(region, chosen.ids)
    ]
    matched = apply_filters(items, chosen.filters, CONFIGURATION_FILTERS, fuzzy=("vague-launch-configuration-name",),
                            unknown="InvalidParameterValue.InvalidFilter")
    return {"TotalCount": len(matched), "LaunchConfigurationSet": chosen.page(matched)}


def delete_launch_configuration(backend: CvmBackend, region: str, params: Params) -> Params:
    backend.delete_launch_configuration(region, params["LaunchConfigurationId"])
    return {}


ACTIONS: dict[str, Action] = {
    "CreateLaunchConfiguration": Action(create_launch_configuration, Obj({
        **SETTINGS, "LaunchConfigurationName": STR, "ImageId": STR, "ImageFamily": STR, "InstanceType": STR,
        "InstanceTypes": [STR], "Tags": [TAG],
    }, required=("LaunchConfigurationName",), ignored=IGNORED)),
    "DescribeLaunchConfigurations": Action(describe_launch_configurations, Obj(
        {"LaunchConfigurationIds": [STR], "Filters": FILTERS, "Limit": INT, "Offset": INT}), mutating=False),
    "DeleteLaunchConfiguration": Action(delete_launch_configuration, Obj(
        {"LaunchConfigurationId": STR}, required=("LaunchConfigurationId",))),
}
