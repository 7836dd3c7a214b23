"""Instances: their state, seeding, and the instance actions (a mixin of CvmBackend)."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ApiError, dry_run, state_error
from .images import CVM_LAUNCH, PUBLIC_IMAGES, LaunchCodes
from .timeline import Timeline, state_at, steps

if TYPE_CHECKING:
    from .backend import Region

SEED_REGION = "ap-guangzhou"
SEED_ZONE = "ap-guangzhou-3"
DEFAULT_IMAGE_ID = "img-9id7emv7"
DISK_TYPES = (
    "LOCAL_BASIC", "LOCAL_SSD", "CLOUD_BASIC", "CLOUD_SSD", "CLOUD_PREMIUM", "CLOUD_BSSD", "CLOUD_HSSD", "CLOUD_TSSD",
)
LOCAL_DISK_TYPES = ("LOCAL_BASIC", "LOCAL_SSD")
# The API's instance states (InstanceStatus); the control API sets any of them.
RESCUE_AND_MIGRATION = (
    "ENTER_RESCUE_MODE", "RESCUE_MODE", "EXIT_RESCUE_MODE",
    "ENTER_SERVICE_LIVE_MIGRATE", "SERVICE_LIVE_MIGRATE", "EXIT_SERVICE_LIVE_MIGRATE",
)
INSTANCE_STATES = (
    "PENDING", "LAUNCH_FAILED", "RUNNING", "STOPPED", "STARTING", "STOPPING", "REBOOTING", "SHUTDOWN", "TERMINATING",
    *RESCUE_AND_MIGRATION,
)
# The states whose UnsupportedOperation.InstanceState<State> code each action's documented error list holds (Go SDK
# client.go); a state it refuses without one answers InvalidInstance.NotSupported, which both lists hold.
LISTED_STATE_CODES = {
    "StopInstances": frozenset(INSTANCE_STATES) - {"LAUNCH_FAILED"},
    "StartInstances": frozenset(INSTANCE_STATES) - {
        "LAUNCH_FAILED", "ENTER_SERVICE_LIVE_MIGRATE", "EXIT_SERVICE_LIVE_MIGRATE"},
}
STOP_TYPES = ("SOFT", "SOFT_FIRST", "HARD")
STOPPED_MODES = ("KEEP_CHARGING", "STOP_CHARGING")
GONE = "GONE"  # internal last step of a terminated instance: it disappears from every answer
INSTANCE_ID = re.compile(r"^ins-[a-z0-9]{8}$")
DEFAULT_OS_NAME = "TencentOS Server 3.1 (TK4)"  # the OS of the default public image
# LatestOperationErrorMsg of a failed soft shutdown: the emulator's words (no source shows the API's)
SOFT_SHUTDOWN_FAILED = "The soft shutdown failed: the operating system did not shut down."


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
    os_name: str = DEFAULT_OS_NAME
    latest_operation: str | None = None
    latest_operation_failed: bool = False
    latest_operation_error: str = ""  # LatestOperationErrorMsg of a failed operation
    latest_operation_request_id: str | None = None
    operation_reported_at: float | None = None  # LatestOperationState leaves OPERATING then (None: at the last step)
    stopped_mode: str = "KEEP_CHARGING"  # StopInstances' StoppedMode: what StopChargingMode shows while STOPPED
    soft_shutdown_fails: bool = False
    image_build_fails: bool = False

    def state(self, now: float) -> str:
        return state_at(self.timeline, now)

    def operation_state(self, now: float) -> str | None:
        """LatestOperationState: OPERATING until the operation reports, then FAILED or SUCCESS (None if never
        operated on)."""
        if self.latest_operation is None:
            return None
        reported_at = self.timeline[-1][0] if self.operation_reported_at is None else self.operation_reported_at
        if now < reported_at:
            return "OPERATING"
        return "FAILED" if self.latest_operation_failed else "SUCCESS"

    def set_timeline(
        self, operation: str, timeline: Timeline, request_id: str, error: str = "", reported_at: float | None = None
    ) -> None:
        """Start `operation` (answered with `request_id`): its steps, and what LatestOperation* say of it. A non-empty
        `error` makes it FAILED; `reported_at` is when it stops being OPERATING (default: its last step)."""
        self.timeline = timeline
        self.latest_operation, self.latest_operation_request_id = operation, request_id
        self.latest_operation_failed, self.latest_operation_error = bool(error), error
        self.operation_reported_at = reported_at
        self.stopped_mode = "KEEP_CHARGING"


def _seed_instance(number: int, name: str, state: str) -> Instance:
    return Instance(
        instance_id=f"ins-emu0000{number}", region=SEED_REGION, zone=SEED_ZONE, name=name,
        instance_type="S5.MEDIUM4", image_id=DEFAULT_IMAGE_ID,
        system_disk={"DiskId": f"disk-emu000{number}s", "DiskType": "CLOUD_PREMIUM", "DiskSize": 50},
        data_disks=[{"DiskId": f"disk-emu000{number}d", "DiskType": "CLOUD_PREMIUM", "DiskSize": 100}],
        created_at=1_704_067_200.0 + 60 * number,  # 2024-01-01T00:0N:00Z: the higher the number, the newer
        timeline=[[0.0, state]],
    )


def seeded_instances() -> list[Instance]:
    return [
        _seed_instance(1, "builder-web", "STOPPED"),
        _seed_instance(2, "builder-api", "RUNNING"),
        _seed_instance(3, "builder-batch", "RUNNING"),
    ]


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


@dataclass(frozen=True)
class StopRequest:
    """A validated StopInstances of today's API: StopType (ForceStop already turned into one) and StoppedMode."""

    stop_type: str = "SOFT"
    stopped_mode: str = "KEEP_CHARGING"


# What each power action accepts, and the steps it starts: (seconds after the previous step, state);
# None stands for instance_transition_seconds.
POWER_ACTIONS: dict[str, tuple[tuple[str, ...], tuple[tuple[float | None, str], ...]]] = {
    "StartInstances": (("STOPPED",), ((0.0, "STARTING"), (None, "RUNNING"))),
    "StopInstances": (("RUNNING",), ((0.0, "STOPPING"), (None, "STOPPED"))),
    "TerminateInstances": (
        ("RUNNING", "STOPPED", "LAUNCH_FAILED", "SHUTDOWN"), ((0.0, "TERMINATING"), (None, GONE)),
    ),
}


def _refusal(action: str, instance_id: str, state: str) -> ApiError:
    """An instance in a state the action does not take, with a code the action documents."""
    listed = LISTED_STATE_CODES.get(action)
    if listed is None or state in listed:
        return state_error(instance_id, state)
    return ApiError("InvalidInstance.NotSupported", f"Instance `{instance_id}` is {state}: the operation is not supported.")


def _os_name(region: "Region", image_id: str) -> str:
    image = PUBLIC_IMAGES.get(image_id) or region.images.get(image_id)
    return image.os_name if image else DEFAULT_OS_NAME


class InstanceActions:
    """RunInstances, DescribeInstances, Start/Stop/TerminateInstances and the instance control facts."""

    # Provided by CvmBackend and the other mixins.
    config: Any
    clock: Callable[[], float]
    request_id: str
    regions: dict[str, "Region"]
    region: Callable[[str], "Region"]
    _new_id: Callable[[str], str]
    _launchable_image: Callable[["Region", str, LaunchCodes], None]
    _image_task_running: Callable[["Region", str], bool]

    @staticmethod
    def _instance(region: "Region", instance_id: str) -> Instance:
        if not INSTANCE_ID.match(instance_id):
            raise ApiError("InvalidInstanceId.Malformed", f"Instance id `{instance_id}` is malformed.")
        if instance_id not in region.instances:
            raise ApiError("InvalidInstanceId.NotFound", f"Instance `{instance_id}` is not found.")
        return region.instances[instance_id]

    def run_instances(self, region_name: str, launch: LaunchRequest) -> list[str]:
        check_zone(launch.zone, region_name)
        region = self.region(region_name)
        self._launchable_image(region, launch.image_id, CVM_LAUNCH)
        if launch.dry_run:
            raise dry_run()
        now = self.clock()
        return [self._launch(region, region_name, launch, now).instance_id for _ in range(launch.count)]

    def _launch(self, region: "Region", region_name: str, launch: LaunchRequest, now: float) -> Instance:
        instance = Instance(
            instance_id=self._new_id("ins-"), region=region_name, zone=launch.zone, name=launch.name,
            instance_type=launch.instance_type, image_id=launch.image_id,
            system_disk={"DiskId": self._new_id("disk-"), **launch.system_disk},
            data_disks=[], created_at=now, tags=[dict(tag) for tag in launch.tags],
            timeline=steps(now, (0.0, "PENDING"), (self.config.instance_transition_seconds, "RUNNING")),
            latest_operation="RunInstances", latest_operation_request_id=self.request_id,
            os_name=_os_name(region, launch.image_id),
        )
        region.instances[instance.instance_id] = instance
        instance.data_disks = [{"DiskId": self._new_id("disk-"), **disk} for disk in launch.data_disks]
        return instance

    def listed_instances(self, region_name: str, instance_ids: list[str]) -> list[Instance]:
        """What DescribeInstances lists, newest first whatever the order of `instance_ids` (as recorded): the region's
        instances, only those of `instance_ids` if any are given."""
        region = self.region(region_name)
        for instance_id in instance_ids:
            if not INSTANCE_ID.match(instance_id):
                raise ApiError("InvalidInstanceId.Malformed", f"Instance id `{instance_id}` is malformed.")
        chosen = [i for i in region.instances.values() if not instance_ids or i.instance_id in instance_ids]
        return sorted(chosen, key=lambda i: (-i.created_at, i.instance_id))

    def change_power(
        self, region_name: str, action: str, instance_ids: list[str], stop: StopRequest | None = None
    ) -> None:
        """Start, stop or terminate all the instances, or none of them. `stop` is today's StopInstances (StopType,
        StoppedMode); without it a stop is the 2018 era's, which always succeeds."""
        allowed = POWER_ACTIONS[action][0]
        region, now = self.region(region_name), self.clock()
        instances = [self._instance(region, instance_id) for instance_id in instance_ids]
        for instance in instances:
            state = instance.state(now)
            if state not in allowed:
                raise _refusal(action, instance.instance_id, state)
            if self._image_task_running(region, instance.instance_id):
                raise ApiError(
                    "OperationDenied.InstanceOperationInProgress",
                    f"Instance `{instance.instance_id}` has an image task in progress.",
                )
            if stop and stop.stopped_mode == "STOP_CHARGING" and instance.system_disk["DiskType"] in LOCAL_DISK_TYPES:
                raise ApiError(
                    "UnsupportedOperation.StoppedModeStopCharging",
                    f"Instance `{instance.instance_id}` has a local disk: it cannot stop charging while stopped.",
                )
        for instance in instances:
            if stop is None:
                instance.set_timeline(action, self._power_steps(action, now), self.request_id)
            else:
                self._stop(instance, stop, now)

    def _power_steps(self, action: str, now: float) -> Timeline:
        transition = self.config.instance_transition_seconds
        return steps(now, *((transition if delay is None else delay, state) for delay, state in POWER_ACTIONS[action][1]))

    def _stop(self, instance: Instance, stop: StopRequest, now: float) -> None:
        """Today's StopInstances on one instance. A soft shutdown fails on an instance with `soft_shutdown_fails`:
        SOFT then ends back in RUNNING, FAILED; SOFT_FIRST forces the shutdown after it; HARD forces it at once.
        A stop that succeeds reports SUCCESS halfway through its last STOPPING step, before STOPPED (as recorded)."""
        transition = self.config.instance_transition_seconds
        soft_fails = instance.soft_shutdown_fails and stop.stop_type != "HARD"
        if soft_fails and stop.stop_type == "SOFT":
            timeline = steps(now, (0.0, "STOPPING"), (transition, "RUNNING"))
            instance.set_timeline("StopInstances", timeline, self.request_id, error=SOFT_SHUTDOWN_FAILED)
            return
        stopping = 2 * transition if soft_fails else transition  # SOFT_FIRST: the soft attempt, then the forced one
        timeline = steps(now, (0.0, "STOPPING"), (stopping, "STOPPED"))
        reported_at = now + stopping - transition / 2
        instance.set_timeline("StopInstances", timeline, self.request_id, reported_at=reported_at)
        instance.stopped_mode = stop.stopped_mode

    def patch_instance(self, instance_id: str, facts: Any) -> Instance:
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
        return instance


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


def check_zone(zone: str, region: str) -> None:
    """A zone of the request's region (`ap-guangzhou-3` for `ap-guangzhou`)."""
    if not zone.startswith(region + "-"):
        raise ApiError("InvalidZone.MismatchRegion", f"Zone `{zone}` is not in region {region}.")
