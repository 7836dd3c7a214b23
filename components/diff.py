"""The diff table (README: "What a change does"). Pure: no API calls, so previews are fast and need no credentials."""

from dataclasses import dataclass
from typing import Any

from .models import contains_unknown

# A new value means a new image.
REPLACE_KEYS = ("instance_id", "data_disk_ids")
# Changed in place: the name, description, family and deprecation with ModifyImageAttribute (unshared for the call),
# tags through the Tag API, copies with SyncImages / DeleteImages, shares with ModifyImageSharePermission, the others
# only in the stack's state.
UPDATE_KEYS = (
    "image_name", "image_description", "tags", "delete_bound_snapshots", "wait_timeout_minutes",
    "copy_to_regions", "share_with_accounts", "share_copies", "image_family", "deprecated",
)
# These only steer creation (CreateImage, or taking over an existing image): changing them later changes nothing.
CREATION_ONLY_KEYS = ("force_poweroff", "sysprep", "reboot", "live_image", "adopt_image", "wait_for_poweroff")


@dataclass(frozen=True)
class ImageDiff:
    changed: tuple[str, ...]
    replaces: tuple[str, ...]
    delete_before_replace: bool


def diff_image(olds: dict[str, Any], news: dict[str, Any]) -> ImageDiff:
    """Compare the recorded outputs (which carry the inputs they were made from) with the new checked inputs."""
    changed = tuple(key for key in REPLACE_KEYS + UPDATE_KEYS if _differs(olds.get(key), news.get(key)))
    replaces = tuple(key for key in changed if key in REPLACE_KEYS)
    # Names are unique per region: a replacement that keeps the name (or may keep it) must delete the old image first.
    name_may_collide = contains_unknown(news.get("image_name")) or news.get("image_name") == olds.get("image_name")
    return ImageDiff(changed, replaces, bool(replaces) and name_may_collide)


def _differs(old: Any, new: Any) -> bool:
    return contains_unknown(new) or _empty_as_none(old) != _empty_as_none(new)


def _empty_as_none(value: Any) -> Any:
    if value is None or value is False or value in ("", [], {}):
        return None
    # Disks, regions and accounts are sets: order carries no meaning. Compared by repr, so that any value (even a
    # float nan, which equals nothing) compares like itself.
    return sorted(map(repr, value)) if isinstance(value, list) else value
