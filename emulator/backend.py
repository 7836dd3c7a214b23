"""CvmBackend: every region's state behind one lock, saved to a JSON file after every change if asked.

The actions live in per-resource mixins (instances.py, images.py, imaging.py, copies.py, sharing.py, families.py,
tags.py, launch_templates.py, launch_configurations.py); this module holds what they share: the regions, persistence,
the transaction, configuration, permission denials and seeding images.
"""

import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from .config import EmulatorConfig
from .copies import CopyActions, CopyFailures
from .errors import ApiError, Conflict
from .families import FamilyActions
from .images import IMAGE_ID, PUBLIC_IMAGES, Image, ImageActions
from .imaging import ImagingActions
from .instances import GONE, SEED_REGION, Instance, InstanceActions, seeded_instances
from .launch_configurations import LaunchConfiguration, LaunchConfigurationActions
from .launch_templates import LaunchTemplate, LaunchTemplateActions
from .sharing import SharingActions
from .sts import Issued, StsActions
from .tags import TagActions
from .timeline import new_id

SEED_IMAGE_KEYS = {"ImageId", "ImageName", "ImageDescription", "InstanceId", "Region", "Tags"}
DENIABLE = re.compile(r"^((cvm|tag|as|sts):)?([A-Z][A-Za-z]+|\*)$")  # "CreateImage", "cvm:CreateImage", "tag:*", "*"


@dataclass
class Region:
    instances: dict[str, Instance] = field(default_factory=dict)
    images: dict[str, Image] = field(default_factory=dict)
    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)
    launch_templates: dict[str, LaunchTemplate] = field(default_factory=dict)
    launch_configurations: dict[str, LaunchConfiguration] = field(default_factory=dict)  # Auto Scaling's


def seeded_regions() -> dict[str, Region]:
    return {SEED_REGION: Region(instances={instance.instance_id: instance for instance in seeded_instances()})}


def _regions_to_json(regions: dict[str, Region]) -> dict[str, Any]:
    return {
        name: {
            "instances": [asdict(instance) for instance in region.instances.values()],
            "images": [asdict(image) for image in region.images.values()],
            "snapshots": list(region.snapshots.values()),
            "launch_templates": [template.to_json() for template in region.launch_templates.values()],
            "launch_configurations": [asdict(config) for config in region.launch_configurations.values()],
        }
        for name, region in regions.items()
    }


def _regions_from_json(data: dict[str, Any]) -> dict[str, Region]:
    return {
        name: Region(
            instances={raw["instance_id"]: Instance(**raw) for raw in region["instances"]},
            images={raw["image_id"]: Image(**raw) for raw in region["images"]},
            snapshots={raw["SnapshotId"]: raw for raw in region["snapshots"]},
            launch_templates={
                raw["template_id"]: LaunchTemplate.from_json(raw) for raw in region.get("launch_templates", [])
            },
            launch_configurations={
                raw["config_id"]: LaunchConfiguration(**raw) for raw in region.get("launch_configurations", [])
            },
        )
        for name, region in data.items()
    }


def _check_seed_payload(payload: Any) -> None:
    if not isinstance(payload, dict) or not {"ImageId", "ImageName"} <= set(payload) or set(payload) - SEED_IMAGE_KEYS:
        raise ValueError(f"expected an object with ImageId and ImageName, keys among {sorted(SEED_IMAGE_KEYS)}")
    image_id, tags = payload["ImageId"], payload.get("Tags", [])
    if not isinstance(image_id, str) or not IMAGE_ID.fullmatch(image_id):
        raise ValueError(f"ImageId must be img- and 8 lowercase letters or digits, got {image_id!r}")
    if not isinstance(tags, list) or not all(isinstance(tag, dict) and set(tag) == {"Key", "Value"} for tag in tags):
        raise ValueError('Tags must be a list of {"Key": ..., "Value": ...}')


class CvmBackend(
    InstanceActions, ImageActions, ImagingActions, CopyActions, SharingActions, FamilyActions, TagActions,
    LaunchTemplateActions, LaunchConfigurationActions, StsActions,
):
    def __init__(self, config: EmulatorConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.start_config = config
        self.clock = clock
        self.lock = threading.Lock()
        self.request_id = ""  # the API call the transaction serves
        self.regions = self._load() if config.state_path else seeded_regions()
        self.denied: set[str] = set()
        self.copy_failures = CopyFailures()
        self.temporary_keys: dict[str, Issued] = {}  # STS credentials by secret id; never saved

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
    def transaction(self, save: bool = True, request_id: str = "") -> Iterator[None]:
        """Hold the lock; save afterwards unless the body raised. `request_id` is the API call's, for the state that
        records it (LatestOperationRequestId)."""
        with self.lock:
            self._catch_up()
            self.request_id = request_id
            yield
            if save:
                self.save()

    def _catch_up(self) -> None:
        """What the clock has made true: terminated instances are gone, due tags are bound."""
        now = self.clock()
        for region in self.regions.values():
            for key in [key for key, instance in region.instances.items() if instance.state(now) == GONE]:
                del region.instances[key]
            for image in region.images.values():
                image.bind_due_tags(now)

    def reset(self) -> None:
        with self.lock:
            self.regions = seeded_regions()
            self.config = self.start_config
            self.denied = set()
            self.copy_failures.clear()
            self.temporary_keys.clear()
            self.save()

    def set_config(self, changes: Any) -> dict[str, Any]:
        with self.lock:
            self.config = self.config.with_changes(changes)
            return self.config.tunables()

    # -- permission-policy denials ------------------------------------------------------------

    def set_denials(self, payload: Any) -> dict[str, list[str]]:
        """Replace the denied actions: {"actions": ["CreateImage", "tag:TagResources", "cvm:*", ...]}."""
        if not isinstance(payload, dict) or set(payload) != {"actions"} or not isinstance(payload["actions"], list):
            raise ValueError('expected {"actions": ["CreateImage", "cvm:DeleteImages", "tag:*", ...]}')
        for action in payload["actions"]:
            if not isinstance(action, str) or not DENIABLE.match(action):
                raise ValueError(f"`{action}` is not an action name, `service:Action`, `service:*` or `*`")
        with self.lock:
            self.denied = set(payload["actions"])
        return self.denials()

    def denials(self) -> dict[str, list[str]]:
        return {"actions": sorted(self.denied)}

    def check_allowed(self, service: str, action: str) -> None:
        """Answer like a CAM policy that denies the action."""
        if self.denied & {action, f"{service}:{action}", f"{service}:*", "*"}:
            raise ApiError(
                "AuthFailure.UnauthorizedOperation",
                f"You are not authorized to perform operation ({service}:{action}): a permission policy denies it.",
            )

    # -- lookups ------------------------------------------------------------------------------

    def region(self, name: str) -> Region:
        return self.regions.setdefault(name, Region())

    def _taken_ids(self) -> set[str]:
        taken = set(PUBLIC_IMAGES)
        for region in self.regions.values():
            taken.update(region.instances, region.images, region.snapshots)
            taken.update(region.launch_templates, region.launch_configurations)
            for instance in region.instances.values():
                taken.update(disk["DiskId"] for disk in [instance.system_disk, *instance.data_disks])
        return taken

    def _new_id(self, prefix: str) -> str:
        return new_id(prefix, self._taken_ids())

    # -- control ------------------------------------------------------------------------------

    def seed_image(self, payload: Any) -> Image:
        """A NORMAL custom image with the id given, as if made long ago: what a saved stack state names must exist.

        `payload` is the control API's {"ImageId", "ImageName", ...}: ValueError says what is wrong with it, Conflict
        that its id is taken.
        """
        _check_seed_payload(payload)
        image_id = payload["ImageId"]
        if image_id in self._taken_ids():
            raise Conflict(f"the id {image_id} is taken")
        now, region = self.clock(), payload.get("Region", SEED_REGION)
        image = Image(
            image_id=image_id, region=region, name=str(payload["ImageName"]), created_at=now,
            timeline=[[now, "NORMAL"]], size=50, os_name="TencentOS Server 3.1 (TK4)", platform="TencentOS",
            description=str(payload.get("ImageDescription", "")), instance_id=payload.get("InstanceId"),
            tags=[dict(tag) for tag in payload.get("Tags", [])],
        )
        self.region(region).images[image_id] = image
        return image
