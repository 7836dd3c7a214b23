"""CreateImage in both API eras (a mixin of CvmBackend).

2018 (the seed): a RUNNING instance is soft-shut-down (STOPPING -> STOPPED), imaged, and started again; if its soft
shutdown fails the image ends CREATEFAILED unless ForcePoweroff asked to force it; Reboot=false refuses a RUNNING
instance.
Today: ForcePoweroff=false (the default) images a RUNNING instance live and it stays RUNNING; ForcePoweroff=true
powers it off at once (STOPPING -> STOPPED, no soft shutdown to fail) and it stays STOPPED: the API does not
promise to start it again, so a client that wants it running starts it itself. A STOPPED instance is imaged directly
in both eras. SnapshotIds (xor InstanceId) images a system-disk snapshot and touches no instance.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ApiError, dry_run, state_error
from .images import PUBLIC_IMAGES, Image
from .instances import LOCAL_DISK_TYPES, RESCUE_AND_MIGRATION, SOFT_SHUTDOWN_FAILED, Instance
from .tags import MAX_TAGS_PER_RESOURCE, check_tags
from .timeline import Timeline, iso_time, steps

if TYPE_CHECKING:
    from .backend import Region

# Today's CVM names for a tag its TagSpecification may not carry.
CVM_TAG_CODES = {
    "KeyEmpty": "FailedOperation.IllegalTagKey",
    "KeyReserved": "FailedOperation.TagKeyReserved",
    "KeyLengthExceeded": "FailedOperation.IllegalTagKey",
    "KeyCharacterIllegal": "FailedOperation.IllegalTagKey",
    "ValueEmpty": "FailedOperation.IllegalTagValue",
    "ValueLengthExceeded": "FailedOperation.IllegalTagValue",
    "ValueCharacterIllegal": "FailedOperation.IllegalTagValue",
}
# Today's answer for an instance that cannot be imaged in its current state: UnsupportedOperation.InstanceState<State>
# for the states CreateImage's documented error list names; any other state but RUNNING and STOPPED is
# InvalidInstance.NotSupported.
TRANSITIONAL = (
    "STARTING", "STOPPING", "REBOOTING", "TERMINATING",
    *(state for state in RESCUE_AND_MIGRATION if state != "EXIT_SERVICE_LIVE_MIGRATE"),
)
IMAGE_BUILD_FAILED = "The image could not be made from the instance's disks."  # the emulator's words, not the API's


@dataclass
class ImageRequest:
    """A validated CreateImage request: instance_id or snapshot_ids."""

    name: str
    instance_id: str | None = None
    snapshot_ids: list[str] = field(default_factory=list)
    description: str = ""
    family: str = ""
    force_poweroff: bool = False
    reboot: bool = True
    data_disk_ids: list[str] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    dry_run: bool = False


class ImagingActions:
    # Provided by CvmBackend and the other mixins.
    config: Any
    clock: Callable[[], float]
    request_id: str
    region: Callable[[str], "Region"]
    _new_id: Callable[[str], str]
    _instance: Callable[["Region", str], Instance]
    _image_task_running: Callable[["Region", str], bool]
    _name_taken: Callable[..., bool]

    def create_image(self, region_name: str, request: ImageRequest) -> Image:
        region = self.region(region_name)
        if self.config.today:
            check_tags(request.tags, CVM_TAG_CODES, "InvalidParameterValue.DuplicateTags")
            if len(request.tags) > MAX_TAGS_PER_RESOURCE:
                raise ApiError("InvalidParameterValue.TagQuotaLimitExceeded", "An image can have at most 50 tags.")
        if request.snapshot_ids:
            return self._image_from_snapshots(region, region_name, request)
        assert request.instance_id is not None
        instance = self._instance(region, request.instance_id)
        self._check_common(region, request)
        if self._image_task_running(region, instance.instance_id):
            raise ApiError("MutexOperation.TaskRunning", f"Instance `{instance.instance_id}` has an image task.")
        self._check_instance(instance, request)
        if request.dry_run:
            raise dry_run()
        now = self.clock()
        image_steps = self._run_instance_steps(instance, request, now)
        image = self._new_image(region_name, request, steps(now, *image_steps), instance)
        region.images[image.image_id] = image
        self._record_snapshots(region, image, instance, request.data_disk_ids)
        return image

    def _check_common(self, region: "Region", request: ImageRequest) -> None:
        if self._name_taken(region, request.name):
            raise ApiError("InvalidImageName.Duplicate", f"Image name `{request.name}` already exists in this region.")
        if len(region.images) + 1 > self.config.image_quota:
            raise ApiError("ImageQuotaLimitExceeded", f"The image quota of {self.config.image_quota} is used up.")

    def _check_instance(self, instance: Instance, request: ImageRequest) -> None:
        """The checks after the instance lookup, name, quota and task, in the documented order."""
        state = instance.state(self.clock())
        if self.config.today:
            if state in TRANSITIONAL:
                raise state_error(instance.instance_id, state)
            if state == "PENDING":
                raise ApiError(
                    "OperationDenied.InstanceOperationInProgress", f"Instance `{instance.instance_id}` is launching."
                )
        if state not in ("RUNNING", "STOPPED") or (state == "RUNNING" and not request.reboot):
            raise ApiError("InvalidInstance.NotSupported", f"Cannot create an image of an instance in state {state}.")
        if instance.system_disk["DiskType"] in LOCAL_DISK_TYPES:
            raise ApiError("InvalidInstance.NotSupported", "Cannot image an instance with a local system disk.")
        own_disks = {disk["DiskId"] for disk in instance.data_disks}
        for disk_id in request.data_disk_ids:
            if disk_id in own_disks:
                continue
            if not self.config.today:
                raise ApiError(
                    "InvalidParameterValue",
                    f"DataDiskIds: `{disk_id}` is not a data disk of instance `{instance.instance_id}`.",
                )
            if disk_id == instance.system_disk["DiskId"]:
                raise ApiError("InvalidParameter.DataDiskIdContainsRootDisk", f"`{disk_id}` is the system disk.")
            raise ApiError(
                "InvalidParameter.DataDiskNotBelongSpecifiedInstance",
                f"`{disk_id}` is not a data disk of instance `{instance.instance_id}`.",
            )

    def _run_instance_steps(
        self, instance: Instance, request: ImageRequest, now: float
    ) -> tuple[tuple[float, str], ...]:
        """Start the instance's part of the task; returns the image's steps."""
        transition, build = self.config.instance_transition_seconds, self.config.image_build_seconds
        outcome = "CREATEFAILED" if instance.image_build_fails else "NORMAL"
        error = IMAGE_BUILD_FAILED if instance.image_build_fails else ""
        if instance.state(now) == "STOPPED":
            return (0.0, "CREATING"), (build, outcome)
        if self.config.today and not request.force_poweroff:  # live image: the instance keeps running
            self._operate(instance, steps(now, (0.0, "RUNNING"), (build, "RUNNING")), error)
            return (0.0, "CREATING"), (build, outcome)
        if self.config.today:  # forced power-off; the instance stays STOPPED
            self._operate(instance, steps(now, (0.0, "STOPPING"), (transition, "STOPPED"), (build, "STOPPED")), error)
            return (0.0, "CREATING"), (transition + build, outcome)
        if instance.soft_shutdown_fails and not request.force_poweroff:
            self._operate(instance, steps(now, (0.0, "STOPPING"), (transition, "RUNNING")), SOFT_SHUTDOWN_FAILED)
            return (0.0, "CREATING"), (transition, "CREATEFAILED")
        self._operate(instance, steps(
            now, (0.0, "STOPPING"), (transition, "STOPPED"), (build, "STARTING"), (transition, "RUNNING"),
        ), "")
        return (0.0, "CREATING"), (transition + build, outcome)

    def _operate(self, instance: Instance, timeline: Timeline, error: str) -> None:
        instance.set_timeline("CreateImage", timeline, self.request_id, error)

    def _image_from_snapshots(self, region: "Region", region_name: str, request: ImageRequest) -> Image:
        if not self.config.today:
            raise ApiError("InvalidParameterValue", "`SnapshotIds` is not supported by the emulator; use `InstanceId`.")
        snapshots = []
        for snapshot_id in request.snapshot_ids:
            if snapshot_id not in region.snapshots:
                raise ApiError("InvalidParameter.SnapshotNotFound", f"Snapshot `{snapshot_id}` is not found.")
            snapshots.append(region.snapshots[snapshot_id])
        system = [snapshot for snapshot in snapshots if snapshot["DiskUsage"] == "SYSTEM_DISK"]
        if not system:
            raise ApiError("InvalidParameter.SystemSnapshotNotFound", "SnapshotIds lacks a system disk snapshot.")
        if len(system) > 1:
            raise ApiError("InvalidParameter.DuplicateSystemSnapshots", "SnapshotIds has two system disk snapshots.")
        self._check_common(region, request)
        if request.dry_run:
            raise dry_run()
        now, build = self.clock(), self.config.image_build_seconds
        image = self._new_image(region_name, request, steps(now, (0.0, "CREATING"), (build, "NORMAL")), None)
        image.size = int(system[0]["DiskSize"])
        image.snapshot_set = [
            {key: snapshot[key] for key in ("SnapshotId", "DiskUsage", "DiskSize")} for snapshot in snapshots
        ]
        region.images[image.image_id] = image
        return image

    def _new_image(
        self, region_name: str, request: ImageRequest, timeline: Timeline, instance: Instance | None
    ) -> Image:
        source_id = instance.image_id if instance else None
        source = PUBLIC_IMAGES.get(source_id or "") or self.region(region_name).images.get(source_id or "")
        now = timeline[0][0]
        image = Image(
            image_id=self._new_id("img-"), region=region_name, name=request.name, created_at=now,
            timeline=timeline, size=int(instance.system_disk["DiskSize"]) if instance else 0,
            os_name=source.os_name if source else "TencentOS Server 3.1 (TK4)",
            platform=source.platform if source else "TencentOS",
            description=request.description, family=request.family,
            instance_id=instance.instance_id if instance else None,
            visible_at=now + self.config.visibility_lag,
        )
        tags = [dict(tag) for tag in request.tags]
        if self.config.tag_lag > 0 and tags:
            image.pending_tags, image.tags_bind_at = tags, now + self.config.tag_lag
        else:
            image.tags = tags
        return image

    def _record_snapshots(self, region: "Region", image: Image, instance: Instance, data_disk_ids: list[str]) -> None:
        disks = [(instance.system_disk, "SYSTEM_DISK")]
        disks += [(disk, "DATA_DISK") for disk in instance.data_disks if disk["DiskId"] in data_disk_ids]
        for disk, usage in disks:
            snapshot = {"SnapshotId": self._new_id("snap-"), "DiskUsage": usage, "DiskSize": disk["DiskSize"]}
            image.snapshot_set.append(snapshot)
            region.snapshots[snapshot["SnapshotId"]] = {
                **snapshot, "DiskId": disk["DiskId"], "ImageId": image.image_id, "Region": image.region,
                "CreatedTime": iso_time(image.created_at),
            }
