"""The CVM actions of golden-image pipelines (2017-03-12): SyncImages, image sharing, image families."""

from .backend import CvmBackend
from .copies import SyncRequest
from .errors import ApiError, invalid
from .images import check_lengths
from .params import BOOL, STR, Action, Obj, Params, answers_dry_run
from .wire import describe_image


def _one_image(params: Params) -> str:
    ids = params["ImageIds"]
    if not ids:
        raise invalid("ImageIds", "one image id")
    if len(ids) > 1:
        raise ApiError("InvalidParameterValue.LimitExceeded", "SyncImages syncs one image a call.")
    return ids[0]


def _destinations(params: Params) -> list[str]:
    regions = params["DestinationRegions"]
    if not regions:
        raise invalid("DestinationRegions", "at least one region")
    if len(set(regions)) != len(regions):
        raise invalid("DestinationRegions", "distinct regions")
    return regions


def sync_images(backend: CvmBackend, region: str, params: Params) -> Params:
    name = params.get("ImageName")
    if name is not None and not name.strip():
        raise invalid("ImageName", "a non-empty name")
    check_lengths(name, None, "InvalidParameterValue.TooLarge")
    request = SyncRequest(
        image_id=_one_image(params), regions=_destinations(params), name=name,
        encrypt=params.get("Encrypt", False), kms_key_id=params.get("KmsKeyId"), dry_run=params.get("DryRun", False),
    )
    copies = backend.sync_images(region, request)
    if not params.get("ImageSetRequired", False):
        return {"ImageSet": []}  # present and empty, as the API's example answers
    return {"ImageSet": [{"ImageId": copy.image_id, "Region": copy.region} for copy in copies]}


def modify_image_share_permission(backend: CvmBackend, region: str, params: Params) -> Params:
    backend.modify_image_share_permission(region, params["ImageId"], params["AccountIds"], params["Permission"])
    return {}


def describe_image_share_permission(backend: CvmBackend, region: str, params: Params) -> Params:
    return {"SharePermissionSet": backend.describe_image_share_permission(region, params["ImageId"])}


def describe_image_from_family(backend: CvmBackend, region: str, params: Params) -> Params:
    now = backend.clock()
    image = backend.image_from_family(region, params.get("ImageFamily", ""), now)
    return {"Image": describe_image(image, now) if image else None}


ACTIONS: dict[str, Action] = {
    "SyncImages": Action(answers_dry_run(sync_images, {"ImageSet": []}), Obj({
        "ImageIds": [STR], "DestinationRegions": [STR], "DryRun": BOOL, "ImageName": STR, "ImageSetRequired": BOOL,
        "Encrypt": BOOL, "KmsKeyId": STR,
    }, required=("ImageIds", "DestinationRegions"))),
    "ModifyImageSharePermission": Action(modify_image_share_permission, Obj(
        {"ImageId": STR, "AccountIds": [STR], "Permission": STR}, required=("ImageId", "AccountIds", "Permission"))),
    "DescribeImageSharePermission": Action(
        describe_image_share_permission, Obj({"ImageId": STR}, required=("ImageId",)), mutating=False),
    "DescribeImageFromFamily": Action(
        describe_image_from_family, Obj({"ImageFamily": STR}), mutating=False),
}
