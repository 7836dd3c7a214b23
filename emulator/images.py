"""Images: their state, the public images, DescribeImages, ModifyImageAttribute and DeleteImages (a mixin of
CvmBackend).

CreateImage is in imaging.py, SyncImages in copies.py, sharing in sharing.py, families in families.py.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ApiError, dry_run
from .timeline import Timeline, state_at

if TYPE_CHECKING:
    from .backend import Region

IMAGE_ID = re.compile(r"^img-[a-z0-9]{8}$")
BUSY_STATES = ("CREATING", "SYNCING", "IMPORTING")  # today's API refuses to modify or delete an image in these


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
    tags: list[dict[str, str]] = field(default_factory=list)  # bound tags: what DescribeImages and the Tag API see
    pending_tags: list[dict[str, str]] = field(default_factory=list)  # CreateImage's tags, bound at tags_bind_at
    tags_bind_at: float | None = None
    visible_at: float = 0.0  # DescribeImages lists the image from this time on
    shared_with: list[dict[str, str]] = field(default_factory=list)  # [{"AccountId", "CreatedTime"}]
    copied_from: dict[str, str] | None = None  # a SyncImages copy: {"ImageId", "Region"} of its source
    encrypted: bool = False  # a SyncImages copy made with Encrypt=true

    def state(self, now: float) -> str:
        return state_at(self.timeline, now)

    def bind_due_tags(self, now: float) -> None:
        """Bind CreateImage's tags once their time has come; they overwrite values set meanwhile (a late bind)."""
        if self.tags_bind_at is None or self.tags_bind_at > now:
            return
        bound = {tag["Key"]: tag["Value"] for tag in self.tags}
        bound.update({tag["Key"]: tag["Value"] for tag in self.pending_tags})
        self.tags = [{"Key": key, "Value": value} for key, value in bound.items()]
        self.pending_tags, self.tags_bind_at = [], None


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


@dataclass(frozen=True)
class LaunchCodes:
    """The codes an API answers with when asked to launch from an image it cannot launch from."""

    malformed: str
    not_found: str
    busy: str  # CREATING, SYNCING, IMPORTING: taken by another operation, retry later
    unusable: str  # CREATEFAILED, IMPORTFAILED


# RunInstances and the CVM launch templates (the Go SDK's error lists of RunInstances and CreateLaunchTemplate).
CVM_LAUNCH = LaunchCodes(
    malformed="InvalidImageId.Malformed", not_found="InvalidImageId.NotFound",
    busy="InvalidParameterValue.InvalidImageState", unusable="InvalidParameterValue.InvalidImageId",
)


def check_lengths(name: str | None, description: str | None, code: str) -> None:
    for label, value, maximum in (("ImageName", name, 60), ("ImageDescription", description, 256)):
        if value is not None and len(value) > maximum:
            raise ApiError(code, f"`{label}` is longer than {maximum} characters.")


class ImageActions:
    """DescribeImages, ModifyImageAttribute and DeleteImages."""

    # Provided by CvmBackend.
    config: Any
    clock: Callable[[], float]
    region: Callable[[str], "Region"]

    @staticmethod
    def _private_image(region: "Region", image_id: str) -> Image:
        if not IMAGE_ID.match(image_id):
            raise ApiError("InvalidImageId.Malformed", f"Image id `{image_id}` is malformed.")
        if image_id in PUBLIC_IMAGES:
            raise ApiError("UnauthorizedOperation.ImageNotBelongToAccount", f"Image `{image_id}` is a public image.")
        if image_id not in region.images:
            raise ApiError("InvalidImageId.NotFound", f"Image `{image_id}` is not found.")
        return region.images[image_id]

    def _launchable_image(self, region: "Region", image_id: str, codes: LaunchCodes) -> None:
        """A public image, or a NORMAL private image of the region; anything else is refused with `codes`."""
        if image_id in PUBLIC_IMAGES:
            return
        if not IMAGE_ID.match(image_id):
            raise ApiError(codes.malformed, f"Image id `{image_id}` is malformed.")
        image = region.images.get(image_id)
        if image is None:
            raise ApiError(codes.not_found, f"Image `{image_id}` is not found.")
        state = image.state(self.clock())
        if state in BUSY_STATES:
            raise ApiError(codes.busy, f"Image `{image_id}` is {state}: another operation holds it; retry later.")
        if state != "NORMAL":
            raise ApiError(codes.unusable, f"Image `{image_id}` is {state}; nothing can be launched from it.")

    def _image_task_running(self, region: "Region", instance_id: str) -> bool:
        now = self.clock()
        return any(
            image.instance_id == instance_id and image.state(now) == "CREATING" for image in region.images.values()
        )

    @staticmethod
    def _name_taken(region: "Region", name: str, except_id: str | None = None) -> bool:
        return any(image.name == name and image.image_id != except_id for image in region.images.values())

    def listed_images(self, region_name: str, image_ids: list[str], now: float) -> list[Image]:
        """What DescribeImages lists at `now`, newest first: the visible private images of the region and the public
        ones, only those of `image_ids` if any are given."""
        for image_id in image_ids:
            if not IMAGE_ID.match(image_id):
                raise ApiError("InvalidImageId.Malformed", f"Image id `{image_id}` is malformed.")
        pool = [image for image in self.region(region_name).images.values() if image.visible_at <= now]
        pool += PUBLIC_IMAGES.values()
        chosen = [image for image in pool if not image_ids or image.image_id in image_ids]
        return sorted(chosen, key=lambda image: (-image.created_at, image.image_id))

    def _modifiable(self, region: "Region", image_id: str) -> Image:
        image = self._private_image(region, image_id)
        if image.shared_with:
            raise ApiError(
                "UnsupportedOperation.SharedImageModifyUnsupported",
                f"Image `{image_id}` is shared with other accounts; cancel the sharing before modifying it.",
            )
        if self.config.today and image.state(self.clock()) in BUSY_STATES:
            raise ApiError(
                "InvalidImageId.IncorrectState",
                f"Image `{image_id}` is {image.state(self.clock())}; it can be modified once it is NORMAL.",
            )
        return image

    def modify_image_attribute(self, region_name: str, image_id: str, changes: dict[str, Any]) -> None:
        """`changes` holds the given ones of ImageName, ImageDescription, ImageFamily, ImageDeprecated."""
        region = self.region(region_name)
        image = self._modifiable(region, image_id)
        name = changes.get("ImageName")
        if name is not None and self._name_taken(region, name, except_id=image_id):
            raise ApiError("InvalidImageName.Duplicate", f"Image name `{name}` already exists in this region.")
        image.name = changes.get("ImageName", image.name)
        image.description = changes.get("ImageDescription", image.description)
        image.family = changes.get("ImageFamily", image.family)
        image.deprecated = changes.get("ImageDeprecated", image.deprecated)

    def delete_images(self, region_name: str, image_ids: list[str], delete_snapshots: bool, dry: bool) -> None:
        region, now = self.region(region_name), self.clock()
        images = [self._private_image(region, image_id) for image_id in image_ids]
        busy = BUSY_STATES if self.config.today else ("CREATING",)
        for image in images:
            if image.state(now) in busy:
                raise ApiError("InvalidImageId.IncorrectState", f"Image `{image.image_id}` is {image.state(now)}.")
            if image.shared_with:
                raise ApiError(
                    "InvalidImageId.InShared",
                    f"Image `{image.image_id}` is shared with other accounts; cancel the sharing before deleting it.",
                )
        if dry:
            raise dry_run()
        for image in images:
            del region.images[image.image_id]
            if delete_snapshots:
                for snapshot in image.snapshot_set:
                    region.snapshots.pop(snapshot["SnapshotId"], None)
