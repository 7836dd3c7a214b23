"""The program's stack config (`cvm-images:images`), validated before any resource is declared."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from .models import DEFAULT_WAIT_TIMEOUT_MINUTES


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
    user_data: str | None = None


class GoldenImageArgs(_CamelModel):
    """One image of the stack: made from an existing instance or from a builder the stack owns."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,40}$", description="the Pulumi resource name")
    image_name: str
    image_description: str | None = Field(default=None, alias="description")
    instance_id: str | None = None
    builder: BuilderArgs | None = None
    force_poweroff: bool | None = None
    sysprep: bool | None = None
    reboot: bool | None = None
    live_image: bool | None = None
    data_disk_ids: list[str] | None = None
    tags: dict[str, str] | None = None
    delete_bound_snapshots: bool = False
    wait_timeout_minutes: float = DEFAULT_WAIT_TIMEOUT_MINUTES
    adopt_image: str | None = None

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


class StackConfigError(Exception):
    pass


def parse_images(raw: Any) -> list[GoldenImageArgs]:
    """The `images` list from stack config, or a StackConfigError that says which entry and key is wrong."""
    if raw is None:
        raise StackConfigError("Stack config `cvm-images:images` is missing: list the images this stack manages (see README).")
    try:
        return StackSpec.model_validate({"images": raw}).images
    except ValidationError as err:
        problems = "; ".join(f"{_where(error['loc'])}: {error['msg']}" for error in err.errors())
        raise StackConfigError(f"Stack config `cvm-images:images` is invalid: {problems}") from None


def _where(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location[1:]]  # drop the wrapper's "images"
    return "images" + "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in parts)
