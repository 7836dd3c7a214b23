"""The wire format: images and instances as the CVM API answers them, and the control API's view of the state.

The state modules hold models and rules and never spell a response; the responses and the control view render
through here.
"""

import hashlib
import re
import uuid
from typing import Any

from .backend import CvmBackend
from .config import ACCOUNT_UIN
from .images import Image
from .instances import Instance
from .launch_wire import launch_control_state
from .timeline import iso_time, step_progress

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
        "SyncPercent": int(100 * step_progress(image.timeline, now)) if state == "SYNCING" else None,
        "IsSupportCloudinit": True,
        "SnapshotSet": [dict(snapshot) for snapshot in image.snapshot_set],
        "Tags": [dict(tag) for tag in image.tags],
        "LicenseType": "TencentCloud",
        "ImageFamily": image.family,
        "ImageDeprecated": image.deprecated,
    }


# Instance sizes: SMALL 1 vCPU, MEDIUM 2, LARGE 4, nXLARGE 4n; the number that ends the type is the memory in GiB.
INSTANCE_SIZE = re.compile(r"^[A-Z0-9]+\.(?:(?P<times>\d+)XLARGE|(?P<size>SMALL|MEDIUM|LARGE))(?P<memory>\d+)$")
SIZE_CPUS = {"SMALL": 1, "MEDIUM": 2, "LARGE": 4}


def cpu_memory(instance_type: str) -> tuple[int | None, int | None]:
    """CPU and Memory of an instance type such as S5.MEDIUM4 or S5.2XLARGE16; (None, None) for another form."""
    match = INSTANCE_SIZE.match(instance_type)
    if match is None:
        return None, None
    cpus = SIZE_CPUS[match["size"]] if match["size"] else 4 * int(match["times"])
    return cpus, int(match["memory"])


def _private_ip(instance_id: str) -> str:
    """A stable address in the emulator's one VPC, 10.0.0.0/16."""
    number = int(hashlib.sha256(instance_id.encode()).hexdigest()[:8], 16) % 65_000 + 2
    return f"10.0.{number // 256}.{number % 256}"


def _disks(instance: Instance) -> tuple[Described, list[Described]]:
    system = {**instance.system_disk, "Encrypt": False, "KmsKeyId": None, "CdcId": None}
    data = [
        {**disk, "DeleteWithInstance": True, "Encrypt": False, "KmsKeyId": None, "ThroughputPerformance": 0,
         "CdcId": None}
        for disk in instance.data_disks
    ]
    return system, data


def _operation(instance: Instance, now: float) -> Described:
    """The LatestOperation* fields: all null for an instance never operated on (as recorded)."""
    operated = instance.latest_operation is not None
    return {
        "LatestOperation": instance.latest_operation,
        "LatestOperationState": instance.operation_state(now),
        "LatestOperationRequestId": instance.latest_operation_request_id,
        "LatestOperationErrorMsg": instance.latest_operation_error if operated else None,
    }


def describe_instance(instance: Instance, now: float) -> Described:
    """An InstanceSet item of DescribeInstances: a pay-as-you-go instance in one VPC without a public IP, in the
    recorded answers' order of fields."""
    state = instance.state(now)
    cpu, memory = cpu_memory(instance.instance_type)
    system_disk, data_disks = _disks(instance)
    return {
        "Placement": {"Zone": instance.zone, "HostId": None, "ProjectId": 0},
        "InstanceId": instance.instance_id,
        "Uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, instance.instance_id)),
        "InstanceState": state, "RestrictState": "NORMAL", "InstanceType": instance.instance_type,
        "CPU": cpu, "Memory": memory, "InstanceName": instance.name, "InstanceChargeType": "POSTPAID_BY_HOUR",
        "SystemDisk": system_disk, "DataDisks": data_disks,
        "PrivateIpAddresses": [_private_ip(instance.instance_id)], "PublicIpAddresses": None, "IPv6Addresses": None,
        "InternetAccessible": {"InternetMaxBandwidthOut": 0, "InternetChargeType": "TRAFFIC_POSTPAID_BY_HOUR"},
        "VirtualPrivateCloud": {"VpcId": "vpc-emu00001", "SubnetId": "subnet-emu00001", "AsVpcGateway": False},
        "SecurityGroupIds": ["sg-emu00001"], "LoginSettings": {"KeyIds": []},
        "ImageId": instance.image_id, "OsName": instance.os_name, "DefaultLoginUser": "root", "DefaultLoginPort": 22,
        "RenewFlag": None, "CreatedTime": iso_time(instance.created_at), "ExpiredTime": None,
        "Tags": [dict(tag) for tag in instance.tags],
        "DisasterRecoverGroupId": "", "DedicatedClusterId": "", "CamRoleName": "",
        **_operation(instance, now),
        "IsolatedSource": "NOTISOLATED", "HpcClusterId": "", "DisableApiTermination": False, "RdmaIpAddresses": None,
        "LicenseType": "TencentCloud",
        "StopChargingMode": instance.stopped_mode if state == "STOPPED" else "NOT_APPLICABLE",
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
