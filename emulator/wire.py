"""The wire format: images and instances as the CVM API answers them, and the control API's view of the state.

The state modules hold models and rules and never spell a response; the responses and the control view render
through here.
"""

from typing import Any

from .backend import CvmBackend
from .config import ACCOUNT_UIN
from .images import Image
from .instances import Instance
from .launch_wire import launch_control_state
from .timeline import iso_time

Described = dict[str, Any]  # a resource as the API answers it


def describe_image(image: Image, now: float) -> Described:
    """An ImageSet item of DescribeImages (and DescribeImageFromFamily's Image)."""
    state = image.state(now)
    private = image.image_type == "PRIVATE_IMAGE"
    return {
        "ImageId": image.image_id,
        "OsName": image.os_name,
        "ImageType": image.image_type,
        "CreatedTime": iso_time(image.created_at),
        "ImageName": image.name,
        "ImageDescription": image.description,
        "ImageSize": image.size,
        "Architecture": "x86_64",
        "ImageState": state,
        "Platform": image.platform,
        "ImageCreator": ACCOUNT_UIN if private else None,
        "ImageSource": "CREATE_IMAGE" if private else "OFFICIAL",
        "SyncPercent": 100 if state == "NORMAL" else 0,
        "IsSupportCloudinit": True,
        "SnapshotSet": [dict(snapshot) for snapshot in image.snapshot_set],
        "Tags": [dict(tag) for tag in image.tags],
        "LicenseType": "TencentCloud",
        "ImageFamily": image.family,
        "ImageDeprecated": image.deprecated,
    }


def _operation_state(instance: Instance, now: float) -> str | None:
    if instance.latest_operation is None:
        return None
    if not instance.is_settled(now):
        return "OPERATING"
    return "FAILED" if instance.latest_operation_failed else "SUCCESS"


def describe_instance(instance: Instance, now: float) -> Described:
    """An InstanceSet item of DescribeInstances."""
    return {
        "InstanceId": instance.instance_id,
        "InstanceName": instance.name,
        "InstanceState": instance.state(now),
        "InstanceType": instance.instance_type,
        "ImageId": instance.image_id,
        "Placement": {"Zone": instance.zone, "ProjectId": 0},
        "SystemDisk": dict(instance.system_disk),
        "DataDisks": [dict(disk) for disk in instance.data_disks],
        "CreatedTime": iso_time(instance.created_at),
        "LatestOperation": instance.latest_operation,
        "LatestOperationState": _operation_state(instance, now),
        "Tags": [dict(tag) for tag in instance.tags],
    }


# -- the control API's GET /_emulator/state ----------------------------------------------------------

def _control_instance(instance: Instance, region_name: str, now: float) -> Described:
    return {
        **describe_instance(instance, now), "Region": region_name,
        "soft_shutdown_fails": instance.soft_shutdown_fails,
        "image_build_fails": instance.image_build_fails,
    }


def _control_image(image: Image, region_name: str, now: float) -> Described:
    """The image as DescribeImages would answer it, plus what the API does not show."""
    return {
        **describe_image(image, now), "Region": region_name, "PendingTags": [dict(tag) for tag in image.pending_tags],
        "Visible": image.visible_at <= now,
        "SharedWith": [entry["AccountId"] for entry in image.shared_with],
        "CopiedFrom": dict(image.copied_from) if image.copied_from else None,
        "Encrypted": image.encrypted,
    }


def control_state(backend: CvmBackend) -> dict[str, Any]:
    """The whole truth, lags included: Tags are the bound tags, PendingTags those still to be bound."""
    now = backend.clock()
    instances, images, snapshots = [], [], []
    for name, region in backend.regions.items():
        instances += [_control_instance(instance, name, now) for instance in region.instances.values()]
        images += [_control_image(image, name, now) for image in region.images.values()]
        snapshots += [dict(snapshot) for snapshot in region.snapshots.values()]
    return {
        "era": backend.config.api_era, "instances": instances, "images": images, "snapshots": snapshots,
        "families": backend.family_heads(), "copy_failures": backend.copy_failures.left(),
        **launch_control_state(backend),
    }
