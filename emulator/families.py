"""Image families: a family names a line of images; its newest NORMAL, non-deprecated one is the one to use
(a mixin of CvmBackend)."""

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import ApiError
from .images import Image

if TYPE_CHECKING:
    from .backend import Region

# Tencent documents no rule for a family name (only that a malformed one is InvalidParameterValue.InvalidImageFamily);
# the emulator takes a letter, then letters, digits, '.', '_' and '-', at most 60 characters in all.
FAMILY = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,59}$")


def check_family(family: str | None) -> None:
    """An empty family means none (ModifyImageAttribute clears it so)."""
    if family and not FAMILY.match(family):
        raise ApiError("InvalidParameterValue.InvalidImageFamily", f"Image family `{family}` is malformed.")


def family_members(images: list[Image], family: str, now: float) -> list[Image]:
    """The family's usable images, newest first: NORMAL, not deprecated, visible."""
    members = [
        image for image in images
        if family and image.family == family and not image.deprecated and image.visible_at <= now
        and image.state(now) == "NORMAL"
    ]
    return sorted(members, key=lambda image: (-image.created_at, image.image_id))


class FamilyActions:
    # Provided by CvmBackend.
    clock: Callable[[], float]
    region: Callable[[str], "Region"]
    regions: dict[str, Any]

    def image_from_family(self, region_name: str, family: str, now: float) -> Image | None:
        """What DescribeImageFromFamily answers at `now`: the family's newest usable image in the region, or None."""
        members = family_members(list(self.region(region_name).images.values()), family, now)
        return members[0] if members else None

    def family_heads(self) -> dict[str, dict[str, str]]:
        """For the control view: region -> family -> the image DescribeImageFromFamily answers."""
        now, heads = self.clock(), {}
        for name, region in self.regions.items():
            images = list(region.images.values())
            families = sorted({image.family for image in images if image.family})
            found = {family: family_members(images, family, now) for family in families}
            if any(found.values()):
                heads[name] = {family: members[0].image_id for family, members in found.items() if members}
        return heads
