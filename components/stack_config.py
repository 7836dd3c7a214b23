"""The program's stack config (`cvm-images:images`), validated before any resource is declared."""

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from .model.inputs import DEFAULT_WAIT_TIMEOUT_MINUTES, Count, FlexibleBool


class _CamelModel(BaseModel):
    """Stack YAML uses camelCase keys, like every Pulumi config."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class BuilderArgs(_CamelModel):
    """A builder instance that the stack creates and images (tencentcloud.instance.Instance)."""

    image_id: str = Field(description="the base image to boot the builder from")
    instance_type: str
    availability_zone: str
    instance_name: str | None = None
    vpc_id: str | None = None
    subnet_id: str | None = None
    security_groups: list[str] | None = None
    system_disk_type: str = "CLOUD_PREMIUM"
    system_disk_size: int = 50
    user_data: str | None = Field(default=None, description="a plain-text script run at first boot")


class GoldenImageArgs(_CamelModel):
    """One image of the stack: made from an existing instance or from a builder the stack owns.

    Beside `name` and `builder`, its fields are the CvmImage inputs of the field table (model/inputs.py), with the
    table's types and defaults, camelCase in YAML (`description` for image_description); the table's rules are checked
    when the image is checked. tests/components/test_field_table.py keeps the two equal.
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,40}$", description="the Pulumi resource name")
    image_name: str
    image_description: str | None = Field(default=None, alias="description")
    instance_id: str | None = None
    builder: BuilderArgs | None = None
    force_poweroff: FlexibleBool | None = None
    sysprep: FlexibleBool | None = None
    reboot: FlexibleBool | None = None
    live_image: FlexibleBool | None = None
    data_disk_ids: list[str] | None = None
    tags: dict[str, str] | None = None
    delete_bound_snapshots: FlexibleBool = False
    wait_timeout_minutes: float = DEFAULT_WAIT_TIMEOUT_MINUTES
    adopt_image: str | None = None
    wait_for_poweroff: FlexibleBool | None = None
    copy_to_regions: list[str] | None = None
    share_with_accounts: list[str] | None = None
    share_copies: FlexibleBool | None = None
    image_family: str | None = None
    deprecated: FlexibleBool | None = None
    keep_previous: Count = 0
    rollback_to: str | None = None
    delete_in_use: FlexibleBool = False

    @model_validator(mode="after")
    def _one_source(self) -> "GoldenImageArgs":
        if (self.instance_id is None) == (self.builder is None):
            raise ValueError(f"image {self.name!r} needs exactly one of instanceId (an existing instance) or builder")
        return self


class StackSpec(BaseModel):
    images: list[GoldenImageArgs]

    @model_validator(mode="after")
    def _unique(self) -> "StackSpec":
        for field in ("name", "image_name"):
            values = [getattr(image, field) for image in self.images]
            duplicates = sorted({value for value in values if values.count(value) > 1})
            if duplicates:
                raise ValueError(f"images[].{to_camel(field)} must be unique in a stack; repeated: {', '.join(duplicates)}")
        return self


class PromotionArgs(_CamelModel):
    """Images this stack takes, already tested, from another stack's export instead of baking them (`cvm-images:promote`)."""

    from_stack: str = Field(pattern=r"^[^/\s]+(/[^/\s]+){0,2}$", description="the source stack: <org>/<project>/<stack>")
    output: str = Field(default="image_ids", min_length=1, description="its export that maps image names to image ids")
    images: list[str] = Field(min_length=1, description="the names (keys of that export) of the images to take")
    region: str | None = Field(
        default=None, description="take each image's copy in this region from an export of {name: {region: id}} (image_copies)"
    )

    @field_validator("images")
    @classmethod
    def _unique_names(cls, names: list[str]) -> list[str]:
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"must not name an image twice; repeated: {', '.join(repeated)}")
        return names


class StackConfigError(Exception):
    pass


def parse_promotion(raw: Any) -> PromotionArgs | None:
    """The `promote` object from stack config (None when absent), or a StackConfigError naming the bad key."""
    if raw is None:
        return None
    try:
        return PromotionArgs.model_validate(raw)
    except ValidationError as err:
        problems = "; ".join(f"{_where('promote', error['loc'])}: {error['msg']}" for error in err.errors())
        raise StackConfigError(f"Stack config `cvm-images:promote` is invalid: {problems}") from None


def parse_images(raw: Any, promoted: Sequence[str] = ()) -> list[GoldenImageArgs]:
    """The `images` list from stack config, or a StackConfigError that says which entry and key is wrong.

    `promoted` names the images the stack takes from another stack: then `images` may be absent, and must not bake them.
    """
    if raw is None:
        if promoted:
            return []
        raise StackConfigError("Stack config `cvm-images:images` is missing: list the images this stack manages (see README).")
    try:
        images = StackSpec.model_validate({"images": raw}).images
    except ValidationError as err:
        problems = "; ".join(f"{_where('images', error['loc'][1:])}: {error['msg']}" for error in err.errors())
        raise StackConfigError(f"Stack config `cvm-images:images` is invalid: {problems}") from None
    both = sorted({image.name for image in images} & set(promoted))
    if both:
        raise StackConfigError(
            f"Stack config names {', '.join(both)} both in `cvm-images:images` (baked here) and in `cvm-images:promote` "
            "(taken from another stack): keep each image in one of them."
        )
    return images


def _where(root: str, location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location]
    return root + "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in parts)
