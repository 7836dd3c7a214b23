"""CVM launch templates (2017-03-12): CreateLaunchTemplate, CreateLaunchTemplateVersion, DescribeLaunchTemplates,
DescribeLaunchTemplateVersions, ModifyLaunchTemplateDefaultVersion, DeleteLaunchTemplateVersions, DeleteLaunchTemplate.

No Describe* here filters on an image: DescribeLaunchTemplates' documented filters are LaunchTemplateName and the tag
filters, and DescribeLaunchTemplateVersions takes none. A client finds the templates that use an image by listing
every template and every version and comparing LaunchTemplateVersionData.ImageId itself.
"""

from .backend import CvmBackend
from .cvm_responses import DATA_DISK, FILTERS, PLACEMENT, SYSTEM_DISK, TAG_SPECIFICATION, specified_tags
from .errors import ApiError, invalid
from .filters import Extractor, apply_filters, tag_keys, tag_values
from .instances import check_zone
from .launch_templates import MAX_VERSION, VersionDraft, VersionQuery, check_version_number
from .launch_wire import describe_launch_template, describe_template_version
from .params import BOOL, INT, STR, Action, Obj, Params, Schema
from .selection import SelectionCodes, page_bounds, select

# What a version keeps and DescribeLaunchTemplateVersions answers in LaunchTemplateVersionData; the other fields the
# SDK declares are accepted and not kept (IGNORED).
VERSION_DATA: dict[str, Schema] = {
    "Placement": PLACEMENT, "ImageId": STR, "InstanceType": STR, "InstanceName": STR, "InstanceChargeType": STR,
    "InstanceCount": INT, "SystemDisk": SYSTEM_DISK, "DataDisks": [DATA_DISK], "SecurityGroupIds": [STR],
    "UserData": STR, "HostName": STR, "ClientToken": STR, "DisasterRecoverGroupIds": [STR], "CamRoleName": STR,
    "HpcClusterId": STR, "TagSpecification": TAG_SPECIFICATION, "DisableApiTermination": BOOL,
}
IGNORED = (
    "VirtualPrivateCloud", "InternetAccessible", "LoginSettings", "EnhancedService", "ActionTimer",
    "InstanceMarketOptions", "InstanceChargePrepaid", "EnableJumboFrame", "Metadata", "TemplateDataModifyAction",
    "NetworkInterfaces",
)
TEMPLATE_FILTERS: dict[str, Extractor] = {
    "LaunchTemplateName": lambda item: [item["LaunchTemplateName"]],
    "tag-key": tag_keys,
    "tag-value": tag_values,
}
DESCRIBE_CODES = SelectionCodes(
    coexist="InvalidParameter", too_many_filters="InvalidFilterValue.LimitExceeded",
    too_many_values="InvalidFilterValue.LimitExceeded",
)
RANGE_PARAMETERS = ("MinVersion", "MaxVersion", "Offset", "Limit", "DefaultVersion")


def _check_length(params: Params, name: str, code: str, bounds: tuple[int, int]) -> None:
    value = params.get(name)
    if value is not None and not bounds[0] <= len(value) <= bounds[1]:
        raise ApiError(code, f"`{name}` must be {bounds[0]} to {bounds[1]} characters long.")


def _draft(region: str, params: Params) -> VersionDraft:
    """The version a request describes: LaunchTemplateVersionData's fields as given, and its description."""
    check_zone(params["Placement"]["Zone"], region)
    _check_length(params, "LaunchTemplateVersionDescription",
                  "InvalidParameterValue.InvalidLaunchTemplateVersionDescription", (2, 256))
    return VersionDraft(
        data={name: value for name, value in params.items() if name in VERSION_DATA},
        description=params.get("LaunchTemplateVersionDescription", ""), dry_run=params.get("DryRun", False),
    )


def create_launch_template(backend: CvmBackend, region: str, params: Params) -> Params:
    _check_length(params, "LaunchTemplateName", "InvalidParameterValue.InvalidLaunchTemplateName", (2, 128))
    draft = _draft(region, params)
    # LaunchTemplateTagSpecification documents no ResourceType value for a launch template: any is taken.
    draft.template_tags = specified_tags(params, None, "LaunchTemplateTagSpecification")
    template = backend.create_launch_template(region, params["LaunchTemplateName"], draft)
    return {"LaunchTemplateId": template.template_id}


def create_launch_template_version(backend: CvmBackend, region: str, params: Params) -> Params:
    base = params.get("LaunchTemplateVersion")
    if base is not None:
        check_version_number(base)
    number = backend.create_launch_template_version(region, params["LaunchTemplateId"], base, _draft(region, params))
    return {"LaunchTemplateVersionNumber": number}


def describe_launch_templates(backend: CvmBackend, region: str, params: Params) -> Params:
    chosen = select(params, "LaunchTemplateIds", DESCRIBE_CODES)
    templates = backend.listed_launch_templates(region, chosen.ids)
    rows = [{**describe_launch_template(t), "Tags": t.tags} for t in templates]  # Tags for the filters, not answered
    matched = apply_filters(rows, chosen.filters, TEMPLATE_FILTERS)
    page = [{key: value for key, value in row.items() if key != "Tags"} for row in chosen.page(matched)]
    return {"TotalCount": len(matched), "LaunchTemplateSet": page}


def _version_query(params: Params) -> VersionQuery:
    numbers = params.get("LaunchTemplateVersions", [])
    if numbers and any(name in params for name in RANGE_PARAMETERS):
        raise ApiError(
            "InvalidParameterCombination", f"`LaunchTemplateVersions` goes with none of {list(RANGE_PARAMETERS)}."
        )
    for number in numbers:
        check_version_number(number)
    query = VersionQuery(numbers, params.get("MinVersion", 0), params.get("MaxVersion", MAX_VERSION),
                         params.get("DefaultVersion", False))
    if query.min_version < 0 or query.max_version < 0:
        raise invalid("MinVersion" if query.min_version < 0 else "MaxVersion", "a non-negative integer")
    return query


def describe_launch_template_versions(backend: CvmBackend, region: str, params: Params) -> Params:
    query = _version_query(params)
    offset, limit = page_bounds(params)
    template, versions = backend.template_versions(region, params["LaunchTemplateId"], query)
    page = [describe_template_version(template, version) for version in versions[offset:offset + limit]]
    return {"TotalCount": len(versions), "LaunchTemplateVersionSet": page}


def modify_launch_template_default_version(backend: CvmBackend, region: str, params: Params) -> Params:
    check_version_number(params["DefaultVersion"])
    backend.set_default_template_version(region, params["LaunchTemplateId"], params["DefaultVersion"])
    return {}


def delete_launch_template_versions(backend: CvmBackend, region: str, params: Params) -> Params:
    numbers = params["LaunchTemplateVersions"]
    if not numbers:
        raise invalid("LaunchTemplateVersions", "at least one version number")
    for number in numbers:
        check_version_number(number)
    backend.delete_launch_template_versions(region, params["LaunchTemplateId"], numbers)
    return {}


def delete_launch_template(backend: CvmBackend, region: str, params: Params) -> Params:
    backend.delete_launch_template(region, params["LaunchTemplateId"])
    return {}


ACTIONS: dict[str, Action] = {
    "CreateLaunchTemplate": Action(create_launch_template, Obj({
        **VERSION_DATA, "LaunchTemplateName": STR, "LaunchTemplateVersionDescription": STR,
        "LaunchTemplateTagSpecification": TAG_SPECIFICATION, "DryRun": BOOL,
    }, required=("LaunchTemplateName", "Placement", "ImageId"), ignored=IGNORED)),
    "CreateLaunchTemplateVersion": Action(create_launch_template_version, Obj({
        **VERSION_DATA, "LaunchTemplateId": STR, "LaunchTemplateVersion": INT, "LaunchTemplateVersionDescription": STR,
        "DryRun": BOOL,
    }, required=("Placement", "LaunchTemplateId"), ignored=IGNORED)),
    "DescribeLaunchTemplates": Action(describe_launch_templates, Obj(
        {"LaunchTemplateIds": [STR], "Filters": FILTERS, "Offset": INT, "Limit": INT}), mutating=False),
    "DescribeLaunchTemplateVersions": Action(describe_launch_template_versions, Obj({
        "LaunchTemplateId": STR, "LaunchTemplateVersions": [INT], "MinVersion": INT, "MaxVersion": INT, "Offset": INT,
        "Limit": INT, "DefaultVersion": BOOL,
    }, required=("LaunchTemplateId",)), mutating=False),
    "ModifyLaunchTemplateDefaultVersion": Action(modify_launch_template_default_version, Obj(
        {"LaunchTemplateId": STR, "DefaultVersion": INT}, required=("LaunchTemplateId", "DefaultVersion"))),
    "DeleteLaunchTemplateVersions": Action(delete_launch_template_versions, Obj(
        {"LaunchTemplateId": STR, "LaunchTemplateVersions": [INT]},
        required=("LaunchTemplateId", "LaunchTemplateVersions"))),
    "DeleteLaunchTemplate": Action(
        delete_launch_template, Obj({"LaunchTemplateId": STR}, required=("LaunchTemplateId",))),
}
