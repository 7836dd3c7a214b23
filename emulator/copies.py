"""SyncImages: copies of a private image into other regions (a mixin of CvmBackend).

Each copy is an image of its destination region from the start: CREATING for `image_copy_seconds`, then NORMAL (or
CREATEFAILED, the API's only failure state for a made image, when the control API's copy-failure switch says so).
It takes the destination's quota and a name there, shows in DescribeImages after the visibility lag and is deleted
like any image. Meanwhile the source is SYNCING, and back to NORMAL when its copies are done.
"""

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .config import REGIONS
from .errors import ApiError, dry_run
from .images import PUBLIC_IMAGES, Image
from .timeline import iso_time, steps

if TYPE_CHECKING:
    from .backend import Region

# Regions that exist but take part in no image copy. Tencent documents that some regions do not support syncing
# ("暂不支持部分地域同步") without naming them; the emulator takes the finance regions (an assumption, README "Known
# differences"): copying into one is InvalidRegion.Unavailable, copying out of one UnsupportedOperation.Region.
NO_SYNC_REGIONS = ("ap-shanghai-fsi", "ap-shenzhen-fsi")
# SyncImages documents three "image busy" codes; the emulator answers them by the source's state, after their wording
# (an inference: no source says which state gets which). "The image is busy. Please try again later." for a copy in
# progress; "The image has another ongoing task. Please check and try again later." while it is made or imported;
# "Invalid image status." (no retry) for a state that never becomes NORMAL (CREATEFAILED, IMPORTFAILED).
SYNC_BUSY_CODES = {
    "SYNCING": "FailedOperation.InvalidImageState",
    "CREATING": "InvalidParameterValue.InvalidImageState",
    "IMPORTING": "InvalidParameterValue.InvalidImageState",
}
KMS_KEY_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ANY_REGION = "*"


@dataclass
class SyncRequest:
    """A validated SyncImages request (one image; the destinations are distinct)."""

    image_id: str
    regions: list[str]
    name: str | None = None
    encrypt: bool = False
    kms_key_id: str | None = None
    dry_run: bool = False


class CopyFailures:
    """The control API's copy-failure switch: destination region (or "*") -> how many more copies there fail."""

    def __init__(self) -> None:
        self._left: dict[str, int] = {}

    def add(self, payload: Any) -> dict[str, int]:
        """{"region": "ap-shanghai" or "*", "count": N}: the next N copies into that region (any region) fail."""
        if not isinstance(payload, dict) or set(payload) - {"region", "count"}:
            raise ValueError('expected {"region": "<region>" or "*", "count": N}')
        region, count = payload.get("region", ANY_REGION), payload.get("count", 1)
        if region != ANY_REGION and region not in REGIONS:
            raise ValueError(f"`region` must be \"*\" or one of {list(REGIONS)}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError("`count` must be a positive integer")
        self._left[region] = self._left.get(region, 0) + count
        return self.left()

    def take(self, destination: str) -> bool:
        """Whether the next copy into `destination` fails; uses up one switch if so."""
        for key in (destination, ANY_REGION):
            if self._left.get(key, 0) > 0:
                self._left[key] -= 1
                if not self._left[key]:
                    del self._left[key]
                return True
        return False

    def left(self) -> dict[str, int]:
        return dict(self._left)

    def clear(self) -> None:
        self._left = {}


class CopyActions:
    # Provided by CvmBackend and the other mixins.
    config: Any
    clock: Callable[[], float]
    region: Callable[[str], "Region"]
    lock: threading.Lock
    copy_failures: CopyFailures
    _new_id: Callable[[str], str]
    _private_image: Callable[["Region", str], Image]
    _name_taken: Callable[..., bool]

    def sync_images(self, region_name: str, request: SyncRequest) -> list[Image]:
        """Start the copies (all or none); returns them in the order of `request.regions`."""
        self._check_destinations(region_name, request)
        source = self._sync_source(self.region(region_name), request.image_id)
        name = request.name or source.name
        for destination in request.regions:
            self._check_room(destination, name)
        if request.dry_run:
            raise dry_run()
        now = self.clock()
        copies = [self._copy(source, destination, name, request.encrypt, now) for destination in request.regions]
        source.timeline += [[now, "SYNCING"], [now + self.config.image_copy_seconds, "NORMAL"]]
        return copies

    @staticmethod
    def _check_destinations(region_name: str, request: SyncRequest) -> None:
        if region_name in NO_SYNC_REGIONS:
            raise ApiError("UnsupportedOperation.Region", f"Images of region `{region_name}` cannot be synced.")
        for destination in request.regions:
            if destination not in REGIONS:
                raise ApiError("InvalidRegion.NotFound", f"Region `{destination}` is not found.")
            if destination in NO_SYNC_REGIONS:
                raise ApiError(
                    "InvalidRegion.Unavailable", f"Region `{destination}` does not support image synchronization."
                )
        if request.encrypt:
            # An encrypted copy is made in the source's own region only.
            if request.regions != [region_name]:
                raise ApiError(
                    "InvalidParameterValue.InvalidRegion",
                    f"An encrypted copy goes to the source's region only: DestinationRegions must be [{region_name}].",
                )
            if request.kms_key_id is not None and not KMS_KEY_ID.match(request.kms_key_id):
                raise ApiError("InvalidParameter.InvalidKmsKeyId", f"KMS key `{request.kms_key_id}` is invalid.")
        elif region_name in request.regions:
            raise ApiError(
                "InvalidParameterValue.InvalidRegion",
                f"A custom image cannot be synced to its own region `{region_name}`.",
            )

    def _sync_source(self, region: "Region", image_id: str) -> Image:
        if image_id in PUBLIC_IMAGES:
            raise ApiError("InvalidParameterValue.InvalidImageId", f"Image `{image_id}` is a public image.")
        image = self._private_image(region, image_id)
        state = image.state(self.clock())
        if state != "NORMAL":
            code = SYNC_BUSY_CODES.get(state, "InvalidImageId.IncorrectState")
            raise ApiError(code, f"Image `{image_id}` is {state}; only a NORMAL image can be synced.")
        if image.encrypted:
            raise ApiError("UnsupportedOperation.EncryptedImagesNotSupported", f"Image `{image_id}` is encrypted.")
        return image

    def _check_room(self, destination: str, name: str) -> None:
        region = self.region(destination)
        if self._name_taken(region, name):
            raise ApiError("InvalidImageName.Duplicate", f"Image name `{name}` already exists in `{destination}`.")
        if len(region.images) + 1 > self.config.image_quota:
            quota = self.config.image_quota
            raise ApiError("ImageQuotaLimitExceeded", f"The image quota of {quota} in `{destination}` is used up.")

    def _copy(self, source: Image, destination: str, name: str, encrypt: bool, now: float) -> Image:
        outcome = "CREATEFAILED" if self.copy_failures.take(destination) else "NORMAL"
        copy = Image(
            image_id=self._new_id("img-"), region=destination, name=name, created_at=now,
            timeline=steps(now, (0.0, "CREATING"), (self.config.image_copy_seconds, outcome)),
            size=source.size, os_name=source.os_name, platform=source.platform, description=source.description,
            family=source.family, visible_at=now + self.config.visibility_lag,
            copied_from={"ImageId": source.image_id, "Region": source.region}, encrypted=encrypt,
        )
        region = self.region(destination)
        region.images[copy.image_id] = copy
        copy.snapshot_set = [self._copy_snapshot(region, copy, snapshot) for snapshot in source.snapshot_set]
        return copy

    def _copy_snapshot(self, region: "Region", copy: Image, snapshot: dict[str, Any]) -> dict[str, Any]:
        made = {"SnapshotId": self._new_id("snap-"), **{key: snapshot[key] for key in ("DiskUsage", "DiskSize")}}
        region.snapshots[made["SnapshotId"]] = {
            **made, "DiskId": None, "ImageId": copy.image_id, "Region": copy.region,
            "CreatedTime": iso_time(copy.created_at),
        }
        return made

    # -- the control API's copy-failure switch --------------------------------------------------

    def set_copy_failures(self, payload: Any) -> dict[str, int]:
        with self.lock:
            return self.copy_failures.add(payload)

    def clear_copy_failures(self) -> dict[str, int]:
        with self.lock:
            self.copy_failures.clear()
            return self.copy_failures.left()

