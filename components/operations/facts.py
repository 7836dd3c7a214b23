"""Facts about one image: request parameters, tags, outputs, states and settle conditions. No API calls."""

import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from ..cloud.client import TRUE_FALSE, Image
from ..model.inputs import ImageInputs

# The provider's marks on the images it makes (ownership.py says what each proves). The API has no idempotency token:
# these tags are how a retry or a later `pulumi up` recognises what an earlier attempt made.
PROVIDER_TAG_PREFIX = "pulumi-cvm-image:"
MARKER_TAG_KEY = "pulumi-cvm-image:instance-id"  # the instance it was made from
OWNER_TAG_KEY = "pulumi-cvm-image:owner"  # the resource that made it
CLAIM_TAG_KEY = "pulumi-cvm-image:claim"  # its create finished; the token its record in the stack holds
# Set aside by a replacement: when (ISO 8601), and on an image with copies the regions they are in (retired_value).
RETIRED_TAG_KEY = "pulumi-cvm-image:retired"
BUSY_STATES = ("CREATING", "SYNCING", "IMPORTING")
FAILED_STATES = ("CREATEFAILED", "IMPORTFAILED")
RECENT_SECONDS = 300.0  # an image created this recently may not show its tags yet

# Today's API is eventually consistent: a new image can be missing from DescribeImages for a moment, and the tags of
# CreateImage's TagSpecification are bound a moment after it. These graces bound how long "missing" means "not yet".
VISIBILITY_GRACE_SECONDS = 60.0  # a just-created (or still building) image may be missing from DescribeImages
READ_GRACE_SECONDS = 5.0  # refresh and adopt re-check a missing image this long before calling it gone
TAG_GRACE_SECONDS = 6.0  # an image found by name is re-read this long for its marker tag to be bound

def side_name(name: str, label: str) -> str:
    """A name beside `name` that fits the API's 60 characters: `<name>-<label>`, `name` shortened as needed."""
    suffix = f"-{label}"
    return name[: 60 - len(suffix)] + suffix


def retired_name(name: str, at: float, image_id: str) -> str:
    """The name an image gets when a replacement sets it aside: the declared name, when it was retired (UTC) and its
    own id (two versions retired in the same second stay apart: names are unique per region)."""
    when = time.strftime("%Y%m%d-%H%M%S", time.gmtime(at))
    return side_name(name, f"retired-{when}-{image_id.removeprefix('img-')}")


def pending_name(name: str, replaced_id: str) -> str:
    """The name a same-name replacement is built under until it takes the name: the same for every attempt at
    replacing one image, so an interrupted attempt is found again."""
    return side_name(name, "next-" + replaced_id.removeprefix("img-"))


def iso_time(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


def retired_value(at: float, copy_regions: Iterable[str] = ()) -> str:
    """The retired tag's value: `<UTC time>`, or `<UTC time>;<region>,<region>` for an image with copies, so that a
    retained version's copies are found again (all of today's regions fit the tag's 255 characters)."""
    regions = ",".join(sorted(copy_regions))
    return f"{iso_time(at)};{regions}" if regions else iso_time(at)


def retired_facts(value: str) -> tuple[str, tuple[str, ...]]:
    """When it was retired and where its copies are, from the retired tag's value."""
    at, _, regions = value.partition(";")
    return at, tuple(region for region in regions.split(",") if region)


def create_params(inputs: ImageInputs, name: str, marks: dict[str, str]) -> dict[str, Any]:
    """CreateImage with what the user set, under `name`, with the provider's `marks` among the tags.

    Never `Reboot` (removed from the API in 2019) and no `ForcePoweroff` unless live_image: the provider itself stops a
    running instance for the image (see power.py); ForcePoweroff "false" is today's live image.
    """
    params: dict[str, Any] = {"InstanceId": inputs.instance_id, "ImageName": name}
    if inputs.image_description is not None:
        params["ImageDescription"] = inputs.image_description
    if inputs.live_image:
        params["ForcePoweroff"] = TRUE_FALSE[False]
    if inputs.sysprep is not None:
        params["Sysprep"] = TRUE_FALSE[inputs.sysprep]
    if inputs.data_disk_ids:
        params["DataDiskIds"] = list(inputs.data_disk_ids)
    tags = {**(inputs.tags or {}), **marks}
    params["TagSpecification"] = [{"ResourceType": "image", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    return params


def bound_tags(image: Image) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in image.get("Tags") or []}


def user_tags(image: Image) -> dict[str, str]:
    return {key: value for key, value in bound_tags(image).items() if not key.startswith(PROVIDER_TAG_PREFIX)}


def live_outputs(image: Image) -> dict[str, Any]:
    """The facts about an image worth having as outputs."""
    return {
        "image_id": image["ImageId"],
        "image_state": image.get("ImageState"),
        "created_time": image.get("CreatedTime"),
        "image_size": image.get("ImageSize"),
        "os_name": image.get("OsName"),
        "platform": image.get("Platform"),
        "architecture": image.get("Architecture"),
        "snapshot_ids": [snapshot["SnapshotId"] for snapshot in image.get("SnapshotSet") or []],
    }


def marker_of(image: Image) -> str | None:
    return next((tag["Value"] for tag in image.get("Tags") or [] if tag["Key"] == MARKER_TAG_KEY), None)


def settled_or_missing_for(grace: float) -> Callable[[Image | None], bool]:
    """Settled: no longer busy, or missing from DescribeImages for `grace` seconds (a new image shows up late)."""
    started = time.monotonic()

    def settled(image: Image | None) -> bool:
        if image is None:
            return time.monotonic() - started >= grace
        return image.get("ImageState") not in BUSY_STATES

    return settled


def tags_may_be_pending(image: Image) -> bool:
    """An image without tags, or made moments ago, may still have CreateImage's tags on their way."""
    if not image.get("Tags"):
        return True
    created = epoch(image.get("CreatedTime"))
    return created is None or time.time() - created < RECENT_SECONDS


def epoch(text: Any) -> float | None:
    """Seconds since the epoch of an API time: `2020-09-22T00:00:00Z` (what the service sends), `+00:00` (the API's
    own examples) or `2024-07-19 16:41:20` (UTC, as some examples have it); None for anything else."""
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def gone(image: Image | None) -> bool:
    return image is None
