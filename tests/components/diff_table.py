"""The README's diff table ("What a change does") as data: the oracle for the tests of check, diff and the field
table. Written out here, never imported from components, so that a key misfiled in the code cannot move the oracle."""

from typing import Any

from pulumi.runtime.rpc import UNKNOWN

REPLACE = ("instance_id", "data_disk_ids")
UPDATE = (
    "image_name", "image_description", "tags", "delete_bound_snapshots", "wait_timeout_minutes",
    "copy_to_regions", "share_with_accounts", "share_copies", "image_family", "deprecated", "keep_previous",
    "delete_in_use",
)
CREATION_ONLY = ("force_poweroff", "sysprep", "reboot", "live_image", "adopt_image", "wait_for_poweroff")
# Set to an image id other than the recorded one: replace by that retained version (no build); removed: no change.
ROLLBACK = ("rollback_to",)
INPUTS = REPLACE + UPDATE + CREATION_ONLY + ROLLBACK


def contains_unknown(value: Any) -> bool:
    """A preview value not known yet, or holding one (the tests send the UNKNOWN string)."""
    if isinstance(value, dict):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    return value == UNKNOWN
