"""The field table of a CvmImage: every input with its type, default, rules and what a change to it does (its diff
effect), and the outputs. CvmImageArgs, the stack config entry and the diff are derived from it or checked against
it (tests/components/test_field_table.py)."""

import re
import unicodedata
from collections.abc import Collection
from enum import Enum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

IMAGE_NAME_MAX = 60
IMAGE_DESCRIPTION_MAX = 256
INSTANCE_ID = re.compile(r"^ins-[a-z0-9]{8}$")
IMAGE_ID = re.compile(r"^img-[a-z0-9]{8}$")
DISK_ID = re.compile(r"^disk-[a-z0-9]{8}$")
# The tag service's rules (Tencent Cloud tag "Use Limits"): at most 50 tags a resource (four are the provider's marks),
# keys 1-127 and values 1-255 characters of letters, digits, CJK, inner spaces and a few signs; reserved key prefixes.
TAG_KEY_MAX = 127
TAG_VALUE_MAX = 255
USER_TAGS_MAX = 46
RESERVED_TAG_PREFIXES = ("qcloud", "tencent", "project", "qcs:", "项目", "pulumi-cvm-image:")
TAG_CHARACTERS = re.compile(r"^[A-Za-z0-9\u3400-\u4dbf\u4e00-\u9fff +\-=._:/@()\[\],;><（）【】：]+$")
TAG_CHARACTERS_TEXT = "letters, digits, CJK characters, inner spaces and + - = . _ : / @ ( ) [ ] , ; > <"
DEFAULT_WAIT_TIMEOUT_MINUTES = 60.0
# A region name's form (ap-guangzhou, na-siliconvalley, ap-shanghai-fsi): which regions exist is the cloud's to say
# (DescribeRegions, asked at create), never a frozen list.
REGION_NAME = re.compile(r"^[a-z]{2}-[a-z]+(-[a-z0-9]+)*$")
# Tencent Cloud account ids (UINs) are digits; ModifyImageSharePermission takes at most 500 accounts an image.
ACCOUNT_ID = re.compile(r"^[1-9][0-9]{4,19}$")
SHARE_ACCOUNTS_MAX = 500
# Tencent documents no rule for ImageFamily beyond InvalidParameterValue.InvalidImageFamily; this is the one the
# console enforces (and the emulator): a letter, then letters, digits, ".", "_" or "-", at most 60 characters.
IMAGE_FAMILY = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*$")
IMAGE_FAMILY_MAX = 60


def _parse_bool(value: Any) -> Any:
    """The API takes "true"/"false" strings; users may write either form, in any case."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise PydanticCustomError("bool", 'must be true or false (a boolean or the string "true"/"false"), got {value}', {"value": repr(value)})


FlexibleBool = Annotated[bool, BeforeValidator(_parse_bool)]


def _not_a_bool(value: Any) -> Any:
    """A count is a number: true/false (which Python would take as 1/0) is refused."""
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "must be a whole number, got {value}", {"value": repr(value)})
    return value


Count = Annotated[int, BeforeValidator(_not_a_bool)]


class Effect(str, Enum):
    """What a change to an input does (README: the diff table)."""

    REPLACE = "replace"  # a new image
    UPDATE = "update"  # changed in place, same image id
    CREATION = "creation"  # only steers creation (or taking over an image): a later change does nothing
    # An image id other than the current one replaces the image by that retained version, without a build; removing
    # it, or naming the current image, does nothing (so nothing flips back).
    ROLLBACK = "rollback"


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in text)


class ImageInputs(BaseModel):
    """What the user declares. Field names are the resource's property names."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    instance_id: Annotated[str, Effect.REPLACE]
    image_name: Annotated[str, Effect.UPDATE]
    image_description: Annotated[str | None, Effect.UPDATE] = None
    force_poweroff: Annotated[FlexibleBool | None, Effect.CREATION] = None
    sysprep: Annotated[FlexibleBool | None, Effect.CREATION] = None
    reboot: Annotated[FlexibleBool | None, Effect.CREATION] = None
    # Image a running instance without stopping it (today's ForcePoweroff=false).
    live_image: Annotated[FlexibleBool | None, Effect.CREATION] = None
    data_disk_ids: Annotated[list[str] | None, Effect.REPLACE] = None
    tags: Annotated[dict[str, str] | None, Effect.UPDATE] = None
    delete_bound_snapshots: Annotated[FlexibleBool, Effect.UPDATE] = False
    wait_timeout_minutes: Annotated[float, Effect.UPDATE] = Field(default=DEFAULT_WAIT_TIMEOUT_MINUTES)
    # An existing image (id or exact name) that create takes over instead of making one.
    adopt_image: Annotated[str | None, Effect.CREATION] = None
    # The builder powers itself off when provisioned: image it once STOPPED.
    wait_for_poweroff: Annotated[FlexibleBool | None, Effect.CREATION] = None
    copy_to_regions: Annotated[list[str] | None, Effect.UPDATE] = None  # SyncImages copies, one a region
    share_with_accounts: Annotated[list[str] | None, Effect.UPDATE] = None
    share_copies: Annotated[FlexibleBool | None, Effect.UPDATE] = None  # the copies are shared with the same accounts too
    image_family: Annotated[str | None, Effect.UPDATE] = None
    deprecated: Annotated[FlexibleBool | None, Effect.UPDATE] = None
    # How many replaced versions stay (retired) after a replacement; the oldest beyond it are deleted.
    keep_previous: Annotated[Count, Effect.UPDATE] = 0
    # A retained version (one of previous_image_ids) to make current again without a build.
    rollback_to: Annotated[str | None, Effect.ROLLBACK] = None
    # Delete images even while instances, launch templates or launch configurations launch from them.
    delete_in_use: Annotated[FlexibleBool, Effect.UPDATE] = False

    @field_validator("instance_id")
    @classmethod
    def _instance_id_shape(cls, value: str) -> str:
        if not INSTANCE_ID.match(value):
            raise PydanticCustomError(
                "instance_id", "must look like ins-xxxxxxxx (ins- and 8 lowercase letters or digits), got {value}", {"value": repr(value)}
            )
        return value

    @field_validator("image_name")
    @classmethod
    def _image_name_rules(cls, value: str) -> str:
        if not 1 <= len(value) <= IMAGE_NAME_MAX:
            raise PydanticCustomError(
                "image_name", "must be 1 to {max} characters, got {length}; shorten it", {"max": IMAGE_NAME_MAX, "length": len(value)}
            )
        if _has_control_characters(value):
            raise PydanticCustomError("image_name", "must not contain control characters (newlines, tabs, ...)", {})
        if value != value.strip():
            raise PydanticCustomError("image_name", "must not start or end with white space, got {value}", {"value": repr(value)})
        return value

    @field_validator("image_description")
    @classmethod
    def _description_rules(cls, value: str | None) -> str | None:
        if value is not None and len(value) > IMAGE_DESCRIPTION_MAX:
            raise PydanticCustomError(
                "image_description",
                "must be at most {max} characters, got {length}; shorten it",
                {"max": IMAGE_DESCRIPTION_MAX, "length": len(value)},
            )
        return value

    @field_validator("data_disk_ids")
    @classmethod
    def _disk_ids(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        bad = [disk for disk in value if not DISK_ID.match(disk)]
        if bad:
            raise PydanticCustomError("data_disk_ids", "must hold data disk ids shaped disk-xxxxxxxx, got {bad}", {"bad": ", ".join(bad)})
        if len(set(value)) != len(value):
            raise PydanticCustomError("data_disk_ids", "must not list a disk twice", {})
        return value

    @field_validator("tags")
    @classmethod
    def _tag_rules(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is not None and len(value) > USER_TAGS_MAX:
            raise PydanticCustomError(
                "tags", "must hold at most {max} tags (the tag service allows 50 a resource; four are the provider's marks), got {count}",
                {"max": USER_TAGS_MAX, "count": len(value)},
            )
        for key, tag_value in (value or {}).items():
            if not 1 <= len(key) <= TAG_KEY_MAX or key.lower().startswith(RESERVED_TAG_PREFIXES):
                raise PydanticCustomError(
                    "tags",
                    "key {key} must be 1 to {max} characters and not start with {reserved}",
                    {"key": repr(key), "max": TAG_KEY_MAX, "reserved": ", ".join(RESERVED_TAG_PREFIXES)},
                )
            if not 1 <= len(tag_value) <= TAG_VALUE_MAX:
                raise PydanticCustomError("tags", "value of {key} must be 1 to {max} characters", {"key": repr(key), "max": TAG_VALUE_MAX})
            for part, text in (("key", key), ("value of " + repr(key), tag_value)):
                if not TAG_CHARACTERS.match(text) or text != text.strip():
                    raise PydanticCustomError(
                        "tags", "{part} {text} may hold only {allowed}", {"part": part, "text": repr(text), "allowed": TAG_CHARACTERS_TEXT}
                    )
        return value

    @field_validator("adopt_image")
    @classmethod
    def _adopt_target(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith("img-") and not IMAGE_ID.match(value):
            raise PydanticCustomError("adopt_image", "must be an image id shaped img-xxxxxxxx or an exact image name, got {value}", {"value": repr(value)})
        if not 1 <= len(value) <= IMAGE_NAME_MAX:
            raise PydanticCustomError("adopt_image", "must be an image id or an image name of 1 to {max} characters", {"max": IMAGE_NAME_MAX})
        return value

    @field_validator("copy_to_regions")
    @classmethod
    def _region_names(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        bad = [region for region in value if not REGION_NAME.match(region)]
        if bad:
            raise PydanticCustomError(
                "copy_to_regions",
                "holds {bad}, which is not a region name: lowercase words joined by '-', such as ap-guangzhou, "
                "na-siliconvalley or ap-shanghai-fsi",
                {"bad": ", ".join(map(repr, bad))},
            )
        if len(set(value)) != len(value):
            raise PydanticCustomError("copy_to_regions", "must not list a region twice", {})
        return value

    @field_validator("share_with_accounts")
    @classmethod
    def _account_ids(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        bad = [account for account in value if not ACCOUNT_ID.match(account)]
        if bad:
            raise PydanticCustomError(
                "share_with_accounts",
                "must hold Tencent Cloud account ids (the account's UIN: 5 to 20 digits, e.g. 100012345678), got {bad}",
                {"bad": ", ".join(map(repr, bad))},
            )
        if len(set(value)) != len(value):
            raise PydanticCustomError("share_with_accounts", "must not list an account twice", {})
        if len(value) > SHARE_ACCOUNTS_MAX:
            raise PydanticCustomError("share_with_accounts", "may hold at most {max} accounts", {"max": SHARE_ACCOUNTS_MAX})
        return value

    @field_validator("image_family")
    @classmethod
    def _family_rules(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not 1 <= len(value) <= IMAGE_FAMILY_MAX:
            raise PydanticCustomError(
                "image_family", "must be 1 to {max} characters, got {length}; shorten it", {"max": IMAGE_FAMILY_MAX, "length": len(value)}
            )
        if not IMAGE_FAMILY.match(value):
            raise PydanticCustomError(
                "image_family", "must start with a letter and hold only letters, digits, '.', '_' and '-', got {value}", {"value": repr(value)}
            )
        return value

    @field_validator("keep_previous")
    @classmethod
    def _not_negative(cls, value: int) -> int:
        if value < 0:
            raise PydanticCustomError("keep_previous", "must be 0 or more (how many replaced versions to keep), got {value}", {"value": value})
        return value

    @field_validator("rollback_to")
    @classmethod
    def _rollback_target(cls, value: str | None) -> str | None:
        if value is not None and not IMAGE_ID.match(value):
            raise PydanticCustomError(
                "rollback_to", "must be an image id shaped img-xxxxxxxx (one of previous_image_ids), got {value}", {"value": repr(value)}
            )
        return value

    @field_validator("wait_timeout_minutes")
    @classmethod
    def _timeout_range(cls, value: float) -> float:
        if not 0 < value <= 24 * 60:
            raise PydanticCustomError("wait_timeout_minutes", "must be more than 0 and at most 1440 (24 hours), got {value}", {"value": repr(value)})
        return value

    @model_validator(mode="after")
    def _live_image_alone(self) -> "ImageInputs":
        if self.live_image and (self.reboot or self.force_poweroff):
            raise PydanticCustomError(
                "live_image",
                "cannot be combined with reboot or force_poweroff: those stop the instance for the image, live_image "
                "images it while it runs. Set only one of them",
                {},
            )
        return self

    @model_validator(mode="after")
    def _poweroff_wait_alone(self) -> "ImageInputs":
        if self.wait_for_poweroff and (self.live_image or self.reboot or self.force_poweroff):
            raise PydanticCustomError(
                "wait_for_poweroff",
                "cannot be combined with live_image, reboot or force_poweroff: with wait_for_poweroff the instance "
                "powers itself off when it is ready and is imaged stopped, so the provider never stops, starts or "
                "live-images it. Remove those settings (reboot: false is allowed)",
                {},
            )
        return self

    @model_validator(mode="after")
    def _copies_elsewhere(self) -> "ImageInputs":
        if self.share_copies and not self.copy_to_regions:
            raise PydanticCustomError("share_copies", "needs copy_to_regions: there are no copies to share. Remove it or add regions", {})
        return self


INPUT_KEYS: frozenset[str] = frozenset(ImageInputs.model_fields)
REQUIRED_KEYS: frozenset[str] = frozenset(name for name, field in ImageInputs.model_fields.items() if field.is_required())


def keys_with(effect: Effect) -> tuple[str, ...]:
    """The inputs a change to which has this effect, in the table's order."""
    return tuple(name for name, field in ImageInputs.model_fields.items() if effect in field.metadata)


# What the provider reports besides the inputs (README: CvmImage outputs).
OUTPUT_KEYS = (
    "image_id",
    "image_state",
    "request_id",
    "created_time",
    "image_size",
    "os_name",
    "platform",
    "architecture",
    "snapshot_ids",
    "copies",
    "claim",  # the token this record holds on the image (ownership.py), matched by the tag pulumi-cvm-image:claim
    "previous_image_ids",  # the retained (retired) versions, newest first, as the cloud's tags show them
)


class Failure(BaseModel):
    """One bad property, phrased for the person who wrote it."""

    property: str
    reason: str


def validate_inputs(
    props: dict[str, Any], unknown: Collection[str] = (), region: str | None = None
) -> tuple[dict[str, Any], list[Failure]]:
    """Normalise the known inputs and list what is wrong; the `unknown` ones (not known yet at preview) pass through
    untouched.

    `region` is the image's own region (from the provider's config), which copy_to_regions must not name.
    """
    unknown = {key: value for key, value in props.items() if key in unknown}
    known = {key: value for key, value in props.items() if key not in unknown and value is not None}
    placeholders = {key: _placeholder(key) for key in REQUIRED_KEYS & unknown.keys()}
    try:
        model = ImageInputs.model_validate({**known, **placeholders})
    except ValidationError as err:
        return props, [_failure(error) for error in err.errors()]
    if region is not None and region in (model.copy_to_regions or []):
        reason = f"copy_to_regions must not name {region!r}: the image itself is made there. Remove it from the list"
        return props, [Failure(property="copy_to_regions", reason=reason)]
    normalised = model.model_dump(exclude_none=True)
    return {**normalised, **unknown}, []


def _placeholder(key: str) -> str:
    """A valid stand-in for a required value that is still unknown, so the rest can be checked."""
    return {"instance_id": "ins-00000000", "image_name": "unknown"}[key]


def _failure(error: Any) -> Failure:
    location = [str(part) for part in error["loc"]]
    prop = location[0] if location else (error["type"] if error["type"] in INPUT_KEYS else "(inputs)")
    if error["type"] == "missing":
        return Failure(property=prop, reason=f"{prop} is required")
    if error["type"] == "extra_forbidden":
        allowed = ", ".join(sorted(INPUT_KEYS))
        return Failure(property=prop, reason=f"{prop!r} is not a property of CvmImage; allowed: {allowed}")
    where = prop + "".join(f"[{part}]" for part in location[1:])
    reason = _TYPE_MESSAGES.get(error["type"], error["msg"])
    return Failure(property=prop, reason=f"{where} {reason}")


_TYPE_MESSAGES = {
    "string_type": "must be a string",
    "list_type": "must be a list of strings",
    "dict_type": "must be a map of string keys to string values",
    "float_type": "must be a number of minutes",
    "float_parsing": "must be a number of minutes",
    "finite_number": "must be a finite number of minutes",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
}
