"""State of the emulated CVM service: instances, images and snapshots per region.

Transitions are driven by the clock: each resource stores a timeline of (absolute time, state)
steps and its state is read off that timeline when asked, so a saved state keeps moving after
a restart and nothing ever sleeps while holding the lock.
"""

import json
import os
import random
import re
import string
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from emulator.exceptions import ApiError

REGIONS = (
    "ap-guangzhou", "ap-shanghai", "ap-beijing", "ap-chengdu", "ap-chongqing", "ap-nanjing",
    "ap-hongkong", "ap-singapore", "ap-tokyo", "ap-seoul", "ap-bangkok", "ap-jakarta",
    "na-siliconvalley", "na-ashburn", "eu-frankfurt", "sa-saopaulo",
)
SEED_REGION = "ap-guangzhou"
SEED_ZONE = "ap-guangzhou-3"
ACCOUNT_UIN = "100000000001"
DISK_TYPES = (
    "LOCAL_BASIC", "LOCAL_SSD", "CLOUD_BASIC", "CLOUD_SSD", "CLOUD_PREMIUM", "CLOUD_BSSD", "CLOUD_HSSD", "CLOUD_TSSD",
)
LOCAL_DISK_TYPES = ("LOCAL_BASIC", "LOCAL_SSD")
INSTANCE_STATES = (
    "PENDING", "LAUNCH_FAILED", "RUNNING", "STOPPED", "STARTING", "STOPPING", "REBOOTING", "SHUTDOWN", "TERMINATING",
)
GONE = "GONE"  # internal last step of a terminated instance: it disappears from every answer
TUNABLE_CONFIG = ("image_build_seconds", "instance_transition_seconds", "image_quota", "create_image_returns_image_id")

Timeline = list[list[Any]]  # [[at_epoch_seconds, state], ...], oldest first


@dataclass
class EmulatorConfig:
    image_build_seconds: float = 3.0
    instance_transition_seconds: float = 1.0
    image_quota: int = 500
    create_image_returns_image_id: bool = True
    secret_id: str = "AKIDEMULATOR00000000"
    secret_key: str = "emulator-secret-key"
    state_path: str | None = None

    def tunables(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in TUNABLE_CONFIG}

    def with_changes(self, changes: Any) -> "EmulatorConfig":
        """A copy with the tunable settings in `changes`; ValueError says what is wrong."""
        if not isinstance(changes, dict) or set(changes) - set(TUNABLE_CONFIG):
            raise ValueError(f"config takes an object with keys among {list(TUNABLE_CONFIG)}")
        for name, value in changes.items():
            _check_tunable(name, value)
        return replace(self, **changes)


def _check_tunable(name: str, value: Any) -> None:
    if name == "create_image_returns_image_id":
        if not isinstance(value, bool):
            raise ValueError(f"`{name}` must be a boolean")
    elif name == "image_quota":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"`{name}` must be a non-negative integer")
    elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"`{name}` must be a non-negative number")


def iso_time(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def state_at(timeline: Timeline, now: float) -> str:
    current = timeline[0][1]
    for at, state in timeline:
        if at > now:
            break
        current = state
    return current


def _steps(start: float, *steps: tuple[float, str]) -> Timeline:
    """A timeline from (delay after the previous step, state) pairs."""
    timeline, at = [], start
    for delay, state in steps:
        at += delay
        timeline.append([at, state])
    return timeline


def new_id(prefix: str, taken: set[str]) -> str:
    alphabet = string.ascii_lowercase + string.digits
    while True:
        candidate = prefix + "".join(random.choices(alphabet, k=8))
        if candidate not in taken:
            return candidate


@dataclass
class Instance:
    instance_id: str
    region: str
    zone: str
    name: str
    instance_type: str
    image_id: str
    system_disk: dict[str, Any]
    data_disks: list[dict[str, Any]]
    created_at: float
    timeline: Timeline
    tags: list[dict[str, str]] = field(default_factory=list)
    latest_operation: str | None = None
    latest_operation_failed: bool = False
    soft_shutdown_fails: bool = False
    image_build_fails: bool = False

    def state(self, now: float) -> str:
        return state_at(self.timeline, now)

    def is_settled(self, now: float) -> bool:
        return self.timeline[-1][0] <= now

    def set_timeline(self, operation: str, timeline: Timeline, failed: bool = False) -> None:
        self.timeline = timeline
        self.latest_operation = operation
        self.latest_operation_failed = failed

    def describe(self, now: float) -> dict[str, Any]:
        operation_state = None
        if self.latest_operation is not None:
            operation_state = "FAILED" if self.latest_operation_failed else "SUCCESS"
            operation_state = operation_state if self.is_settled(now) else "OPERATING"
        return {
            "InstanceId": self.instance_id,
            "InstanceName": self.name,
            "InstanceState": self.state(now),
            "InstanceType": self.instance_type,
            "ImageId": self.image_id,
            "Placement": {"Zone": self.zone, "ProjectId": 0},
            "SystemDisk": dict(self.system_disk),
            "DataDisks": [dict(disk) for disk in self.data_disks],
            "CreatedTime": iso_time(self.created_at),
            "LatestOperation": self.latest_operation,
            "LatestOperationState": operation_state,
            "Tags": [dict(tag) for tag in self.tags],
        }


@dataclass
class Image:
    image_id: str
    region: str
    name: str
    created_at: float
    timeline: Timeline
    size: int
    os_name: str
    platform: str
    image_type: str = "PRIVATE_IMAGE"
    description: str = ""
    family: str = ""
    deprecated: bool = False
    instance_id: str | None = None
    snapshot_set: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)

    def state(self, now: float) -> str:
        return state_at(self.timeline, now)

    def describe(self, now: float) -> dict[str, Any]:
        state = self.state(now)
        private = self.image_type == "PRIVATE_IMAGE"
        return {
            "ImageId": self.image_id,
            "OsName": self.os_name,
            "ImageType": self.image_type,
            "CreatedTime": iso_time(self.created_at),
            "ImageName": self.name,
            "ImageDescription": self.description,
            "ImageSize": self.size,
            "Architecture": "x86_64",
            "ImageState": state,
            "Platform": self.platform,
            "ImageCreator": ACCOUNT_UIN if private else None,
            "ImageSource": "CREATE_IMAGE" if private else "OFFICIAL",
            "SyncPercent": 100 if state == "NORMAL" else 0,
            "IsSupportCloudinit": True,
            "SnapshotSet": [dict(snapshot) for snapshot in self.snapshot_set],
            "Tags": [dict(tag) for tag in self.tags],
            "LicenseType": "TencentCloud",
            "ImageFamily": self.family,
            "ImageDeprecated": self.deprecated,
        }


def _public_image(image_id: str, name: str, os_name: str, platform: str) -> Image:
    released = 1_672_531_200.0  # 2023-01-01T00:00:00Z
    return Image(
        image_id=image_id, region="*", name=name, created_at=released, timeline=[[released, "NORMAL"]],
        size=20, os_name=os_name, platform=platform, image_type="PUBLIC_IMAGE", description=os_name,
    )


# Offered in every region; they count toward no quota and cannot be changed or deleted.
PUBLIC_IMAGES = {
    image.image_id: image
    for image in (
        _public_image("img-9id7emv7", "TencentOS Server 3.1 (TK4)", "TencentOS Server 3.1 (TK4)", "TencentOS"),
        _public_image("img-487zeit5", "Ubuntu Server 22.04 LTS 64bit", "Ubuntu Server 22.04 LTS 64bit", "Ubuntu"),
    )
}
DEFAULT_IMAGE_ID = "img-9id7emv7"


@dataclass
class Region:
    instances: dict[str, Instance] = field(default_factory=dict)
    images: dict[str, Image] = field(default_factory=dict)
    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)


def _seed_instance(number: int, name: str, state: str) -> Instance:
    return Instance(
        instance_id=f"ins-emu0000{number}", region=SEED_REGION, zone=SEED_ZONE, name=name,
        instance_type="S5.MEDIUM4", image_id=DEFAULT_IMAGE_ID,
        system_disk={"DiskId": f"disk-emu000{number}s", "DiskType": "CLOUD_PREMIUM", "DiskSize": 50},
        data_disks=[{"DiskId": f"disk-emu000{number}d", "DiskType": "CLOUD_PREMIUM", "DiskSize": 100}],
        created_at=1_704_067_200.0,  # 2024-01-01T00:00:00Z
        timeline=[[0.0, state]],
    )


def seeded_regions() -> dict[str, Region]:
    seeds = [
        _seed_instance(1, "builder-web", "STOPPED"),
        _seed_instance(2, "builder-api", "RUNNING"),
        _seed_instance(3, "builder-batch", "RUNNING"),
    ]
    return {SEED_REGION: Region(instances={instance.instance_id: instance for instance in seeds})}


def _regions_to_json(regions: dict[str, Region]) -> dict[str, Any]:
    return {
        name: {
            "instances": [asdict(instance) for instance in region.instances.values()],
            "images": [asdict(image) for image in region.images.values()],
            "snapshots": list(region.snapshots.values()),
        }
        for name, region in regions.items()
    }


def _regions_from_json(data: dict[str, Any]) -> dict[str, Region]:
    return {
        name: Region(
            instances={raw["instance_id"]: Instance(**raw) for raw in region["instances"]},
            images={raw["image_id"]: Image(**raw) for raw in region["images"]},
            snapshots={raw["SnapshotId"]: raw for raw in region["snapshots"]},
        )
        for name, region in data.items()
    }


INSTANCE_ID = re.compile(r"^ins-[a-z0-9]{8}$")
IMAGE_ID = re.compile(r"^img-[a-z0-9]{8}$")
Described = dict[str, Any]
Extractor = Callable[[Described], list[str]]
Filters = list[tuple[str, list[str]]]


def _tag_keys(item: Described) -> list[str]:
    return [tag["Key"] for tag in item["Tags"]]


def _tag_values(item: Described) -> list[str]:
    return [tag["Value"] for tag in item["Tags"]]


INSTANCE_FILTERS: dict[str, Extractor] = {
    "instance-id": lambda item: [item["InstanceId"]],
    "instance-name": lambda item: [item["InstanceName"]],
    "instance-state": lambda item: [item["InstanceState"]],
    "zone": lambda item: [item["Placement"]["Zone"]],
    "tag-key": _tag_keys,
    "tag-value": _tag_values,
}
IMAGE_FILTERS: dict[str, Extractor] = {
    "image-id": lambda item: [item["ImageId"]],
    "image-name": lambda item: [item["ImageName"]],
    "image-type": lambda item: [item["ImageType"]],
    "image-state": lambda item: [item["ImageState"]],
    "platform": lambda item: [item["Platform"]],
    "tag-key": _tag_keys,
    "tag-value": _tag_values,
}
FUZZY_FILTERS = ("image-name",)  # the real image-name filter is a case-insensitive substring match


def _filter_matches(name: str, candidate: str, value: str) -> bool:
    return value.lower() in candidate.lower() if name in FUZZY_FILTERS else candidate == value


def _extractor(name: str, extractors: dict[str, Extractor]) -> Extractor:
    if name.startswith("tag:") and len(name) > 4:
        key = name[4:]
        return lambda item: [tag["Value"] for tag in item["Tags"] if tag["Key"] == key]
    if name not in extractors:
        supported = f"{sorted(extractors)} or tag:KEY"
        raise ApiError("InvalidFilter", f"Filter `{name}` is not supported; use one of {supported}.")
    return extractors[name]


def apply_filters(items: list[Described], filters: Filters, extractors: dict[str, Extractor]) -> list[Described]:
    """Values of one filter are ORed, filters are ANDed."""
    for name, values in filters:
        extract = _extractor(name, extractors)
        items = [
            item for item in items
            if any(_filter_matches(name, candidate, value) for candidate in extract(item) for value in values)
        ]
    return items


def _state_error(instance: Instance, state: str) -> ApiError:
    suffix = "".join(part.capitalize() for part in state.split("_"))
    return ApiError(
        f"UnsupportedOperation.InstanceState{suffix}",
        f"Instance `{instance.instance_id}` is in state {state}; the operation is not supported in this state.",
    )


def _dry_run() -> ApiError:
    return ApiError("DryRunOperation", "Request validation passed; nothing was done because DryRun is set.")


@dataclass
class ImageRequest:
    """A validated CreateImage request."""

    instance_id: str
    name: str
    description: str = ""
    family: str = ""
    force_poweroff: bool = False
    reboot: bool = True
    data_disk_ids: list[str] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    dry_run: bool = False


@dataclass
class LaunchRequest:
    """A validated RunInstances request."""

    zone: str
    count: int = 1
    name: str = "Unnamed"
    image_id: str = DEFAULT_IMAGE_ID
    instance_type: str = "S5.MEDIUM4"
    system_disk: dict[str, Any] = field(default_factory=lambda: {"DiskType": "CLOUD_PREMIUM", "DiskSize": 50})
    data_disks: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    dry_run: bool = False


# What each power action accepts, and the steps it starts: (seconds after the previous step, state);
# None stands for instance_transition_seconds.
POWER_ACTIONS: dict[str, tuple[tuple[str, ...], tuple[tuple[float | None, str], ...]]] = {
    "StartInstances": (("STOPPED",), ((0.0, "STARTING"), (None, "RUNNING"))),
    "StopInstances": (("RUNNING",), ((0.0, "STOPPING"), (None, "STOPPED"))),
    "TerminateInstances": (
        ("RUNNING", "STOPPED", "LAUNCH_FAILED", "SHUTDOWN"), ((0.0, "TERMINATING"), (None, GONE)),
    ),
}


class CvmBackend:
    """Every region's state behind one lock, saved to a JSON file after every change if asked."""

    def __init__(self, config: EmulatorConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.start_config = config
        self.clock = clock
        self.lock = threading.Lock()
        self.regions = self._load() if config.state_path else seeded_regions()

    # -- persistence -------------------------------------------------------------------------

    def _load(self) -> dict[str, Region]:
        assert self.config.state_path is not None
        if not os.path.exists(self.config.state_path):
            return seeded_regions()
        with open(self.config.state_path, encoding="utf-8") as handle:
            return _regions_from_json(json.load(handle)["regions"])

    def save(self) -> None:
        path = self.config.state_path
        if path is None:
            return
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump({"regions": _regions_to_json(self.regions)}, handle, indent=1)
        os.replace(temporary, path)

    @contextmanager
    def transaction(self, save: bool = True) -> Iterator[None]:
        """Hold the lock; save afterwards unless the body raised."""
        with self.lock:
            self._forget_gone()
            yield
            if save:
                self.save()

    def _forget_gone(self) -> None:
        now = self.clock()
        for region in self.regions.values():
            for key in [key for key, instance in region.instances.items() if instance.state(now) == GONE]:
                del region.instances[key]

    def reset(self) -> None:
        with self.lock:
            self.regions = seeded_regions()
            self.config = self.start_config
            self.save()

    def set_config(self, changes: Any) -> dict[str, Any]:
        with self.lock:
            self.config = self.config.with_changes(changes)
            return self.config.tunables()

    # -- lookups ------------------------------------------------------------------------------

    def region(self, name: str) -> Region:
        return self.regions.setdefault(name, Region())

    def _taken_ids(self) -> set[str]:
        taken = set(PUBLIC_IMAGES)
        for region in self.regions.values():
            taken.update(region.instances, region.images, region.snapshots)
            for instance in region.instances.values():
                taken.update(disk["DiskId"] for disk in [instance.system_disk, *instance.data_disks])
        return taken

    def _new_id(self, prefix: str) -> str:
        return new_id(prefix, self._taken_ids())

    @staticmethod
    def _instance(region: Region, instance_id: str) -> Instance:
        if not INSTANCE_ID.match(instance_id):
            raise ApiError("InvalidInstanceId.Malformed", f"Instance id `{instance_id}` is malformed.")
        if instance_id not in region.instances:
            raise ApiError("InvalidInstanceId.NotFound", f"Instance `{instance_id}` is not found.")
        return region.instances[instance_id]

    @staticmethod
    def _private_image(region: Region, image_id: str) -> Image:
        if not IMAGE_ID.match(image_id):
            raise ApiError("InvalidImageId.Malformed", f"Image id `{image_id}` is malformed.")
        if image_id in PUBLIC_IMAGES:
            raise ApiError("UnauthorizedOperation.ImageNotBelongToAccount", f"Image `{image_id}` is a public image.")
        if image_id not in region.images:
            raise ApiError("InvalidImageId.NotFound", f"Image `{image_id}` is not found.")
        return region.images[image_id]

    def _image_task_running(self, region: Region, instance_id: str) -> bool:
        now = self.clock()
        return any(
            image.instance_id == instance_id and image.state(now) == "CREATING" for image in region.images.values()
        )

    @staticmethod
    def _name_taken(region: Region, name: str, except_id: str | None = None) -> bool:
        return any(image.name == name and image.image_id != except_id for image in region.images.values())

    @staticmethod
    def _page(items: list[Described], offset: int, limit: int) -> tuple[int, list[Described]]:
        return len(items), items[offset:offset + limit]

    # -- instances ----------------------------------------------------------------------------

    def run_instances(self, region_name: str, launch: LaunchRequest) -> list[str]:
        if not launch.zone.startswith(region_name + "-"):
            raise ApiError("InvalidZone.MismatchRegion", f"Zone `{launch.zone}` is not in region {region_name}.")
        region = self.region(region_name)
        if launch.image_id not in PUBLIC_IMAGES:
            self._private_image(region, launch.image_id)
        if launch.dry_run:
            raise _dry_run()
        now = self.clock()
        return [self._launch(region, region_name, launch, now).instance_id for _ in range(launch.count)]

    def _launch(self, region: Region, region_name: str, launch: LaunchRequest, now: float) -> Instance:
        instance = Instance(
            instance_id=self._new_id("ins-"), region=region_name, zone=launch.zone, name=launch.name,
            instance_type=launch.instance_type, image_id=launch.image_id,
            system_disk={"DiskId": self._new_id("disk-"), **launch.system_disk},
            data_disks=[], created_at=now, tags=[dict(tag) for tag in launch.tags],
            timeline=_steps(now, (0.0, "PENDING"), (self.config.instance_transition_seconds, "RUNNING")),
            latest_operation="RunInstances",
        )
        region.instances[instance.instance_id] = instance
        instance.data_disks = [{"DiskId": self._new_id("disk-"), **disk} for disk in launch.data_disks]
        return instance

    def describe_instances(
        self, region_name: str, instance_ids: list[str], filters: Filters, offset: int, limit: int
    ) -> tuple[int, list[Described]]:
        region, now = self.region(region_name), self.clock()
        for instance_id in instance_ids:
            if not INSTANCE_ID.match(instance_id):
                raise ApiError("InvalidInstanceId.Malformed", f"Instance id `{instance_id}` is malformed.")
        chosen = [i for i in region.instances.values() if not instance_ids or i.instance_id in instance_ids]
        described = [instance.describe(now) for instance in sorted(chosen, key=lambda i: (i.created_at, i.instance_id))]
        return self._page(apply_filters(described, filters, INSTANCE_FILTERS), offset, limit)

    def change_power(self, region_name: str, action: str, instance_ids: list[str]) -> None:
        """Start, stop or terminate all the instances, or none of them."""
        allowed, steps = POWER_ACTIONS[action]
        region, now = self.region(region_name), self.clock()
        instances = [self._instance(region, instance_id) for instance_id in instance_ids]
        for instance in instances:
            state = instance.state(now)
            if state not in allowed:
                raise _state_error(instance, state)
            if self._image_task_running(region, instance.instance_id):
                raise ApiError(
                    "OperationDenied.InstanceOperationInProgress",
                    f"Instance `{instance.instance_id}` has an image task in progress.",
                )
        transition = self.config.instance_transition_seconds
        timeline = _steps(now, *((transition if delay is None else delay, state) for delay, state in steps))
        for instance in instances:
            instance.set_timeline(action, [list(step) for step in timeline])

    # -- images -------------------------------------------------------------------------------

    def create_image(self, region_name: str, request: ImageRequest) -> Image:
        region = self.region(region_name)
        instance = self._instance(region, request.instance_id)
        self._check_can_image(region, instance, request)
        if request.dry_run:
            raise _dry_run()
        now, transition = self.clock(), self.config.instance_transition_seconds
        build = self.config.image_build_seconds
        outcome = "CREATEFAILED" if instance.image_build_fails else "NORMAL"
        if instance.state(now) == "STOPPED":
            image_steps = ((0.0, "CREATING"), (build, outcome))
        elif instance.soft_shutdown_fails and not request.force_poweroff:
            image_steps = ((0.0, "CREATING"), (transition, "CREATEFAILED"))
            instance.set_timeline("CreateImage", _steps(now, (0.0, "STOPPING"), (transition, "RUNNING")), failed=True)
        else:
            image_steps = ((0.0, "CREATING"), (transition + build, outcome))
            instance.set_timeline("CreateImage", _steps(
                now, (0.0, "STOPPING"), (transition, "STOPPED"), (build, "STARTING"), (transition, "RUNNING"),
            ))
        image = self._new_image(region_name, instance, request, _steps(now, *image_steps))
        region.images[image.image_id] = image
        self._record_snapshots(region, image, instance, request.data_disk_ids)
        return image

    def _check_can_image(self, region: Region, instance: Instance, request: ImageRequest) -> None:
        """The checks after the instance lookup, in the documented order."""
        if self._name_taken(region, request.name):
            raise ApiError("InvalidImageName.Duplicate", f"Image name `{request.name}` already exists in this region.")
        if len(region.images) + 1 > self.config.image_quota:
            raise ApiError("ImageQuotaLimitExceeded", f"The image quota of {self.config.image_quota} is used up.")
        if self._image_task_running(region, instance.instance_id):
            raise ApiError("MutexOperation.TaskRunning", f"Instance `{instance.instance_id}` has an image task.")
        state = instance.state(self.clock())
        if state not in ("RUNNING", "STOPPED") or (state == "RUNNING" and not request.reboot):
            raise ApiError("InvalidInstance.NotSupported", f"Cannot create an image of an instance in state {state}.")
        if instance.system_disk["DiskType"] in LOCAL_DISK_TYPES:
            raise ApiError("InvalidInstance.NotSupported", "Cannot image an instance with a local system disk.")
        own_disks = {disk["DiskId"] for disk in instance.data_disks}
        for disk_id in request.data_disk_ids:
            if disk_id not in own_disks:
                raise ApiError(
                    "InvalidParameterValue",
                    f"DataDiskIds: `{disk_id}` is not a data disk of instance `{instance.instance_id}`.",
                )

    def _new_image(self, region_name: str, instance: Instance, request: ImageRequest, timeline: Timeline) -> Image:
        source = PUBLIC_IMAGES.get(instance.image_id) or self.region(region_name).images.get(instance.image_id)
        return Image(
            image_id=self._new_id("img-"), region=region_name, name=request.name, created_at=timeline[0][0],
            timeline=timeline, size=int(instance.system_disk["DiskSize"]),
            os_name=source.os_name if source else "TencentOS Server 3.1 (TK4)",
            platform=source.platform if source else "TencentOS",
            description=request.description, family=request.family, instance_id=instance.instance_id,
            tags=[dict(tag) for tag in request.tags],
        )

    def _record_snapshots(self, region: Region, image: Image, instance: Instance, data_disk_ids: list[str]) -> None:
        disks = [(instance.system_disk, "SYSTEM_DISK")]
        disks += [(disk, "DATA_DISK") for disk in instance.data_disks if disk["DiskId"] in data_disk_ids]
        for disk, usage in disks:
            snapshot = {"SnapshotId": self._new_id("snap-"), "DiskUsage": usage, "DiskSize": disk["DiskSize"]}
            image.snapshot_set.append(snapshot)
            region.snapshots[snapshot["SnapshotId"]] = {
                **snapshot, "DiskId": disk["DiskId"], "ImageId": image.image_id, "Region": image.region,
                "CreatedTime": iso_time(image.created_at),
            }

    def describe_images(
        self, region_name: str, image_ids: list[str], filters: Filters, offset: int, limit: int
    ) -> tuple[int, list[Described]]:
        for image_id in image_ids:
            if not IMAGE_ID.match(image_id):
                raise ApiError("InvalidImageId.Malformed", f"Image id `{image_id}` is malformed.")
        pool = [*self.region(region_name).images.values(), *PUBLIC_IMAGES.values()]
        chosen = [image for image in pool if not image_ids or image.image_id in image_ids]
        chosen.sort(key=lambda image: (-image.created_at, image.image_id))
        now = self.clock()
        described = [image.describe(now) for image in chosen]
        return self._page(apply_filters(described, filters, IMAGE_FILTERS), offset, limit)

    def modify_image_attribute(self, region_name: str, image_id: str, changes: dict[str, Any]) -> None:
        """`changes` holds the given ones of ImageName, ImageDescription, ImageFamily, ImageDeprecated."""
        region = self.region(region_name)
        image = self._private_image(region, image_id)
        name = changes.get("ImageName")
        if name is not None and self._name_taken(region, name, except_id=image_id):
            raise ApiError("InvalidImageName.Duplicate", f"Image name `{name}` already exists in this region.")
        image.name = changes.get("ImageName", image.name)
        image.description = changes.get("ImageDescription", image.description)
        image.family = changes.get("ImageFamily", image.family)
        image.deprecated = changes.get("ImageDeprecated", image.deprecated)

    def delete_images(self, region_name: str, image_ids: list[str], delete_snapshots: bool, dry_run: bool) -> None:
        region, now = self.region(region_name), self.clock()
        images = [self._private_image(region, image_id) for image_id in image_ids]
        for image in images:
            if image.state(now) == "CREATING":
                raise ApiError("InvalidImageId.IncorrectState", f"Image `{image.image_id}` is still being created.")
        if dry_run:
            raise _dry_run()
        for image in images:
            del region.images[image.image_id]
            if delete_snapshots:
                for snapshot in image.snapshot_set:
                    region.snapshots.pop(snapshot["SnapshotId"], None)

    # -- control ------------------------------------------------------------------------------

    def control_state(self) -> dict[str, list[Described]]:
        now = self.clock()
        instances, images, snapshots = [], [], []
        for name, region in self.regions.items():
            for instance in region.instances.values():
                instances.append({
                    **instance.describe(now), "Region": name,
                    "soft_shutdown_fails": instance.soft_shutdown_fails,
                    "image_build_fails": instance.image_build_fails,
                })
            images += [{**image.describe(now), "Region": name} for image in region.images.values()]
            snapshots += [dict(snapshot) for snapshot in region.snapshots.values()]
        return {"instances": instances, "images": images, "snapshots": snapshots}

    def patch_instance(self, instance_id: str, facts: Any) -> Described:
        """Change instance facts; KeyError if there is no such instance, ValueError for bad facts."""
        instance = next(
            (region.instances[instance_id] for region in self.regions.values() if instance_id in region.instances), None
        )
        if instance is None:
            raise KeyError(instance_id)
        if not isinstance(facts, dict) or not facts:
            raise ValueError(f"facts must be a non-empty object with keys among {sorted(INSTANCE_FACTS)}")
        for name, value in facts.items():
            if name not in INSTANCE_FACTS or not INSTANCE_FACTS[name][0](value):
                raise ValueError(f"`{name}` is not an instance fact or has a bad value")
        for name, value in facts.items():
            INSTANCE_FACTS[name][1](instance, value, self.clock())
        return instance.describe(self.clock())


def _set_attribute(attribute: str) -> Callable[[Instance, Any, float], None]:
    return lambda instance, value, now: setattr(instance, attribute, value)


def _set_disk_type(instance: Instance, value: Any, now: float) -> None:
    instance.system_disk["DiskType"] = value


def _set_state(instance: Instance, value: Any, now: float) -> None:
    instance.timeline = [[now, value]]


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


# Control-API facts: name -> (is the value valid, apply it).
INSTANCE_FACTS: dict[str, tuple[Callable[[Any], bool], Callable[[Instance, Any, float], None]]] = {
    "soft_shutdown_fails": (_is_bool, _set_attribute("soft_shutdown_fails")),
    "image_build_fails": (_is_bool, _set_attribute("image_build_fails")),
    "system_disk_type": (lambda value: value in DISK_TYPES, _set_disk_type),
    "InstanceState": (lambda value: value in INSTANCE_STATES, _set_state),
    "InstanceName": (lambda value: isinstance(value, str) and 0 < len(value) <= 128, _set_attribute("name")),
}
